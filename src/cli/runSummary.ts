import { formatBytes, formatCount } from '../local/progressBar.js';
import type { RunDetail } from './runTypes.js';
import { tableProblem, tablesTally, tablesText } from './tableRuns.js';

/** How a run ended, in the demo's words: rows, files, bytes, throughput, where the files are. */
export function runSummaryLines(run: RunDetail): string[] {
  const lines = [`Run ${run.pipelineId}/${run.runId} ${run.status}`];
  const seconds = run.startedAt && run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : undefined;
  const rows = run.rows ?? run.progress?.rowsCopied ?? 0;
  const tally = tablesTally(run);
  if (tally) lines.push(`  tables       ${tablesText(tally)}`);
  if (run.status === 'succeeded' || rows > 0) {
    lines.push(`  rows         ${formatCount(rows)}`);
    // A many-table run's chunks are its tables' (runs get <table's run> shows them).
    if (tally) lines.push(`  files        ${formatCount(run.files ?? 0)} in ${formatCount(tally.total)} tables`);
    else lines.push(`  files        ${formatCount(run.files ?? 0)} in ${formatCount(run.progress?.chunksDone ?? 0)} of ${formatCount(run.progress?.chunksPlanned ?? 0)} chunks${run.progress?.chunksWaiting ? ` (${formatCount(run.progress.chunksWaiting)} waiting for source)` : ''}`);
    lines.push(`  bytes        ${formatBytes(run.bytes ?? run.progress?.bytesWritten ?? 0)}`);
  }
  if (seconds !== undefined && seconds > 0) lines.push(`  throughput   ${formatCount(Math.round(rows / seconds))} rows/s (${seconds.toFixed(1)}s from start to end)`);
  if (run.outputFolder && run.status === 'succeeded') lines.push(`  files at     ${run.outputFolder}/${run.manifestPath ? ` (manifest: ${run.manifestPath})` : ''}`);
  else if (tally && run.manifestPath && run.status === 'succeeded') lines.push(`  manifest     ${run.manifestPath} (lists each table's manifest)`);
  if (run.error) lines.push(`  error        ${run.error}${run.errorChunk !== undefined ? ` (chunk ${run.errorChunk})` : ''}`);
  if (run.statusReason) lines.push(`  reason       ${run.statusReason}`);
  // The tables that did not succeed, each with the run that shows why.
  for (const table of run.tableRuns ?? []) {
    if (table.status === 'succeeded') continue;
    const problem = tableProblem(table, 100);
    lines.push(`  ${table.status.padEnd(12)} ${table.table} (siphon runs get ${table.pipelineId}/${table.runId})${problem ? `: ${problem}` : ''}`);
  }
  return lines;
}
