import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { ProblemNotice } from './problemNotice.js';

export type DeleteChoice = { purgeHistory: boolean };

/**
 * A modal <dialog> that asks for the pipeline's id typed out before a delete goes ahead: a slip
 * of the mouse cannot remove a pipeline. Escape or Cancel closes it and nothing happens.
 */
export function DeleteDialog({ pipelineId, open, busy, error, onConfirm, onClose }: { pipelineId: string; open: boolean; busy: boolean; error?: ApiError; onConfirm: (choice: DeleteChoice) => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [purgeHistory, setPurgeHistory] = useState(false);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setTyped('');
      setPurgeHistory(false);
      element.showModal();
    } else if (!open && element.open) element.close();
  }, [open]);

  const confirmed = typed === pipelineId;
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="delete-title" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (confirmed && !busy) onConfirm({ purgeHistory });
        }}
      >
        <h2 id="delete-title">Delete pipeline {pipelineId}?</h2>
        <p>Its schedule, watermark and run lease go with it. Output files always stay; run history stays unless you also delete it below.</p>
        <div class="field">
          <label for="delete-confirm">Type <code>{pipelineId}</code> to confirm</label>
          <input id="delete-confirm" autocomplete="off" spellcheck={false} value={typed} onInput={(event) => setTyped((event.target as HTMLInputElement).value)} />
        </div>
        <div class="field check">
          <input id="delete-purge" type="checkbox" checked={purgeHistory} onChange={(event) => setPurgeHistory((event.target as HTMLInputElement).checked)} />
          <label for="delete-purge">Also delete its run history</label>
        </div>
        <ProblemNotice error={error} />
        <div class="toolbar end">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" class="danger" disabled={!confirmed || busy}>{busy ? 'Deleting…' : 'Delete pipeline'}</button>
        </div>
      </form>
    </dialog>
  );
}
