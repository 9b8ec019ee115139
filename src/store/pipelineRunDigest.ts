import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { runIdTime } from '../jobs/runId.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';
import type { RunStore, StoredRun } from './runStore.js';

/** What the overview needs of one pipeline's runs. */
export type PipelineRunDigest = {
  /** The newest run of this life of the pipeline (its generation). */
  latest?: StoredRun;
  /** A run of this generation, among the newest recentRuns, is queued or running. */
  inProgress: boolean;
  /** The newest successful run of this generation. */
  lastSuccess?: StoredRun;
  /** Every run requested at or after `since` (by the time its id carries), whatever its generation: the pipeline's volume. */
  since: StoredRun[];
};

/** How many of the newest runs are looked at for one in progress (a long run behind skipped ones). */
const recentRuns = 20;
/** The most runs read for the volume since `since`: a scheduled run a minute for a week is 10,080. */
const maxRunsRead = 20_000;
/** The most runs a search for the last success looks at beyond those already read. */
const maxScannedForSuccess = 2_000;

/**
 * One pipeline's runs for the overview, from its own partition (summaries, newest first): a
 * first small page for the latest runs, then pages of 1,000 only while runs are still inside the
 * range, and a status-filtered read for the last success only when none was met on the way. So a
 * pipeline costs one or two queries, not a read per run (the run index, which GET /api/runs
 * reads, answers with a point read of every run it lists). Runs of an earlier pipeline of the
 * same id (deleted with its history kept) count toward the volume, not as this pipeline's
 * latest run or success.
 */
export async function digestPipelineRuns(runs: RunStore, pipelineId: string, generation: string, since: Date): Promise<PipelineRunDigest> {
  const digest: PipelineRunDigest = { inProgress: false, since: [] };
  const ours = (run: StoredRun) => runGeneration(run) === generation;
  let afterRowKey: string | undefined;
  let read = 0;
  for (;;) {
    const page = await runs.listPage(pipelineId, { limit: read === 0 ? recentRuns : 1000, afterRowKey });
    for (const run of page.runs) {
      read++;
      if (runIdTime(run.runId).getTime() >= since.getTime()) digest.since.push(run);
      if (!ours(run)) continue;
      digest.latest ??= run;
      if (read <= recentRuns && !terminalRunStatuses.has(run.status)) digest.inProgress = true;
      // A re-ingest run lands an earlier run's quarantined rows: not a fresh read of the source.
      if (run.status === RunStatus.succeeded && run.reason !== 'reingest') digest.lastSuccess ??= run;
    }
    const last = page.runs[page.runs.length - 1];
    if (!page.nextRowKey || !last) return digest;
    afterRowKey = page.nextRowKey;
    const pastRange = runIdTime(last.runId).getTime() < since.getTime();
    if ((pastRange && read >= recentRuns) || read >= maxRunsRead) break;
  }
  if (!digest.lastSuccess) {
    const older = await runs.listPage(pipelineId, { limit: 1, statuses: [RunStatus.succeeded], afterRowKey, maxScanned: maxScannedForSuccess });
    const success = older.runs[0];
    if (success && ours(success)) digest.lastSuccess = success;
  }
  return digest;
}
