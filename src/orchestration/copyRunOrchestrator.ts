import type { OrchestrationContext, Task } from 'durable-functions';
import { Activities } from './functionNames.js';
import { preparedRunSchema, runRefSchema, type CopyChunkInput, type FailRunInput } from './activityContracts.js';

/**
 * One run: prepare, copy every chunk with at most maxParallel in flight, finalize. Any failure
 * marks the run failed with the error and the chunk that caused it.
 *
 * Replayed code: no clock, no randomness, no environment, no I/O outside context.df.
 */
export function* copyRunOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const ref = runRefSchema.parse(context.df.getInput());
  let failedChunk: number | undefined;
  try {
    const plan = preparedRunSchema.parse(yield context.df.callActivity(Activities.prepareRun, ref));

    // A sliding window rather than batches: a slow chunk never holds back the next ones.
    const inFlight = new Map<Task, number>();
    let next = 0;
    while (next < plan.chunkCount || inFlight.size > 0) {
      while (next < plan.chunkCount && inFlight.size < plan.maxParallel) {
        const input: CopyChunkInput = { ...ref, chunk: next };
        inFlight.set(context.df.callActivity(Activities.copyChunk, input), next);
        next++;
      }
      const finished = (yield context.df.Task.any([...inFlight.keys()])) as Task;
      const chunk = inFlight.get(finished);
      inFlight.delete(finished);
      if (finished.isFaulted) {
        failedChunk = chunk;
        throw finished.result instanceof Error ? finished.result : new Error(String(finished.result));
      }
    }

    yield context.df.callActivity(Activities.finalizeRun, ref);
  } catch (err) {
    const failure: FailRunInput = { ...ref, error: err instanceof Error ? err.message : String(err), chunk: failedChunk };
    yield context.df.callActivity(Activities.failRun, failure);
  }
}
