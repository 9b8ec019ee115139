import functions, { type InvocationContext, type LogHandler } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { ensureErrorType, NonRetryableError } from '../../errors/errorTypes.js';
import type { OrchestrationStarter } from '../../jobs/orchestrationStarter.js';
import { Semaphore } from '../semaphore.js';
import {
  completedId, completedIds, EventType, eventRaised, executionStarted, executionTerminated, orchestratorStarted, scheduledIds,
  subOrchestrationCompleted, subOrchestrationCreated, subOrchestrationFailed, taskCompleted, taskFailed, taskScheduled, timerCreated, timerFired,
  type HistoryEvent,
} from './historyEvents.js';
import { replay, type OpenTask } from './durableInternals.js';
import { isTerminal, maxEventChars, maxPropertyChars, OversizeEventError, type InstanceRecord, type InstanceStore } from './instanceStore.js';
import { capError, capMessage } from '../../errors/capMessage.js';
import { newTraceParent } from '../../observability/telemetry.js';

export type ActivityHandler = (input: unknown, context: InvocationContext) => Promise<unknown>;

export type LocalDurableEngineOptions = {
  store: InstanceStore;
  orchestrations: Map<string, OrchestrationHandler>;
  activities: Map<string, ActivityHandler>;
  maxConcurrentActivities: number;
  log: LogHandler;
};

type Waiter = { resolve: () => void; reject: (err: Error) => void };

type LiveInstance = {
  record: InstanceRecord;
  history: HistoryEvent[];
  /** Events waiting for the next episode; a raised event's caller waits until it is persisted. */
  inbox: Array<{ event: HistoryEvent; persisted?: Waiter }>;
  /** Sequence ids whose work runs (or whose timer is armed) in this process. */
  dispatched: Set<number>;
  timers: Set<NodeJS.Timeout>;
  /** Sub-orchestrations being created or looked up for this instance. */
  starting: Set<Promise<void>>;
  episode?: Promise<void>;
  again: boolean;
  /** Set by terminate: the next episode ends the instance instead of replaying it. */
  termination?: { reason: string; waiters: Waiter[] };
  /** Finished or terminated: no more episodes, results of its work are ignored. */
  ended: boolean;
};

/** The wire-format instance id the Durable Task framework gives a sub-orchestration started without one. */
export const childInstanceId = (parentInstanceId: string, sequenceId: number): string => `${parentInstanceId}:${sequenceId}`;

/**
 * Runs Durable Functions orchestrations in one Node process, with the library's own replay
 * executor, as the Durable Task extension does in the Functions host:
 * - each episode appends new events to the history, replays the orchestrator over all of it, and
 *   persists the tasks it now waits on (TaskScheduled / TimerCreated /
 *   SubOrchestrationInstanceCreated) before running them;
 * - activities of all instances run at most `maxConcurrentActivities` at a time, and their
 *   results come back as TaskCompleted / TaskFailed events for the next episode;
 * - a sub-orchestration is an instance of its own whose record points back at its parent and the
 *   parent's task; when it ends, the parent gets SubOrchestrationInstanceCompleted / Failed. The
 *   child's record is saved before the parent is told, and a parent that replays onto an open
 *   sub-orchestration task reads the child's record: it resumes a child that is still running (one
 *   live copy per instance id) and takes the result of one that has ended, so a crash between the
 *   two loses nothing; completions already in the history are never appended twice;
 * - raised events are appended as EventRaised, buffered in the history until the orchestrator
 *   waits for them; terminate ends an instance and its open sub-orchestrations as Terminated;
 * - history lives in Table Storage, so after a crash `resumeAll` replays every unfinished
 *   instance and runs again whatever was scheduled but had not completed (at-least-once).
 */
export class LocalDurableEngine implements OrchestrationStarter {
  private readonly live = new Map<string, LiveInstance>();
  private readonly loading = new Map<string, Promise<LiveInstance | undefined>>();
  private readonly activitySlots: Semaphore;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The engine's own storage work (episodes, loads, child starts), which `stop` lets settle. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Callers waiting on a raised event or a termination, released with an error by `stop`. */
  private readonly waiters = new Set<Waiter>();
  private stopped = false;
  private activitiesInProcess = 0;

  constructor(private readonly options: LocalDurableEngineOptions) {
    this.activitySlots = new Semaphore(options.maxConcurrentActivities);
  }

  async startIfAbsent(orchestrationName: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
    this.assertRunning();
    if (!this.options.orchestrations.has(orchestrationName)) throw new NonRetryableError(`No orchestration named ${orchestrationName} is registered`);
    const now = new Date().toISOString();
    const record: InstanceRecord = { instanceId, name: orchestrationName, status: 'Pending', input, createdAt: now, updatedAt: now };
    if (!(await this.options.store.create(record))) return 'exists';
    await this.ensureLive(instanceId, record);
    return 'started';
  }

  /**
   * Delivers an external event; resolves once it is in the instance's history. Like the durable
   * client: an unknown instance is an error, one that is no longer running is left alone.
   */
  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    if (!eventName) throw new Error('eventName must be a valid string.');
    const event = eventRaised(eventName, data);
    const size = JSON.stringify(event).length;
    if (size > maxEventChars) throw new OversizeEventError(`Event ${eventName} for ${instanceId} is ${size} characters; the local runtime keeps at most ${maxEventChars} per history event`);
    const instance = await this.runningInstance(instanceId);
    if (!instance) return;
    await new Promise<void>((resolve, reject) => {
      const persisted = this.waiter(resolve, reject);
      this.deliver(instance, event, persisted);
    });
  }

  /**
   * Ends a running instance as Terminated, with its open sub-orchestrations; resolves once that is
   * persisted. Its timers are cleared, and results of its activities still running are ignored.
   */
  async terminate(instanceId: string, reason: string): Promise<void> {
    const instance = await this.runningInstance(instanceId);
    if (instance) await this.requestTermination(instance, reason);
  }

  /**
   * Activities dispatched and not yet returned, waiting for a slot or running, including those of
   * instances that ended meanwhile (a chunk copy still finishing after its run was cancelled).
   * Tests wait for 0 to know that nothing can write any more.
   */
  get runningActivities(): number {
    return this.activitiesInProcess;
  }

  /** Picks up every instance a previous process left unfinished. */
  async resumeAll(): Promise<number> {
    this.assertRunning();
    const active = await this.options.store.listActive();
    for (const record of active) await this.ensureLive(record.instanceId);
    return active.length;
  }

  /**
   * Stops as a crash would: no more episodes, timers or writes, and callers waiting on the engine
   * get an error. Resolves once storage work already under way has settled, so another engine can
   * take over the same store; activities already running finish on their own, unrecorded.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of [...this.waiters]) waiter.reject(new Error('The local durable engine stopped'));
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private assertRunning(): void {
    if (this.stopped) throw new Error('The local durable engine is stopped');
  }

  /** The live instance for a running id (loading it if needed); undefined when it has ended. */
  private async runningInstance(instanceId: string): Promise<LiveInstance | undefined> {
    this.assertRunning();
    const live = this.live.get(instanceId);
    if (live && !live.ended) return live;
    const record = await this.options.store.get(instanceId);
    if (!record) throw new Error(`No instance with ID '${instanceId}' found.`);
    if (isTerminal(record.status)) return undefined;
    return this.ensureLive(instanceId);
  }

  /**
   * One live copy per instance id: concurrent callers (resumeAll, a parent resuming its child,
   * raiseEvent) share it. `created` is the record just written; otherwise the stored one is read,
   * so an instance that ended meanwhile is not started again.
   */
  private ensureLive(instanceId: string, created?: InstanceRecord): Promise<LiveInstance | undefined> {
    const live = this.live.get(instanceId);
    if (live) return Promise.resolve(live);
    const loading = this.loading.get(instanceId);
    if (loading) return loading;
    const promise = this.track(this.load(instanceId, created)).finally(() => this.loading.delete(instanceId));
    this.loading.set(instanceId, promise);
    return promise;
  }

  private async load(instanceId: string, created: InstanceRecord | undefined): Promise<LiveInstance | undefined> {
    const { store } = this.options;
    const record = created ?? (await store.get(instanceId));
    if (this.stopped || !record || isTerminal(record.status)) return undefined;
    let history = await store.loadHistory(instanceId);
    if (this.stopped) return undefined;
    if (history.length === 0) {
      history = [orchestratorStarted(), executionStarted(record.name, record.input, record.parentInstanceId)];
      await store.appendHistory(instanceId, 0, history);
    }
    const instance: LiveInstance = { record, history, inbox: [], dispatched: new Set(), timers: new Set(), starting: new Set(), again: false, ended: false };
    // A child whose parent was terminated before the termination reached it (a crash) ends too.
    // (A child created just now is reached by its parent's termination, which waits for it.)
    if (record.parentInstanceId && !created) {
      const parent = await store.get(record.parentInstanceId);
      if (parent?.status === 'Terminated') instance.termination = { reason: String(parent.output ?? 'parent terminated'), waiters: [] };
    }
    if (this.stopped) return undefined;
    this.live.set(instanceId, instance);
    this.schedule(instance);
    return instance;
  }

  private deliver(instance: LiveInstance, event: HistoryEvent, persisted?: Waiter): void {
    // An instance that has ended takes nothing more, as a raised event to it has no effect.
    if (instance.ended) return persisted?.resolve();
    instance.inbox.push({ event, persisted });
    this.schedule(instance);
  }

  private requestTermination(instance: LiveInstance, reason: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = this.waiter(resolve, reject);
      if (instance.ended) return done.resolve();
      instance.termination ??= { reason, waiters: [] };
      instance.termination.waiters.push(done);
      this.clearTimers(instance);
      this.schedule(instance);
    });
  }

  /** One episode at a time per instance; events that arrive meanwhile wait for the next one. */
  private schedule(instance: LiveInstance): void {
    if (this.stopped || instance.ended) return;
    if (instance.episode) {
      instance.again = true;
      return;
    }
    const episode = this.runEpisode(instance)
      .catch((err: unknown) => this.options.log('error', `Orchestration ${instance.record.instanceId}: ${ensureErrorType(err).message}`))
      .finally(() => {
        instance.episode = undefined;
        if (instance.again) {
          instance.again = false;
          this.schedule(instance);
        }
      });
    instance.episode = episode;
    this.track(episode);
  }

  private async runEpisode(instance: LiveInstance): Promise<void> {
    if (this.stopped || instance.ended) return;
    if (instance.termination) return this.applyTermination(instance);
    const { record } = instance;
    const handler = this.options.orchestrations.get(record.name);
    if (!handler) throw new Error(`No orchestration named ${record.name} is registered`);

    const arrived = instance.inbox.splice(0);
    let persisted = false;
    try {
      // A completion can reach an instance twice (a child's own notice and the parent reading the
      // child's record after a restart); the history keeps the first.
      const completed = completedIds(instance.history);
      const fresh: HistoryEvent[] = [];
      for (const { event } of arrived) {
        const id = completedId(event);
        if (id !== undefined && completed.has(id)) continue;
        if (id !== undefined) completed.add(id);
        fresh.push(event);
      }
      if (arrived.length && !fresh.length) return;
      const newEvents: HistoryEvent[] = fresh.length ? [orchestratorStarted(), ...fresh] : [];
      const history = [...instance.history, ...newEvents];
      const result = await replay(handler, record.name, record.instanceId, history, record.input, this.replayLog(record.instanceId), record.parentInstanceId);

      const alreadyScheduled = scheduledIds(history);
      const work: Array<[number, OpenTask]> = [];
      let unsupported: string | undefined;
      for (const [id, task] of result.openTasks) {
        if (task.kind === 'externalEvent') continue;
        if (task.kind === 'unsupported') {
          unsupported ??= task.description;
          continue;
        }
        if (!alreadyScheduled.has(id)) newEvents.push(scheduleEvent(record.instanceId, id, task));
        work.push([id, task]);
      }

      // Write-ahead: the scheduled tasks are in storage before any of them runs.
      if (this.stopped || instance.termination) throw new Interrupted();
      await this.options.store.appendHistory(record.instanceId, instance.history.length, newEvents);
      persisted = true;
      instance.history = [...instance.history, ...newEvents];
      for (const { persisted: waiter } of arrived) waiter?.resolve();

      if (result.outcome === 'completed') return await this.finish(instance, { ...record, status: 'Completed', output: result.output });
      if (result.outcome === 'failed') return await this.finish(instance, { ...record, status: 'Failed', error: result.error, errorType: result.errorType });
      if (unsupported) return await this.finish(instance, { ...record, status: 'Failed', error: `the local runtime does not run ${unsupported}`, errorType: 'Error' });
      if (record.status === 'Pending') {
        if (this.stopped) return;
        instance.record = { ...record, status: 'Running', updatedAt: new Date().toISOString() };
        await this.options.store.save(instance.record);
      }
      if (!this.isCurrent(instance)) return;
      const scheduled = scheduledIds(instance.history);
      for (const [id, task] of work) {
        if (instance.dispatched.has(id)) continue;
        instance.dispatched.add(id);
        this.dispatch(instance, id, task, scheduled.get(id));
      }
    } catch (err) {
      if (err instanceof Interrupted) {
        // Events not yet persisted go back to the inbox for the next episode.
        if (!persisted) instance.inbox.unshift(...arrived);
        return;
      }
      if (!persisted && err instanceof OversizeEventError) {
        // What the orchestrator asked for (an activity input, a child's input) cannot be stored:
        // replaying would ask again, so the instance fails instead of waiting forever.
        for (const { persisted: waiter } of arrived) waiter?.resolve();
        return await this.finish(instance, { ...record, status: 'Failed', error: err.message, errorType: err.name });
      }
      if (!persisted) {
        // A storage failure: the events wait for the next episode, but whoever raised one hears
        // of the failure now instead of waiting on an episode that may never come.
        for (const { persisted: waiter } of arrived) waiter?.reject(ensureErrorType(err));
        instance.inbox.unshift(...arrived.map(({ event }) => ({ event })));
      }
      throw err;
    }
  }

  private async finish(instance: LiveInstance, record: InstanceRecord): Promise<void> {
    if (this.stopped) return;
    const outputChars = record.status === 'Completed' ? JSON.stringify(record.output ?? null).length : 0;
    if (outputChars > maxPropertyChars) {
      record = { ...record, status: 'Failed', output: undefined, errorType: 'OversizeEventError', error: `Orchestration ${record.instanceId} returned ${outputChars} characters; the local runtime keeps at most ${maxPropertyChars} of an orchestration's output` };
    }
    // A failed child's error goes into its parent's history too.
    if (record.error !== undefined) record = { ...record, error: capMessage(record.error, maxActivityErrorChars) };
    instance.record = { ...record, updatedAt: new Date().toISOString() };
    await this.options.store.save(instance.record);
    this.end(instance);
    this.notifyParent(instance.record);
  }

  /** Terminated is persisted first; its open sub-orchestrations end after it, then its parent hears. */
  private async applyTermination(instance: LiveInstance): Promise<void> {
    const { store } = this.options;
    const { reason } = instance.termination!;
    this.clearTimers(instance);
    await Promise.allSettled([...instance.starting]);
    if (this.stopped) return;
    const events = [orchestratorStarted(), executionTerminated(reason)];
    await store.appendHistory(instance.record.instanceId, instance.history.length, events);
    instance.history = [...instance.history, ...events];
    if (this.stopped) return;
    instance.record = { ...instance.record, status: 'Terminated', output: reason, updatedAt: new Date().toISOString() };
    await store.save(instance.record);

    await Promise.all(openChildren(instance.history).map(async (childId) => {
      try {
        const child = await this.runningInstance(childId);
        if (child) await this.requestTermination(child, reason);
      } catch (err) {
        // A child that was never created has nothing to end.
        if (!ensureErrorType(err).message.startsWith('No instance with ID')) throw err;
      }
    }));
    this.end(instance);
    this.notifyParent(instance.record);
  }

  private end(instance: LiveInstance): void {
    instance.ended = true;
    if (this.live.get(instance.record.instanceId) === instance) this.live.delete(instance.record.instanceId);
    this.clearTimers(instance);
    // Raised events that never made it into the history had no effect, as on an ended instance.
    for (const { persisted } of instance.inbox.splice(0)) persisted?.resolve();
    for (const waiter of instance.termination?.waiters.splice(0) ?? []) waiter.resolve();
  }

  /** Tells a live parent that its sub-orchestration ended; a parent not live reads the child's record when it resumes. */
  private notifyParent(record: InstanceRecord): void {
    if (!record.parentInstanceId || record.parentTaskId === undefined) return;
    const parent = this.live.get(record.parentInstanceId);
    if (!parent || !this.isCurrent(parent)) return;
    this.deliver(parent, childOutcome(record));
  }

  private isCurrent(instance: LiveInstance): boolean {
    return !this.stopped && !instance.ended && !instance.termination && this.live.get(instance.record.instanceId) === instance;
  }

  private dispatch(instance: LiveInstance, id: number, task: OpenTask, scheduled: HistoryEvent | undefined): void {
    switch (task.kind) {
      case 'activity':
        void this.runActivity(instance, id, task.functionName, task.input);
        return;
      case 'subOrchestration': {
        const childId = typeof scheduled?.InstanceId === 'string' ? scheduled.InstanceId : task.instanceId ?? childInstanceId(instance.record.instanceId, id);
        const starting = this.startChild(instance, id, task.functionName, task.input, childId)
          .catch((err: unknown) => this.options.log('error', `Orchestration ${instance.record.instanceId}: sub-orchestration ${childId}: ${ensureErrorType(err).message}`))
          .finally(() => instance.starting.delete(starting));
        instance.starting.add(starting);
        this.track(starting);
        return;
      }
      case 'retryTimer':
      case 'timer': {
        const fireAt = scheduled?.FireAt instanceof Date ? scheduled.FireAt : task.kind === 'timer' ? task.fireAt : new Date(Date.now() + task.delayInMs);
        this.armTimer(instance, fireAt, () => this.deliver(instance, timerFired(id, fireAt)));
        return;
      }
      default:
        return;
    }
  }

  /**
   * Creates the child instance for the parent's task `id`, or, when its record exists already
   * (a replay after a restart), resumes it or hands its result to the parent. An instance id
   * reused from an ended instance (a retry with an explicit id) starts afresh.
   */
  private async startChild(parent: LiveInstance, id: number, name: string, input: unknown, childId: string): Promise<void> {
    const { store } = this.options;
    if (!this.isCurrent(parent)) return;
    if (!this.options.orchestrations.has(name)) {
      this.deliver(parent, subOrchestrationFailed(id, { type: 'Error', message: `No orchestration named ${name} is registered`, nonRetriable: true }));
      return;
    }
    const now = new Date().toISOString();
    const record: InstanceRecord = { instanceId: childId, name, status: 'Pending', input, parentInstanceId: parent.record.instanceId, parentTaskId: id, createdAt: now, updatedAt: now };
    if (await store.create(record)) {
      await this.ensureLive(childId, record);
      return;
    }
    const existing = await store.get(childId);
    if (!existing) throw new Error(`Instance ${childId} exists and cannot be read`);
    if (existing.parentInstanceId === parent.record.instanceId && existing.parentTaskId === id) {
      if (isTerminal(existing.status)) this.notifyParent(existing);
      else await this.ensureLive(childId);
      return;
    }
    if (isTerminal(existing.status) && !this.live.has(childId)) {
      if (this.stopped) return;
      await store.deleteHistory(childId);
      if (this.stopped) return;
      await store.save(record);
      await this.ensureLive(childId, record);
      return;
    }
    this.deliver(parent, subOrchestrationFailed(id, { type: 'Error', message: `An orchestration with instance ID '${childId}' is already running`, nonRetriable: true }));
  }

  private async runActivity(instance: LiveInstance, id: number, functionName: string, input: unknown): Promise<void> {
    this.activitiesInProcess++;
    try {
      await this.runActivityInSlot(instance, id, functionName, input);
    } finally {
      this.activitiesInProcess--;
    }
  }

  private async runActivityInSlot(instance: LiveInstance, id: number, functionName: string, input: unknown): Promise<void> {
    const handler = this.options.activities.get(functionName);
    await this.activitySlots.acquire();
    // An instance terminated (or an engine stopped) while this waited for a slot starts nothing.
    if (!this.isCurrent(instance)) return this.activitySlots.release();
    let event: HistoryEvent;
    try {
      if (!handler) throw new NonRetryableError(`No activity named ${functionName} is registered`);
      // Each invocation gets its own W3C trace context, as the Functions host gives one: the run events it emits carry it as their operation id.
      const context = new functions.InvocationContext({ functionName, invocationId: `${instance.record.instanceId}:${id}`, logHandler: this.options.log, traceContext: { traceParent: newTraceParent(), traceState: '', attributes: {} } });
      event = boundedCompletion(id, functionName, await handler(input, context));
    } catch (err) {
      // The message and the stack are each stored twice in a TaskFailed event.
      const error = capError(ensureErrorType(err), maxActivityErrorChars);
      event = taskFailed(id, { type: error.name, message: error.message, stack: error.stack, nonRetriable: error instanceof NonRetryableError });
    } finally {
      this.activitySlots.release();
    }
    if (!this.isCurrent(instance)) return;
    this.deliver(instance, event);
  }

  /** setTimeout holds at most 2^31-1 ms (about 24.8 days); a later timer is armed again on the way. */
  private armTimer(instance: LiveInstance, fireAt: Date, fire: () => void): void {
    const delay = Math.max(0, fireAt.getTime() - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      instance.timers.delete(timer);
      if (delay > maxTimeoutMs) this.armTimer(instance, fireAt, fire);
      else fire();
    }, Math.min(delay, maxTimeoutMs));
    this.timers.add(timer);
    instance.timers.add(timer);
  }

  private clearTimers(instance: LiveInstance): void {
    for (const timer of instance.timers) {
      clearTimeout(timer);
      this.timers.delete(timer);
    }
    instance.timers.clear();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => undefined);
    return promise;
  }

  private waiter(resolve: () => void, reject: (err: Error) => void): Waiter {
    const waiter: Waiter = {
      resolve: () => {
        this.waiters.delete(waiter);
        resolve();
      },
      reject: (err) => {
        this.waiters.delete(waiter);
        reject(err);
      },
    };
    this.waiters.add(waiter);
    return waiter;
  }

  private replayLog(instanceId: string): LogHandler {
    return (level, ...args) => this.options.log(level, `[${instanceId}]`, ...args);
  }
}

const maxTimeoutMs = 2 ** 31 - 1;

/** Leaves room for the message and the stack twice each in one history event. */
const maxActivityErrorChars = 16_000;

/**
 * An activity result too large for a history event fails its task with a reason, as an activity
 * that threw would: the orchestrator decides what that means (copyRun fails the run), instead of
 * the event being refused by the store and the instance waiting forever.
 */
function boundedCompletion(id: number, functionName: string, result: unknown): HistoryEvent {
  const event = taskCompleted(id, result);
  const size = JSON.stringify(event).length;
  if (size <= maxEventChars) return event;
  const message = `Activity ${functionName} returned ${size.toLocaleString('en-US')} characters; the local runtime keeps at most ${maxEventChars.toLocaleString('en-US')} per history event (return a reference, not the data)`;
  return taskFailed(id, { type: 'OversizeEventError', message, nonRetriable: true });
}

/** An episode that stops before its write because the engine stopped or the instance is being terminated. */
class Interrupted extends Error {}

function scheduleEvent(instanceId: string, id: number, task: OpenTask): HistoryEvent {
  switch (task.kind) {
    case 'activity':
      return taskScheduled(id, task.functionName, task.input);
    case 'subOrchestration':
      return subOrchestrationCreated(id, task.functionName, task.instanceId ?? childInstanceId(instanceId, id), task.input);
    case 'retryTimer':
      return timerCreated(id, new Date(Date.now() + task.delayInMs));
    case 'timer':
      return timerCreated(id, task.fireAt);
    default:
      throw new Error(`Task ${id} cannot be scheduled`);
  }
}

/** The event a parent gets when its sub-orchestration has ended. */
function childOutcome(record: InstanceRecord): HistoryEvent {
  const id = record.parentTaskId!;
  switch (record.status) {
    case 'Completed':
      return subOrchestrationCompleted(id, record.output);
    case 'Terminated':
      return subOrchestrationFailed(id, { type: 'OrchestrationTerminated', message: `Orchestration ${record.instanceId} was terminated: ${String(record.output ?? '')}`, nonRetriable: true });
    default:
      return subOrchestrationFailed(id, { type: record.errorType ?? 'Error', message: record.error ?? `Orchestration ${record.instanceId} failed`, nonRetriable: false });
  }
}

/** Instance ids of sub-orchestrations created in this history that have not reported back. */
function openChildren(history: HistoryEvent[]): string[] {
  const done = completedIds(history);
  return history
    .filter((event) => event.EventType === EventType.SubOrchestrationInstanceCreated && !done.has(event.EventId))
    .map((event) => String(event.InstanceId));
}
