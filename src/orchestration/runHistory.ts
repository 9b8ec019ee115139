import type { Services } from '../services.js';
import { RunStatus } from '../spec/runStatus.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';
import { defaultRowsPerSecond, measuredRowsPerSecond, type ChunkSample, type Throughput } from '../copy/chunkBudget.js';
import type { ChunkRecord } from '../store/chunkStore.js';
import type { StoredRun } from '../store/runStore.js';

/** What the planner learns from the pipeline's last successful run: how fast its chunks copied, and how many rows it read. */
export type RunHistory = { throughput: Throughput; lastRows?: number };

export const noRunHistory: RunHistory = { throughput: { rowsPerSecond: defaultRowsPerSecond, from: 'default' } };

/** The most runs looked at for the last success, and the most of its chunks measured: two bounded queries. */
const maxScannedForSuccess = 2_000;
const maxChunksMeasured = 1_000;

/**
 * The last successful run of this life of the pipeline (its generation) and the throughput of its
 * chunks (see measuredRowsPerSecond); the default throughput when there is none or its chunks
 * tell nothing. `generation` undefined: the stored pipeline's, and no history when there is no
 * pipeline of this id (a spec being validated before it is created).
 */
export async function readRunHistory(services: Services, pipelineId: string, generation?: string): Promise<RunHistory> {
  const ours = generation ?? (await services.pipelines.get(pipelineId))?.generation;
  if (ours === undefined) return noRunHistory;
  const run = await lastSourceRun(services, pipelineId);
  if (!run || runGeneration(run) !== ours) return noRunHistory;
  const { chunks } = await services.chunks.listPage(run.runId, { limit: maxChunksMeasured });
  const rowsPerSecond = measuredRowsPerSecond(chunks.map(finishingAttempt));
  return {
    throughput: rowsPerSecond === undefined ? noRunHistory.throughput : { rowsPerSecond, from: 'lastSuccessfulRun', runId: run.runId },
    lastRows: run.rows,
  };
}

/**
 * The last successful run that read the source: a re-ingest run (reason `reingest`) read an
 * earlier run's quarantined rows, so its rows and speed say nothing about the source.
 */
async function lastSourceRun(services: Services, pipelineId: string): Promise<StoredRun | undefined> {
  let afterRowKey: string | undefined;
  for (let page = 0; page < 5; page++) {
    const found = await services.runs.listPage(pipelineId, { limit: 10, statuses: [RunStatus.succeeded], maxScanned: maxScannedForSuccess, afterRowKey });
    const run = found.runs.find((candidate) => candidate.reason !== 'reingest');
    if (run || !found.nextRowKey) return run;
    afterRowKey = found.nextRowKey;
  }
  return undefined;
}

/** A chunk's rows with the times of the attempt that finished it (a retried chunk's earlier attempts are not copy time). */
function finishingAttempt(chunk: ChunkRecord): ChunkSample {
  const attempt = [...(chunk.attempts ?? [])].reverse().find((entry) => entry.endedAt !== undefined && entry.error === undefined);
  return attempt ? { rows: chunk.rows, startedAt: attempt.startedAt, endedAt: attempt.endedAt } : { rows: chunk.rows, startedAt: chunk.startedAt, endedAt: chunk.endedAt };
}
