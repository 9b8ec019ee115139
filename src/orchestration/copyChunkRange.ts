import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { z } from 'zod';
import { Activities } from './functionNames.js';
import { chunkOutcomeSchema, runRefSchema, slotOutcomeSchema, type AcquireSlotInput, type CopyChunkInput } from './activityContracts.js';
import { retrySchema } from '../spec/pipelineSpec.js';

export const chunkRangeInputSchema = z.object({
  ref: runRefSchema,
  first: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  maxParallel: z.number().int().positive(),
  retry: retrySchema,
  /** Version 3 on: each chunk attempt takes a slot of its source's session semaphore first. Absent in inputs recorded before. */
  sourceSlots: z.boolean().optional(),
});
export type ChunkRangeInput = z.infer<typeof chunkRangeInputSchema>;

/** How copying a range of chunks ended. */
export const rangeEndingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('done') }),
  z.object({ kind: z.literal('failed'), chunk: z.number().int(), error: z.string() }),
  z.object({ kind: z.literal('stopped'), status: z.string() }),
  /** One of the tasks the caller races the chunks against (a deadline, a cancel event) finished first. */
  z.object({ kind: z.literal('interrupted'), task: z.number().int() }),
]);
export type RangeEnding = z.infer<typeof rangeEndingSchema>;

/**
 * What an open task of the range is: a chunk's copy, its backoff before the next attempt, or
 * (source slots) the try for a slot of the chunk at the head of the queue, or the timer before
 * the next try.
 */
type Pending = { chunk: number; attempt: number; stage: 'copy' | 'backoff' | 'acquire' | 'slotWait' };

/** A storage error while asking for a slot: asked again after this, up to retry.maxAttempts times in a row. */
const acquireErrorDelaySeconds = 5;

/**
 * Copies chunks [first, end) with at most maxParallel in flight, in a sliding window: a slow
 * chunk never holds back the next ones. A chunk whose copy throws (a dropped connection, a
 * throttled upload) is tried again after an exponential backoff on a durable timer, up to
 * retry.maxAttempts; one that fails for good (a NonRetryableError, reported as an outcome)
 * ends the range at once, as does a run that ended meanwhile. `racing` are tasks the caller
 * wants to stop for (a deadline timer, a cancel event).
 *
 * With source slots (orchestration version 3 on), a chunk attempt copies only while it holds a
 * slot of its source's session semaphore (source.maxSessions). Its copy takes one as it starts
 * (no extra activity while the source has room); when none is free the copy answers `waiting`
 * at once, and from then on the range's chunks queue in order: the one at the head waits on a
 * durable timer and asks (acquireSourceSlot), and copies with the slot it gets. The wait costs
 * no worker, and the history grows by four events per try of the whole range, not per chunk.
 * Only the head holds a place in the source's queue, so runs waiting on one source take turns
 * slot by slot. The copy frees its slot when it ends, and the head then asks at once (its timer
 * cancelled): a run with more chunks in parallel than the source has sessions goes on at the
 * pace its copies end, not at the pace of the timer.
 *
 * Replayed code: no clock, no randomness, no I/O outside context.df.
 */
export function* copyChunkRange(context: OrchestrationContext, input: ChunkRangeInput, racing: Task[] = []): Generator<Task, RangeEnding, unknown> {
  const { ref, retry } = input;
  const slots = input.sourceSlots === true;
  const inFlight = new Map<Task, Pending>();
  /** Chunk attempts owed a slot, first come first served; the head is the one asking. */
  const queue: Array<{ chunk: number; attempt: number }> = [];
  let asking = false;
  /** The head's timer before it asks again, while it runs. */
  let waitTimer: TimerTask | undefined;
  /** A copy of this range ended (freeing its slot) since the head last asked: ask again at once rather than wait. */
  let freed = false;
  let acquireErrors = 0;
  const copy = (chunk: number, attempt: number, sourceSlot?: number | 'try') => {
    const activityInput: CopyChunkInput = { ...ref, chunk, attempt, ...(sourceSlot === undefined ? {} : { sourceSlot }) };
    inFlight.set(context.df.callActivity(Activities.copyChunk, activityInput), { chunk, attempt, stage: 'copy' });
  };
  // While no chunk of the range waits, a chunk copies at once (with slots, taking one as it
  // starts: no extra activity per chunk); once one waits, the next ones queue behind it.
  const start = (chunk: number, attempt: number) => {
    if (slots && queue.length > 0) queue.push({ chunk, attempt });
    else copy(chunk, attempt, slots ? 'try' : undefined);
  };
  const ask = () => {
    freed = false;
    const head = queue[0]!;
    const acquire: AcquireSlotInput = { ...ref, chunk: head.chunk, attempt: head.attempt };
    inFlight.set(context.df.callActivity(Activities.acquireSourceSlot, acquire), { ...head, stage: 'acquire' });
  };
  const waitToAsk = (seconds: number, head: { chunk: number; attempt: number }) => {
    waitTimer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + seconds * 1000));
    inFlight.set(waitTimer, { ...head, stage: 'slotWait' });
  };
  /** A copy ended and gave its slot back: the head, if it is waiting out its timer, asks now. */
  const slotFreed = () => {
    freed = true;
    if (!waitTimer) return;
    // Fired already, in the same episode as this copy's end: nothing to cancel, and it is dropped unread.
    if (!waitTimer.isCompleted) waitTimer.cancel();
    inFlight.delete(waitTimer);
    waitTimer = undefined;
    ask();
  };
  const occupied = () => queue.length + [...inFlight.values()].filter((task) => task.stage === 'copy' || task.stage === 'backoff').length;
  let next = input.first;
  while (next < input.end || inFlight.size > 0 || queue.length > 0) {
    while (next < input.end && occupied() < input.maxParallel) start(next++, 1);
    if (queue.length > 0 && !asking) {
      asking = true;
      ask();
    }
    const finished = (yield context.df.Task.any([...inFlight.keys(), ...racing])) as Task;
    const raced = racing.indexOf(finished);
    if (raced >= 0) return { kind: 'interrupted', task: raced };
    const task = inFlight.get(finished)!;
    inFlight.delete(finished);
    if (task.stage === 'backoff') {
      start(task.chunk, task.attempt + 1);
      continue;
    }
    if (task.stage === 'slotWait') {
      waitTimer = undefined;
      ask();
      continue;
    }
    if (task.stage === 'acquire') {
      if (finished.isFaulted) {
        const error = finished.result instanceof Error ? finished.result.message : String(finished.result);
        if (++acquireErrors >= retry.maxAttempts) return { kind: 'failed', chunk: task.chunk, error: `${error} (after ${acquireErrors} tries for a source session)` };
        waitToAsk(acquireErrorDelaySeconds, task);
        continue;
      }
      acquireErrors = 0;
      const answer = slotOutcomeSchema.parse(finished.result);
      if (answer.outcome === 'stopped') return { kind: 'stopped', status: answer.status };
      if (answer.outcome === 'waiting') {
        if (freed) ask();
        else waitToAsk(answer.retryAfterSeconds, task);
        continue;
      }
      queue.shift();
      asking = false;
      copy(task.chunk, task.attempt, answer.slot ?? 'try');
      continue;
    }
    const outcome = finished.isFaulted ? undefined : chunkOutcomeSchema.parse(finished.result);
    if (slots && outcome?.outcome !== 'waiting') slotFreed();
    if (!outcome) {
      const error = finished.result instanceof Error ? finished.result.message : String(finished.result);
      if (task.attempt >= retry.maxAttempts) return { kind: 'failed', chunk: task.chunk, error: `${error} (after ${task.attempt} attempts)` };
      const delaySeconds = Math.min(retry.firstDelaySeconds * retry.backoffCoefficient ** (task.attempt - 1), retry.maxDelaySeconds);
      const fireAt = new Date(context.df.currentUtcDateTime.getTime() + delaySeconds * 1000);
      inFlight.set(context.df.createTimer(fireAt), { ...task, stage: 'backoff' });
      continue;
    }
    if (outcome.outcome === 'failed') return { kind: 'failed', chunk: outcome.chunk, error: outcome.error };
    if (outcome.outcome === 'stopped') return { kind: 'stopped', status: outcome.status };
    if (outcome.outcome === 'waiting') {
      // No slot was free: to the queue, whose head asks again after the wait.
      queue.push({ chunk: task.chunk, attempt: task.attempt });
      if (!asking) {
        asking = true;
        waitToAsk(outcome.retryAfterSeconds, queue[0]!);
      }
    }
  }
  return { kind: 'done' };
}
