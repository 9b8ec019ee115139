import type { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import { Activities } from './functionNames.js';
import { chunkOutcomeSchema, runRefSchema, type CopyChunkInput } from './activityContracts.js';
import { retrySchema } from '../spec/pipelineSpec.js';

export const chunkRangeInputSchema = z.object({
  ref: runRefSchema,
  first: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  maxParallel: z.number().int().positive(),
  retry: retrySchema,
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

type Slot = { chunk: number; attempt: number; waiting: boolean };

/**
 * Copies chunks [first, end) with at most maxParallel in flight, in a sliding window: a slow
 * chunk never holds back the next ones. A chunk whose copy throws (a dropped connection, a
 * throttled upload) is tried again after an exponential backoff on a durable timer, up to
 * retry.maxAttempts; one that fails for good (a NonRetryableError, reported as an outcome)
 * ends the range at once, as does a run that ended meanwhile. `racing` are tasks the caller
 * wants to stop for (a deadline timer, a cancel event).
 *
 * Replayed code: no clock, no randomness, no I/O outside context.df.
 */
export function* copyChunkRange(context: OrchestrationContext, input: ChunkRangeInput, racing: Task[] = []): Generator<Task, RangeEnding, unknown> {
  const { ref, retry } = input;
  const inFlight = new Map<Task, Slot>();
  const copy = (chunk: number, attempt: number) => {
    const activityInput: CopyChunkInput = { ...ref, chunk, attempt };
    inFlight.set(context.df.callActivity(Activities.copyChunk, activityInput), { chunk, attempt, waiting: false });
  };
  let next = input.first;
  while (next < input.end || inFlight.size > 0) {
    while (next < input.end && inFlight.size < input.maxParallel) copy(next++, 1);
    const finished = (yield context.df.Task.any([...inFlight.keys(), ...racing])) as Task;
    const raced = racing.indexOf(finished);
    if (raced >= 0) return { kind: 'interrupted', task: raced };
    const slot = inFlight.get(finished)!;
    inFlight.delete(finished);
    if (slot.waiting) {
      copy(slot.chunk, slot.attempt + 1);
      continue;
    }
    if (finished.isFaulted) {
      const error = finished.result instanceof Error ? finished.result.message : String(finished.result);
      if (slot.attempt >= retry.maxAttempts) return { kind: 'failed', chunk: slot.chunk, error: `${error} (after ${slot.attempt} attempts)` };
      const delaySeconds = Math.min(retry.firstDelaySeconds * retry.backoffCoefficient ** (slot.attempt - 1), retry.maxDelaySeconds);
      const fireAt = new Date(context.df.currentUtcDateTime.getTime() + delaySeconds * 1000);
      inFlight.set(context.df.createTimer(fireAt), { ...slot, waiting: true });
      continue;
    }
    const outcome = chunkOutcomeSchema.parse(finished.result);
    if (outcome.outcome === 'failed') return { kind: 'failed', chunk: outcome.chunk, error: outcome.error };
    if (outcome.outcome === 'stopped') return { kind: 'stopped', status: outcome.status };
  }
  return { kind: 'done' };
}
