import { NonRetryableError, errorMessage, withContext } from '../errors/errorTypes.js';
import { capMessage } from '../errors/capMessage.js';
import type { ContainerClient } from '@azure/storage-blob';
import type { Services } from '../services.js';
import { copyChunk } from '../copy/copyChunk.js';
import { ChunkStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import { runPaths } from '../sink/blobPaths.js';
import type { ChunkOutcome, CopyChunkInput } from './activityContracts.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';

const progressIntervalInMs = 1_000;
/** How often a copy looks at its run's status, so a cancelled or timed-out run's chunks stop. */
const statusIntervalInMs = 2_000;

/**
 * Containers this process has made sure exist: one round trip per container, not per chunk, which
 * matters when a run has thousands of small chunks.
 */
const knownContainers = new Set<string>();

async function ensureContainer(container: ContainerClient): Promise<void> {
  if (knownContainers.has(container.url)) return;
  await container.createIfNotExists();
  knownContainers.add(container.url);
}

/** Thrown from the progress callback to abandon a copy whose run has ended meanwhile. */
class RunEndedError extends Error {
  constructor(readonly status: string) {
    super(`the run is ${status}`);
  }
}

/**
 * Copies one planned chunk and records its files in the chunk record. A chunk already done (a
 * retried run, a repeated message) is not copied again, and a copy that runs twice writes the same
 * blob names with the same bytes: at-least-once execution, exactly-once output. Errors a retry can
 * fix are thrown for the orchestrator's retry policy; the rest come back as outcomes.
 */
export async function copyChunkActivity(services: Services, input: CopyChunkInput, events: RunEventLog = discardRunEvents): Promise<ChunkOutcome> {
  const context = `Pipeline ${input.pipelineId}, run ${input.runId}, chunk ${input.chunk}`;
  // Aborted when the status check sees the run ended: the connector then cancels the statement on
  // the server, so a statement still working on its first row stops too, not only the next read.
  const stop = new AbortController();
  try {
    const run = await services.runs.get(input.pipelineId, input.runId);
    if (!run?.spec || !run.columns || !run.orderBy) throw new NonRetryableError('the run has not been prepared');
    if (terminalRunStatuses.has(run.status)) return { outcome: 'stopped', chunk: input.chunk, status: run.status };
    const chunk = await services.chunks.get(input.runId, input.chunk);
    if (!chunk) throw new NonRetryableError('the chunk is not in the run plan');
    if (chunk.status === ChunkStatus.done) {
      return { outcome: 'done', chunk: input.chunk, rows: chunk.rows, bytes: chunk.bytes, files: chunk.files.length, durationInMs: 0 };
    }
    const { spec } = run;
    const { etag: readEtag, ...record } = chunk;
    let etag: string | undefined = readEtag;
    const started = services.now();
    const container = services.dataBlobs.getContainerClient(spec.output.container);
    await ensureContainer(container);

    // Progress is best effort: a lost heartbeat only makes a progress bar lag. Writes carry the
    // record's ETag, so once another attempt has written this chunk, this one stops reporting.
    let lastProgressAt = 0;
    let progressWrite: Promise<void> = Promise.resolve();
    let endedAs: string | undefined;
    const statusCheck = setInterval(() => {
      services.runs.get(input.pipelineId, input.runId).then((current) => {
        if (current && terminalRunStatuses.has(current.status)) {
          endedAs = current.status;
          stop.abort(new RunEndedError(current.status));
        }
      }, () => undefined);
    }, statusIntervalInMs);
    const onProgress = (rows: number) => {
      if (endedAs) throw new RunEndedError(endedAs);
      const now = Date.now();
      if (now - lastProgressAt < progressIntervalInMs || !etag) return;
      lastProgressAt = now;
      const sent = etag;
      progressWrite = progressWrite
        .then(() => services.chunks.replaceIfUnchanged({ ...record, status: ChunkStatus.copying, rows, startedAt: started.toISOString() }, sent))
        .then((next) => {
          etag = next;
        }, () => undefined);
    };

    const source = await services.openSource(spec.source);
    try {
      const target = readTargetOf(spec);
      const result = await copyChunk(source, container, {
        chunk: input.chunk,
        range: chunk.range,
        target,
        output: spec.output,
        columns: run.columns,
        key: spec.chunking && run.keyKind ? { column: spec.chunking.column, kind: run.keyKind } : undefined,
        window: run.window,
        orderBy: run.orderBy,
        paths: runPaths({ pipelineId: input.pipelineId, runId: input.runId, table: tableName(target), template: spec.output.pathTemplate }),
        maxRows: spec.maxRows,
        signal: stop.signal,
      }, onProgress);
      await progressWrite;
      if (result.truncated) await services.queries.markTruncated(input.pipelineId);
      const ended = services.now();
      const done = { ...record, status: ChunkStatus.done, rows: result.rows, bytes: result.bytes, files: result.files, startedAt: started.toISOString(), endedAt: ended.toISOString() };
      // Another attempt wrote the record meanwhile: its files have the same names and bytes as
      // ours, so whichever finishes records the result.
      if (!etag || !(await services.chunks.replaceIfUnchanged(done, etag))) await services.chunks.save(done);
      const stats = { chunk: input.chunk, rows: result.rows, bytes: result.bytes, files: result.files.length, durationInMs: ended.getTime() - started.getTime() };
      events(RunEvent.chunkCompleted, { pipelineId: input.pipelineId, runId: input.runId, ...stats, status: ChunkStatus.done });
      return { outcome: 'done', ...stats };
    } finally {
      clearInterval(statusCheck);
      await source.close();
    }
  } catch (err) {
    if (err instanceof RunEndedError) return { outcome: 'stopped', chunk: input.chunk, status: err.status };
    // The read failed because the statement was cancelled on the server when the run ended.
    if (stop.signal.reason instanceof RunEndedError) return { outcome: 'stopped', chunk: input.chunk, status: stop.signal.reason.status };
    const error = withContext(err, context);
    if (error instanceof NonRetryableError) return { outcome: 'failed', chunk: input.chunk, error: capMessage(errorMessage(error), maxChunkErrorChars) };
    throw error;
  }
}

/**
 * Activity results are kept in the orchestration history and replayed on every episode; in a run
 * of thousands of chunks a long error text per result would make each replay slower and the
 * history larger. The run record keeps this text; its start says what went wrong. (Thrown errors
 * are capped by the registry's activity wrapper at maxErrorChars.)
 */
const maxChunkErrorChars = 2_000;
