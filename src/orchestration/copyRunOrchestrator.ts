import * as df from 'durable-functions';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { Activities, Orchestrations, cancelEventName } from './functionNames.js';
import { copyRunInputSchema, orchestrationVersions, preparedRunSchema, preparedTableRunSchema, type CopyRunInput, type FailRunInput, type PreparedRun, type RunRef, type StopTablesInput, type TableRunInput } from './activityContracts.js';
import { RunStatus } from '../spec/runStatus.js';
import { copyChunkRange, rangeEndingSchema, type ChunkRangeInput, type RangeEnding } from './copyChunkRange.js';

/**
 * One run: prepare, copy every chunk (see copyChunkRange), finalize. The run races a deadline
 * timer (its timeout) and the cancel event; a chunk that fails for good, or a deadline that
 * passes, ends the run failed or timed_out with the error and the chunk that caused it. From
 * version 2 on, a run that ends failed, cancelled or timed out then has its files deleted
 * (cleanupRun). From version 3 on, each chunk waits for a slot of its source's session semaphore
 * (source.maxSessions) before it copies, here in the orchestration (see copyChunkRange). From
 * version 4 on, a run of a many-table pipeline runs each table's run as a sub-orchestration of
 * this orchestrator (see copyTables), and every instance answers how its run ended.
 *
 * Versions. A deploy replays instances started by the previous code, and a replay that yields
 * other actions than its history recorded fails the instance. So the input says which shape
 * started the instance (startRun writes the current one; none is version 1) and the code keeps
 * yielding that shape's actions: every difference between versions is one `if` on the version,
 * here, where the reader of the flow sees it. Why not a new orchestrator name per shape: the
 * shapes differ by one call at the endings, and two copies of this function would drift apart
 * (a fix made in one and not the other); why not Durable Functions' own orchestration
 * versioning (host.json defaultVersion, context.df.version): it is in preview, needs a recent
 * extension bundle, and the local runtime would have to imitate it. A version stays here until no
 * instance of it can be running (the longest run timeout after the deploy that replaced it).
 * test/integration/orchestrationVersions.test.ts replays histories recorded by version 1.
 *
 * Replayed code: no clock, no randomness, no environment, no I/O outside context.df.
 */
export function* copyRunOrchestrator(context: OrchestrationContext): Generator<Task, string, unknown> {
  const input = copyRunInputSchema.parse(context.df.getInput());
  // Activities take the run alone, in every version (their inputs are part of the history too).
  // A table's orchestration learns its run from prepareTableRun; until then the ref is the pipeline's run.
  let ref: RunRef = { pipelineId: input.pipelineId, runId: input.runId };
  const tableRun = input.table !== undefined;
  const cleansUp = input.version >= orchestrationVersions.cleanupAtEnding;
  // Recorded inputs of sub-orchestrations stay as they were: the key only from version 3 on.
  const sourceSlots = input.version >= orchestrationVersions.sourceSlots ? { sourceSlots: true } : {};
  let deadline: TimerTask | undefined;
  let prepared = false;
  try {
    let plan: PreparedRun;
    if (tableRun) {
      const table: TableRunInput = { ...ref, table: input.table! };
      const answer = preparedTableRunSchema.parse(yield context.df.callActivity(Activities.prepareTableRun, table));
      ref = answer.ref;
      if (answer.ended !== undefined || !answer.plan) return answer.ended ?? RunStatus.skipped;
      plan = { ...answer.plan, maxParallel: Math.min(answer.plan.maxParallel, input.chunkParallel ?? answer.plan.maxParallel) };
    } else {
      plan = preparedRunSchema.parse(yield context.df.callActivity(Activities.prepareRun, ref));
      if (plan.skipped) return RunStatus.skipped;
    }
    prepared = true;
    if (plan.tables) {
      if (input.version < orchestrationVersions.tables) throw new Error('the pipeline now copies many tables (tables), which this run, started by an earlier version of Siphon, cannot; trigger a new run');
      return yield* copyTables(context, input.version, ref, plan, plan.tables);
    }
    deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + plan.timeoutMinutes * 60_000));
    const cancel = context.df.waitForExternalEvent(cancelEventName);
    const racing: Task[] = [deadline, cancel];

    // A run of more chunks than the prepared run's chunksPerOrchestration is copied slice by
    // slice, each slice in its own sub-orchestration with its own history, so the largest history
    // stays at about two events per chunk of one slice. Slices run one after another so
    // maxParallel holds for the whole run.
    const { chunksPerOrchestration } = plan;
    let ending: RangeEnding = { kind: 'done' };
    for (let first = 0; first < plan.chunkCount && ending.kind === 'done'; first += chunksPerOrchestration) {
      const slice: ChunkRangeInput = { ref, first, end: Math.min(plan.chunkCount, first + chunksPerOrchestration), maxParallel: plan.maxParallel, retry: plan.retry, ...sourceSlots };
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
      if (cleansUp) yield* cleanUp(context, ref);
      return RunStatus.timedOut;
    }
    deadline.cancel();
    deadline = undefined;
    // Cancelled, or ended by someone else meanwhile: the run record already says so.
    if (ending.kind === 'interrupted' || ending.kind === 'stopped') {
      if (cleansUp) yield* cleanUp(context, ref);
      return RunStatus.cancelled;
    }
    if (ending.kind === 'failed') {
      const failure: FailRunInput = { ...ref, error: ending.error, chunk: ending.chunk };
      yield context.df.callActivity(Activities.failRun, failure);
      if (cleansUp) yield* cleanUp(context, ref);
      return RunStatus.failed;
    }
    yield context.df.callActivity(Activities.finalizeRun, ref);
    return RunStatus.succeeded;
  } catch (err) {
    if (deadline && !deadline.isCompleted) deadline.cancel();
    // A table's orchestration whose prepareTableRun failed has no run of its own to fail: the
    // pipeline's run counts the table as not succeeded when it finishes.
    if (tableRun && !prepared) return RunStatus.failed;
    const failure: FailRunInput = { ...ref, error: err instanceof Error ? err.message : String(err) };
    yield context.df.callActivity(Activities.failRun, failure);
    if (cleansUp) yield* cleanUp(context, ref);
    return RunStatus.failed;
  }
}

/**
 * A run of a many-table pipeline (version 4 on): each table's run in a sub-orchestration of its
 * own (so each history stays that of one table), `parallel` at a time, each copying up to
 * `chunkParallel` chunks, so the tables together stay within the pipeline's maxParallel. A table
 * that does not succeed stops the others only with failFast; a deadline or a cancel stops them
 * all (their chunks see their runs ended and stop). finishTablesRun then ends the run: succeeded
 * with its run manifest when every table did, else failed naming the tables that did not.
 */
function* copyTables(context: OrchestrationContext, version: number, ref: RunRef, plan: PreparedRun, tables: NonNullable<PreparedRun['tables']>): Generator<Task, string, unknown> {
  const deadline = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + plan.timeoutMinutes * 60_000));
  const cancel = context.df.waitForExternalEvent(cancelEventName);
  const running = new Map<Task, number>();
  let next = 0;
  let stopping = false;
  while ((next < tables.count && !stopping) || running.size > 0) {
    while (!stopping && next < tables.count && running.size < tables.parallel) {
      const table: CopyRunInput = { ...ref, version, table: next, chunkParallel: tables.chunkParallel };
      running.set(context.df.callSubOrchestrator(Orchestrations.copyRun, table, `${context.df.instanceId}:table-${next}`), next++);
    }
    const finished = (yield context.df.Task.any([...running.keys(), deadline, cancel])) as Task;
    if (finished === deadline) {
      const reason = `the run passed its timeout of ${plan.timeoutMinutes} minutes`;
      const stop: StopTablesInput = { ...ref, status: 'timed_out', reason };
      yield context.df.callActivity(Activities.stopTables, stop);
      const timedOut: FailRunInput = { ...ref, status: 'timed_out', error: reason };
      yield context.df.callActivity(Activities.failRun, timedOut);
      return RunStatus.timedOut;
    }
    if (finished === cancel) {
      const stop: StopTablesInput = { ...ref, status: 'cancelled', reason: 'the run was cancelled' };
      yield context.df.callActivity(Activities.stopTables, stop);
      return RunStatus.cancelled;
    }
    const index = running.get(finished)!;
    running.delete(finished);
    const status = finished.isFaulted ? RunStatus.failed : String(finished.result);
    if (status !== RunStatus.succeeded && tables.failFast && !stopping) {
      stopping = true;
      const stop: StopTablesInput = { ...ref, status: 'cancelled', reason: `failFast: table ${index + 1} of the run ended ${status}` };
      yield context.df.callActivity(Activities.stopTables, stop);
    }
  }
  deadline.cancel();
  return String(yield context.df.callActivity(Activities.finishTablesRun, ref));
}

/** A few quick tries; deleting blobs fails mostly for throttling, which passes. */
const cleanupRetry = new df.RetryOptions(5_000, 3);

/**
 * Deletes the files of the run that just ended (cleanupRun). A cleanup that keeps failing does
 * not change how the run ended: the sweep tries again later.
 */
function* cleanUp(context: OrchestrationContext, ref: RunRef): Generator<Task, void, unknown> {
  try {
    yield context.df.callActivityWithRetry(Activities.cleanupRun, cleanupRetry, ref);
  } catch {
    // Left to the sweep (sweepEndedRuns), which cleans every such run after a grace period.
  }
}
