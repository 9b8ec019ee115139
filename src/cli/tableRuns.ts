import { terminalRunStatuses, type RunStatus } from '../spec/runStatus.js';
import type { Column } from './output.js';
import { formatDuration } from './progress/progressSnapshot.js';
import type { RunDetail, TableRunView } from './runTypes.js';

/**
 * The tables of a many-table run (GET .../runs/{runId} answers `tableRuns`, one ordinary run per
 * table): how far the run is through them, and a line per table for `runs get` and `run --wait`.
 */
export type TablesTally = { total: number; done: number; succeeded: number; failed: number };

/** Undefined for a run of one table. `done` counts tables whose run ended, however it ended. */
export function tablesTally(run: RunDetail): TablesTally | undefined {
  if (!run.tables && !run.tableRuns) return undefined;
  const tableRuns = run.tableRuns ?? [];
  const count = (statuses: (status: string) => boolean) => tableRuns.filter((table) => statuses(table.status)).length;
  return {
    // The record's count is there from prepare on; the list can lag it (or be cut) on an older server.
    total: Math.max(run.tables?.count ?? 0, tableRuns.length),
    done: count((status) => terminalRunStatuses.has(status as RunStatus)),
    succeeded: run.tables?.succeeded ?? count((status) => status === 'succeeded'),
    failed: run.tables?.failed ?? count((status) => terminalRunStatuses.has(status as RunStatus) && status !== 'succeeded' && status !== 'skipped'),
  };
}

/** `5 of 5 done: 4 succeeded, 1 failed` (the failed part only when some did). */
export function tablesText(tally: TablesTally): string {
  return `${tally.done} of ${tally.total} done: ${tally.succeeded} succeeded${tally.failed ? `, ${tally.failed} failed` : ''}`;
}

/** A table's run time so far (to `nowMs` while it runs); empty before it started. */
export function tableDuration(table: TableRunView, nowMs = Date.now()): string {
  if (!table.startedAt) return '';
  return formatDuration(((table.endedAt ? Date.parse(table.endedAt) : nowMs) - Date.parse(table.startedAt)) / 1000);
}

/** The error (or why it was skipped or cancelled) on one line, cut to fit a terminal row. */
export function tableProblem(table: TableRunView, width = 80): string | undefined {
  const full = (table.error ?? table.statusReason)?.replace(/\s+/g, ' ').trim();
  if (!full) return undefined;
  // Errors carry their context (`Pipeline <id>, run <runId>, chunk 0: ...`); the line already names the table's run.
  const context = `Pipeline ${table.pipelineId}, run ${table.runId}, `;
  const text = full.startsWith(context) ? full.slice(context.length) : full;
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The table of tables `runs get` prints; the RUN column is what `siphon runs get` takes to show that table's run. */
export const tableRunColumns: Array<Column<TableRunView>> = [
  ['TABLE', (table) => table.table],
  ['STATUS', (table) => table.status],
  ['ROWS', (table) => table.rows],
  ['BYTES', (table) => table.bytes],
  ['DURATION', (table) => tableDuration(table)],
  ['RUN', (table) => `${table.pipelineId}/${table.runId}`],
  ['ERROR', (table) => tableProblem(table)],
];
