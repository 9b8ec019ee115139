import { useState } from 'preact/hooks';
import { ApiError, apiRequest, segment, asApiError } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { href, navigate } from '../router.js';
import type { RunDetail } from './runTypes.js';
import { useCanOperate } from '../components/caller.js';

const cancellable: ReadonlySet<string> = new Set(['queued', 'running']);
const retryable: ReadonlySet<string> = new Set(['failed', 'cancelled', 'timed_out']);

/**
 * Cancel (while queued or running, and not once finalize has claimed the run: the API refuses it)
 * and Retry (after a failure, cancel or timeout), shown only when they apply; the API's refusals
 * (409: finalizing, another run holding the pipeline, a cleanup under way) are shown as it words them.
 * A retry answers with the run's URL: the same run id is the run's next attempt (stay, and read it
 * again); another id is a new run (go there). Re-ingest (a succeeded run that quarantined rows)
 * writes those rows, checked by today's rules, in a new run, once: the page goes to that run, and
 * the API's 409 (already re-ingested, naming the run) is shown as it words it.
 */
export function RunActions({ run, onChanged }: { run: RunDetail; onChanged: () => void }) {
  const canOperate = useCanOperate();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const path = `pipelines/${segment(run.pipelineId)}/runs/${segment(run.runId)}`;
  const canCancel = cancellable.has(run.status) && !run.finalizingSince;
  const canRetry = retryable.has(run.status);
  const canReingest = run.status === 'succeeded' && (run.rowsRejected ?? 0) > 0 && run.reason !== 'reingest';

  const act = async (action: 'cancel' | 'retry' | 'reingest') => {
    setBusy(true);
    setError(undefined);
    try {
      const response = await apiRequest<RunDetail>(`${path}/${action}`, { method: 'POST', body: {} });
      setConfirming(false);
      const target = response.location?.match(/^\/api\/pipelines\/([^/]+)\/runs\/([^/?#]+)$/);
      if (action !== 'cancel' && target && decodeURIComponent(target[2]!) !== run.runId) {
        navigate(href('pipelines', decodeURIComponent(target[1]!), 'runs', decodeURIComponent(target[2]!)));
        return;
      }
      onChanged();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  if (!canCancel && !canRetry && !canReingest && !error) return null;
  return (
    <div class="run-actions">
      <fieldset class="toolbar" aria-label="Run actions" disabled={!canOperate}>
        {canCancel && !confirming ? <button type="button" class="danger" id="run-cancel" disabled={busy} onClick={() => setConfirming(true)}>Cancel run</button> : null}
        {canCancel && confirming ? (
          <div class="confirm" role="group" aria-label="Confirm cancel">
            <span>Cancel this run? Its chunks stop and its files are deleted.</span>
            <button type="button" class="danger" id="run-cancel-confirm" disabled={busy} onClick={() => void act('cancel')}>Yes, cancel it</button>
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>Keep it running</button>
          </div>
        ) : null}
        {canRetry ? <button type="button" class="primary" id="run-retry" disabled={busy} onClick={() => void act('retry')}>Retry run</button> : null}
        {canReingest ? <button type="button" id="run-reingest" disabled={busy} title={`Write the ${run.rowsRejected} quarantined rows, checked by the pipeline's current rules, in a new run (once)`} onClick={() => void act('reingest')}>Re-ingest {run.rowsRejected} quarantined rows</button> : null}
      </fieldset>
      <ProblemNotice error={error} />
    </div>
  );
}
