import { useState } from 'preact/hooks';
import type { RunOptions } from '../../spec/jobMessage.js';
import type { FieldError } from '../api.js';

type BoundKind = 'timestamp' | 'date' | 'number';

const inputTypes: Record<BoundKind, 'datetime-local' | 'date' | 'text'> = { timestamp: 'datetime-local', date: 'date', number: 'text' };

/**
 * The range of a backfill run (`from < cursor <= to`), picked as the cursor column's values read:
 * timestamps (picked in local time, sent as UTC ISO text), dates, or whole numbers. The API checks
 * the bounds (400 naming options.backfill.from or .to), and those errors land beside the fields.
 */
export function BackfillForm({ busy, errors, onStart }: { busy: boolean; errors: FieldError[] | undefined; onStart: (options: RunOptions) => void }) {
  const [kind, setKind] = useState<BoundKind>('timestamp');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const errorAt = (field: 'from' | 'to') => errors?.find((error) => error.path === `options.backfill.${field}`)?.message;

  const submit = (event: Event) => {
    event.preventDefault();
    onStart({ backfill: { from: boundText(kind, from), to: boundText(kind, to) } });
  };

  return (
    <form class="inline-form backfill" onSubmit={submit}>
      <div class="field">
        <label for="backfill-kind">Cursor values are</label>
        <select id="backfill-kind" value={kind} onChange={(event) => { setKind((event.target as HTMLSelectElement).value as BoundKind); setFrom(''); setTo(''); }}>
          <option value="timestamp">timestamps</option>
          <option value="date">dates</option>
          <option value="number">whole numbers</option>
        </select>
      </div>
      <Bound id="backfill-from" label="From (exclusive)" type={inputTypes[kind]} value={from} error={errorAt('from')} onInput={setFrom} />
      <Bound id="backfill-to" label="To (inclusive)" type={inputTypes[kind]} value={to} error={errorAt('to')} onInput={setTo} />
      <button type="submit" disabled={busy || !from || !to}>Start backfill</button>
      {kind === 'timestamp' ? <p class="hint small muted">Times are your browser's local time, sent as UTC.</p> : null}
    </form>
  );
}

function Bound({ id, label, type, value, error, onInput }: { id: string; label: string; type: 'datetime-local' | 'date' | 'text'; value: string; error?: string; onInput: (value: string) => void }) {
  const common = { id, value, 'aria-invalid': error ? ('true' as const) : undefined, 'aria-describedby': error ? `${id}-error` : undefined, onInput: (event: Event) => onInput((event.target as HTMLInputElement).value) };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'text' ? <input {...common} type="text" inputMode="numeric" /> : <input {...common} type={type} step={type === 'datetime-local' ? 1 : undefined} />}
      {error ? <div id={`${id}-error`} class="field-error">{error}</div> : null}
    </div>
  );
}

/** A picked local date-time becomes the instant it names, in UTC; dates and numbers go as typed. */
function boundText(kind: BoundKind, value: string): string {
  if (kind !== 'timestamp') return value.trim();
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? value : instant.toISOString().replace('.000Z', 'Z');
}
