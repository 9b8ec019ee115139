import type { Column } from '../../output.js';
import { formatDuration } from '../../progress/progressSnapshot.js';
import type { ChunkView, QualityView, RunDetail } from '../../runTypes.js';
import { tablesTally, tablesText } from '../../tableRuns.js';

const duration = (run: RunDetail) => (run.startedAt ? formatDuration(((run.endedAt ? Date.parse(run.endedAt) : Date.now()) - Date.parse(run.startedAt)) / 1000) : '');

export const runColumns: Array<Column<RunDetail>> = [
  ['RUN', (run) => `${run.pipelineId}/${run.runId}`],
  ['STATUS', (run) => run.status],
  ['REASON', (run) => run.reason],
  ['STARTED', (run) => run.startedAt ?? run.requestedAt],
  ['DURATION', duration],
  ['ROWS', (run) => run.rows],
  ['REJECTED', (run) => run.rowsRejected],
  ['ERROR', (run) => (run.error ?? run.statusReason)?.slice(0, 80)],
];

export const runFields: Array<Column<RunDetail>> = [
  ['run', (run) => `${run.pipelineId}/${run.runId}`],
  ['status', (run) => run.status],
  ['reason', (run) => run.reason],
  ['attempt', (run) => run.attempt],
  ['requested', (run) => run.requestedAt],
  ['started', (run) => run.startedAt],
  ['ended', (run) => run.endedAt],
  ['duration', duration],
  ['part of', (run) => (run.partOf ? `${run.partOf.pipelineId}/${run.partOf.runId} (table ${run.partOf.table})` : undefined)],
  ['tables', (run) => { const tally = tablesTally(run); return tally && tablesText(tally); }],
  // A many-table run has no chunks of its own: each table's run has them.
  ['chunks', (run) => (run.progress && !(run.tables && run.progress.chunksPlanned === 0) ? `${run.progress.chunksDone}/${run.progress.chunksPlanned} done` : '')],
  ['rows', (run) => run.rows],
  ['rejected', (run) => (run.rowsRejected === undefined ? undefined : `${run.rowsRejected.toLocaleString('en-US')} rows in _quarantine/`)],
  ['bytes', (run) => run.bytes],
  ['files', (run) => run.files],
  ['output', (run) => run.outputFolder],
  ['manifest', (run) => run.manifestPath],
  ['drift', (run) => (run.drift ? `${run.drift.outcome}: ${run.drift.added.length} added, ${run.drift.removed.length} removed, ${run.drift.retyped.length} retyped` : undefined)],
  ['error', (run) => (run.error ? `${run.error}${run.errorChunk !== undefined ? ` (chunk ${run.errorChunk})` : ''}` : undefined)],
  ['status reason', (run) => run.statusReason],
  ['quality', (run) => (run.quality ? (['pass', 'warn', 'fail'] as const).map((outcome) => `${run.quality!.checks.filter((check) => check.outcome === outcome).length} ${outcome}`).join(', ') : undefined)],
];

/** The run's quality checks, one a line: what was measured against which bound. */
export const qualityColumns: Array<Column<QualityView>> = [
  ['CHECK', (check) => check.name],
  ['KIND', (check) => check.kind],
  ['SEVERITY', (check) => check.severity],
  ['OUTCOME', (check) => check.outcome],
  ['MEASURED', (check) => (check.measured === null ? '-' : check.measured)],
  ['BOUND', (check) => check.bound],
];

export const chunkColumns: Array<Column<ChunkView>> = [
  ['CHUNK', (chunk) => chunk.index],
  ['STATUS', (chunk) => chunk.status],
  ['ATTEMPTS', (chunk) => chunk.attempts?.length],
  ['ROWS', (chunk) => chunk.rows],
  ['BYTES', (chunk) => chunk.bytes],
  ['FILES', (chunk) => (Array.isArray(chunk.files) ? chunk.files.length : chunk.files)],
  ['RECONCILED', (chunk) => chunk.reconciliation?.status],
  ['LAST ERROR', (chunk) => [...(chunk.attempts ?? [])].reverse().find((attempt) => attempt.error)?.error?.slice(0, 80)],
];
