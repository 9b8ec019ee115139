import type { Services } from '../services.js';

export type BackfillResult = { written: number; scanned: number; done: boolean };

/**
 * Gives runs recorded before the run index existed their entries, so `GET /api/runs` lists the
 * whole history of a deployment that upgraded, not only runs written since. Called by the cleanup
 * sweep (a timer): each call scans at most `maxRuns` run records (a projection of five fields) and
 * saves where it stopped in the index table, so a long history is done over a few sweeps and a
 * crash repeats at most one batch; once the scan reaches the end it records `done` and every later
 * call costs one point read. An entry is only created, never replaced (see writeIfMissing), so a
 * run written meanwhile keeps the entry its writer made.
 */
export async function backfillRunIndex(services: Pick<Services, 'runs' | 'runIndex'>, maxRuns = 5000): Promise<BackfillResult> {
  const progress = await services.runIndex.backfillProgress();
  if (progress.done) return { written: 0, scanned: 0, done: true };
  let written = 0;
  let scanned = 0;
  let after = progress.afterPipelineId !== undefined && progress.afterRowKey !== undefined ? { pipelineId: progress.afterPipelineId, rowKey: progress.afterRowKey } : undefined;
  for await (const run of services.runs.scanForIndex(after)) {
    if (await services.runIndex.writeIfMissing(run)) written++;
    scanned++;
    after = { pipelineId: run.pipelineId, rowKey: run.rowKey };
    if (scanned >= maxRuns) {
      await services.runIndex.saveBackfillProgress({ done: false, afterPipelineId: after.pipelineId, afterRowKey: after.rowKey });
      return { written, scanned, done: false };
    }
  }
  await services.runIndex.saveBackfillProgress({ done: true });
  return { written, scanned, done: true };
}
