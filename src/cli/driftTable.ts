import { driftChanges, type DriftView } from '../spec/driftChanges.js';
import { renderTable } from './output.js';

/**
 * Schema drift as lines for a terminal: one line naming the outcome (and the run compared with,
 * for a plan), then a table of the changed columns, before -> after and what the contract did
 * (a run) or would do (a plan).
 */
export function driftText(drift: DriftView): string {
  const head = `${drift.outcome === 'frozen' ? 'frozen: the run fails before writing' : 'evolved'}${drift.comparedWithRun ? `, compared with run ${drift.comparedWithRun}` : ''}`;
  const rows = driftChanges(drift).map((change) => [change.change, change.column, change.old, change.new, change.outcome]);
  const cut = drift.truncated ? `\n(lists cut to fit: ${drift.truncated.added} added, ${drift.truncated.removed} removed, ${drift.truncated.retyped} retyped in all)` : '';
  return `${head}\n${renderTable(['CHANGE', 'COLUMN', 'BEFORE', 'NOW', 'OUTCOME'], rows)}${cut}${drift.frozenReason ? `\n${drift.frozenReason}` : ''}`;
}
