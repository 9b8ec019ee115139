import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { ChunkStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { maxSessionsOf, slotTimings, tryAcquireSourceSlot } from '../sources/sourceSessions.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import type { StoredRun } from '../store/runStore.js';
import type { SourceSpec } from '../spec/pipelineSpec.js';
import type { AcquireSlotInput, SlotOutcome } from './activityContracts.js';

/** The holder of a chunk attempt's slot: the same in the acquire, the copy that uses it and every repeat of either. */
export function chunkSlotHolder(input: { runId: string; chunk: number; attempt: number }): string {
  return `${input.runId}:${input.chunk}:${input.attempt}`;
}

/**
 * One try for a slot of the source's session semaphore for a chunk attempt that was refused one
 * before (see copyChunkRange), never a wait: when none is free the orchestrator waits on a
 * durable timer and asks again, so no activity sits blocked holding a worker.
 */
export async function acquireSourceSlotActivity(services: Services, input: AcquireSlotInput): Promise<SlotOutcome> {
  try {
    const run = await services.runs.get(input.pipelineId, input.runId);
    if (!run?.spec) throw new NonRetryableError('the run has not been prepared');
    if (terminalRunStatuses.has(run.status)) return { outcome: 'stopped', status: run.status };
    // A re-ingest reads quarantined rows from blobs: no session on the source.
    if (run.reingestOf) return { outcome: 'acquired' };
    const answer = await tryAcquireSourceSlot(services, run.spec.source, chunkSlotHolder(input));
    if (answer.acquired) return { outcome: 'acquired', slot: answer.slot };
    return { outcome: 'waiting', ...(await recordWaiting(services, run, run.spec.source, input.chunk, input.attempt, answer.ahead)) };
  } catch (err) {
    throw withContext(err, `Pipeline ${input.pipelineId}, run ${input.runId}, chunk ${input.chunk}, waiting for a source session`);
  }
}

/**
 * Makes a chunk attempt's wait for a session visible: the chunk `waiting`, and (once per attempt)
 * `waitingForSource` on the run's timeline. Answers how long to wait before asking again.
 */
export async function recordWaiting(services: Services, run: StoredRun, source: SourceSpec, chunkIndex: number, attempt: number, ahead: number): Promise<{ ahead: number; retryAfterSeconds: number }> {
  const chunk = await services.chunks.get(run.runId, chunkIndex);
  if (chunk && (chunk.status === ChunkStatus.planned || chunk.status === ChunkStatus.retrying)) {
    const { etag, ...record } = chunk;
    await services.chunks.replaceIfUnchanged({ ...record, status: ChunkStatus.waiting }, etag).catch(() => undefined);
  }
  const maxSessions = maxSessionsOf(source);
  await appendRunEvent(services, run.runId, {
    type: RunEventType.waitingForSource,
    key: `${run.attempt}:${RunEventType.waitingForSource}:${chunkIndex}:${attempt}`,
    at: services.now(),
    fields: { runAttempt: run.attempt, chunk: chunkIndex, attempt, ahead, maxSessions, message: `waiting for source: all ${maxSessions} sessions (source.maxSessions) are in use` },
  });
  return { ahead, retryAfterSeconds: slotTimings(services).pollInMs / 1000 };
}
