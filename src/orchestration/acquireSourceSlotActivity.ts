import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { ChunkStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { maxSessionsOf, slotTimings, tryAcquireSourceSlot } from '../sources/sourceSessions.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import type { AcquireSlotInput, SlotOutcome } from './activityContracts.js';

/** The holder of a chunk attempt's slot: the same in the acquire, the copy that uses it and every repeat of either. */
export function chunkSlotHolder(input: { runId: string; chunk: number; attempt: number }): string {
  return `${input.runId}:${input.chunk}:${input.attempt}`;
}

/**
 * One try for a slot of the source's session semaphore for a chunk attempt, never a wait: when
 * none is free the orchestrator waits on a durable timer and asks again (copyChunkRange), so no
 * activity sits blocked holding a worker. The first refusal of an attempt marks the chunk
 * `waiting` and writes `waitingForSource` on the run's timeline.
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
    const chunk = await services.chunks.get(input.runId, input.chunk);
    if (chunk && (chunk.status === ChunkStatus.planned || chunk.status === ChunkStatus.retrying)) {
      const { etag, ...record } = chunk;
      await services.chunks.replaceIfUnchanged({ ...record, status: ChunkStatus.waiting }, etag).catch(() => undefined);
    }
    const maxSessions = maxSessionsOf(run.spec.source);
    await appendRunEvent(services, run.runId, {
      type: RunEventType.waitingForSource,
      key: `${run.attempt}:${RunEventType.waitingForSource}:${input.chunk}:${input.attempt}`,
      at: services.now(),
      fields: { runAttempt: run.attempt, chunk: input.chunk, attempt: input.attempt, ahead: answer.ahead, maxSessions, message: `waiting for source: all ${maxSessions} sessions (source.maxSessions) are in use` },
    });
    return { outcome: 'waiting', ahead: answer.ahead, retryAfterSeconds: slotTimings(services).pollInMs / 1000 };
  } catch (err) {
    throw withContext(err, `Pipeline ${input.pipelineId}, run ${input.runId}, chunk ${input.chunk}, waiting for a source session`);
  }
}
