import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { Activities, Orchestrations, cancelEventName } from './functionNames.js';
import { preparedRunSchema, runRefSchema, type FailRunInput } from './activityContracts.js';
import { copyChunkRange, rangeEndingSchema, type ChunkRangeInput, type RangeEnding } from './copyChunkRange.js';

/**
 * Chunks per sub-orchestration. A run with more is copied slice by slice, each slice in its own
 * sub-orchestration with its own history, so the largest history stays at about two events per
 * chunk of one slice. Slices run one after another so maxParallel holds for the whole run.
 */
export const chunksPerOrchestration = 100;

/**
 * One run: prepare, copy every chunk (see copyChunkRange), finalize. The run races a deadline
 * timer (its timeout) and the cancel event; a chunk that fails for good, or a deadline that
 * passes, ends the run failed or timed_out with the error and the chunk that caused it.
 *
 * Replayed code: no clock, no randomness, no environment, no I/O outside context.df.
 */
export function* copyRunOrchestrator(context: OrchestrationContext): Generator<Task, void, unknown> {
  const ref = runRefSchema.parse(context.df.getInput());
  let deadline: TimerTask | undefined;
  try {
    const plan = preparedRunSchema.parse(yield context.df.callActivity(Activities.prepareRun, ref));
    if (plan.skipped) return;
    deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + plan.timeoutMinutes * 60_000));
    const cancel = context.df.waitForExternalEvent(cancelEventName);
    const racing: Task[] = [deadline, cancel];

    let ending: RangeEnding = { kind: 'done' };
    for (let first = 0; first < plan.chunkCount && ending.kind === 'done'; first += chunksPerOrchestration) {
      const slice: ChunkRangeInput = { ref, first, end: Math.min(plan.chunkCount, first + chunksPerOrchestration), maxParallel: plan.maxParallel, retry: plan.retry };
      if (plan.chunkCount <= chunksPerOrchestration) {
        ending = yield* copyChunkRange(context, slice, racing);
        break;
      }
      const child = context.df.callSubOrchestrator(Orchestrations.copyChunks, slice, `${context.df.instanceId}:chunks-${first}`);
      const finished = (yield context.df.Task.any([child, ...racing])) as Task;
      const raced = racing.indexOf(finished);
      if (raced >= 0) ending = { kind: 'interrupted', task: raced };
      else if (finished.isFaulted) throw finished.result instanceof Error ? finished.result : new Error(String(finished.result));
      else ending = rangeEndingSchema.parse(finished.result);
    }

    if (ending.kind === 'interrupted' && racing[ending.task] === deadline) {
      deadline = undefined;
      const timedOut: FailRunInput = { ...ref, status: 'timed_out', error: `the run passed its timeout of ${plan.timeoutMinutes} minutes` };
      yield context.df.callActivity(Activities.failRun, timedOut);
      return;
    }
    deadline.cancel();
    deadline = undefined;
    // Cancelled, or ended by someone else meanwhile: the run record already says so.
    if (ending.kind === 'interrupted' || ending.kind === 'stopped') return;
    if (ending.kind === 'failed') {
      const failure: FailRunInput = { ...ref, error: ending.error, chunk: ending.chunk };
      yield context.df.callActivity(Activities.failRun, failure);
      return;
    }
    yield context.df.callActivity(Activities.finalizeRun, ref);
  } catch (err) {
    if (deadline && !deadline.isCompleted) deadline.cancel();
    const failure: FailRunInput = { ...ref, error: err instanceof Error ? err.message : String(err) };
    yield context.df.callActivity(Activities.failRun, failure);
  }
}
