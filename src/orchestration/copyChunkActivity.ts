import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { copyChunk } from '../copy/copyChunk.js';
import { ChunkStatus } from '../spec/runStatus.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import { runPaths } from '../sink/blobPaths.js';
import type { ChunkStats, CopyChunkInput } from './activityContracts.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';

const progressIntervalInMs = 1_000;

/**
 * Copies one planned chunk and records its files in the chunk record. Running it again with the
 * same input rewrites the same blob names with the same rows and the same record, which is what
 * makes at-least-once execution produce exactly-once output.
 */
export async function copyChunkActivity(services: Services, input: CopyChunkInput, events: RunEventLog = discardRunEvents): Promise<ChunkStats> {
  const context = `Pipeline ${input.pipelineId}, run ${input.runId}, chunk ${input.chunk}`;
  try {
    const run = await services.runs.get(input.pipelineId, input.runId);
    if (!run?.spec || !run.columns || !run.orderBy) throw new NonRetryableError('the run has not been prepared');
    const chunk = await services.chunks.get(input.runId, input.chunk);
    if (!chunk) throw new NonRetryableError('the chunk is not in the run plan');
    const { spec } = run;
    const started = services.now();
    const container = services.dataBlobs.getContainerClient(spec.output.container);
    await container.createIfNotExists();

    // Progress is best effort: a lost heartbeat only makes a progress bar lag.
    let lastProgressAt = 0;
    let progressWrite: Promise<void> = Promise.resolve();
    const onProgress = (rows: number) => {
      const now = Date.now();
      if (now - lastProgressAt < progressIntervalInMs) return;
      lastProgressAt = now;
      progressWrite = services.chunks.save({ ...chunk, status: ChunkStatus.copying, rows, startedAt: started.toISOString() }).catch(() => undefined);
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
        orderBy: run.orderBy,
        paths: runPaths({ pipelineId: input.pipelineId, runId: input.runId, table: tableName(target), template: spec.output.pathTemplate }),
      }, onProgress);
      await progressWrite;
      const ended = services.now();
      await services.chunks.save({ ...chunk, status: ChunkStatus.done, rows: result.rows, bytes: result.bytes, files: result.files, startedAt: started.toISOString(), endedAt: ended.toISOString() });
      const stats = { chunk: input.chunk, rows: result.rows, bytes: result.bytes, files: result.files.length, durationInMs: ended.getTime() - started.getTime() };
      events(RunEvent.chunkCompleted, { pipelineId: input.pipelineId, runId: input.runId, ...stats, status: ChunkStatus.done });
      return stats;
    } finally {
      await source.close();
    }
  } catch (err) {
    throw withContext(err, `${context}`);
  }
}
