/**
 * How long one chunk may take, and how many chunks a run needs for each to take no longer.
 *
 * A chunk is one activity execution, and host.json's `functionTimeout` ends an execution that
 * runs longer (the retry then redoes the whole chunk). On Flex Consumption an instance that scales
 * in gives executions still running 60 minutes to finish, so `functionTimeout` is 55 minutes
 * (README: host.json, deliberately; test/infra/hostAndLocalSettings.test.ts checks host.json
 * against `functionTimeoutMinutes`). A chunk is planned to take at most half of it: the estimate
 * of rows and the throughput are both guesses, and a slow source, a retry or a busy instance must
 * still fit.
 */
export const functionTimeoutMinutes = 55;
export const chunkBudgetSeconds = (functionTimeoutMinutes * 60) / 2;

/** The schema's maximum of `chunking.chunks` (src/spec/pipelineSpec.ts). */
export const maxPlannedChunks = 10_000;

/**
 * Rows a chunk copies per second when the pipeline has no successful run to measure: a
 * deliberately low figure, about 45 times below what `npm run bench` measures on a 2-core machine
 * against a local database (README: Performance), for wide rows, a distant source and a busy
 * server.
 */
export const defaultRowsPerSecond = 10_000;

/** A measured throughput: rows per second of chunk copy time, from the chunks of the pipeline's last successful run. */
export type Throughput = { rowsPerSecond: number; from: 'lastSuccessfulRun'; runId: string } | { rowsPerSecond: number; from: 'default' };

export type ChunkBudgetInput = {
  /** `chunking.chunks` of the spec; undefined for a pipeline without chunking (one chunk, which cannot be split). */
  specChunks: number | undefined;
  /** Rows the run is expected to read; 0 when nothing tells (then no chunk count is raised and nothing is warned). */
  rowsEstimate: number;
  throughput: Throughput;
  budgetSeconds?: number;
  /** Why a run is one chunk and what to do, in place of the advice to add chunking (a table with no usable split key). */
  oneChunkAdvice?: string | undefined;
};

export type ChunkBudget = {
  /** Chunks to plan: the spec's, raised so each stays inside the budget, at most maxPlannedChunks; 1 without chunking. */
  chunks: number;
  budgetSeconds: number;
  rowsEstimate: number;
  rowsPerSecond: number;
  throughputFrom: Throughput['from'];
  /** The run whose chunks gave the throughput, when it was measured. */
  throughputRunId?: string;
  /** How long one chunk is expected to take with `chunks` chunks of equal rows. */
  expectedChunkSeconds: number;
  /** Plain sentences: a chunk expected to take longer than the budget, and what to change. */
  warnings: string[];
};

/**
 * Sizes the chunks of a run from its expected rows and the throughput of one chunk: the spec's
 * `chunking.chunks` is raised (never lowered, never beyond maxPlannedChunks) until a chunk of
 * equal rows is expected to finish within the budget. When even the most chunks would not do, or
 * a pipeline without chunking is expected to take longer, the answer says so in `warnings`.
 */
export function sizeChunks(input: ChunkBudgetInput): ChunkBudget {
  const budgetSeconds = input.budgetSeconds ?? chunkBudgetSeconds;
  const rowsEstimate = Math.max(0, Number.isFinite(input.rowsEstimate) ? input.rowsEstimate : 0);
  const { rowsPerSecond } = input.throughput;
  const totalSeconds = rowsPerSecond > 0 ? rowsEstimate / rowsPerSecond : 0;
  const base = input.specChunks ?? 1;
  const needed = totalSeconds > budgetSeconds ? Math.ceil(totalSeconds / budgetSeconds) : 1;
  const chunks = input.specChunks === undefined ? 1 : Math.min(maxPlannedChunks, Math.max(base, needed));
  const expectedChunkSeconds = totalSeconds / chunks;
  const warnings: string[] = [];
  if (expectedChunkSeconds > budgetSeconds) {
    const expected = `about ${minutes(expectedChunkSeconds)} minutes per chunk (${rowsEstimate.toLocaleString('en-US')} rows at ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s${input.throughput.from === 'default' ? ', the default throughput' : ', as the last successful run copied'})`;
    const limit = `the budget is ${minutes(budgetSeconds)} minutes, half of the ${functionTimeoutMinutes}-minute function timeout, after which the chunk is stopped and copied again from its start`;
    warnings.push(
      input.specChunks === undefined
        ? input.oneChunkAdvice
          ? `The run is one chunk (${input.oneChunkAdvice}) expected to take ${expected}; ${limit}.`
          : `The run is one chunk (no chunking) expected to take ${expected}; ${limit}. Add chunking (chunking.column, an indexed integer, date or timestamp column) so the copy is split.`
        : `Even ${maxPlannedChunks.toLocaleString('en-US')} chunks leave ${expected}; ${limit}. Copy less per run: make the pipeline incremental, or split the table over several pipelines by a filter on the query.`,
    );
  }
  return {
    chunks,
    budgetSeconds,
    rowsEstimate,
    rowsPerSecond,
    throughputFrom: input.throughput.from,
    ...(input.throughput.from === 'lastSuccessfulRun' ? { throughputRunId: input.throughput.runId } : {}),
    expectedChunkSeconds,
    warnings,
  };
}

function minutes(seconds: number): string {
  return (Math.round((seconds / 60) * 10) / 10).toLocaleString('en-US');
}

/** One finished chunk of a run: its rows, and when the attempt that finished it started and ended. */
export type ChunkSample = { rows: number; startedAt?: string | undefined; endedAt?: string | undefined };

/**
 * Rows per second of chunk copy time over a run's finished chunks (total rows over the total
 * time their finishing attempts took), or undefined when they tell nothing (no rows, no time).
 * Each chunk's time includes its share of per-chunk overhead (connecting, planning the query,
 * committing files), so a run of many small chunks measures low: a conservative figure.
 */
export function measuredRowsPerSecond(chunks: ChunkSample[]): number | undefined {
  let rows = 0;
  let ms = 0;
  for (const chunk of chunks) {
    if (!chunk.startedAt || !chunk.endedAt) continue;
    const duration = Date.parse(chunk.endedAt) - Date.parse(chunk.startedAt);
    if (!Number.isFinite(duration) || duration < 0) continue;
    rows += chunk.rows;
    ms += duration;
  }
  if (rows <= 0 || ms <= 0) return undefined;
  return (rows * 1000) / ms;
}
