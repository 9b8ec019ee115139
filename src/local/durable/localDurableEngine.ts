import functions, { type InvocationContext, type LogHandler } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { ensureErrorType, NonRetryableError } from '../../errors/errorTypes.js';
import type { OrchestrationStarter } from '../../jobs/orchestrationStarter.js';
import { Semaphore } from '../semaphore.js';
import {
  executionStarted, orchestratorStarted, scheduledIds, taskCompleted, taskFailed, taskScheduled, timerCreated, timerFired,
  type HistoryEvent,
} from './historyEvents.js';
import { replay, type OpenTask } from './durableInternals.js';
import type { InstanceRecord, InstanceStore } from './instanceStore.js';

export type ActivityHandler = (input: unknown, context: InvocationContext) => Promise<unknown>;

export type LocalDurableEngineOptions = {
  store: InstanceStore;
  orchestrations: Map<string, OrchestrationHandler>;
  activities: Map<string, ActivityHandler>;
  maxConcurrentActivities: number;
  log: LogHandler;
};

type LiveInstance = {
  record: InstanceRecord;
  history: HistoryEvent[];
  /** Completion events waiting for the next episode. */
  inbox: HistoryEvent[];
  /** Sequence ids whose work runs (or whose timer is armed) in this process. */
  dispatched: Set<number>;
  episode?: Promise<void>;
  again: boolean;
};

/**
 * Runs Durable Functions orchestrations in one Node process, with the library's own replay
 * executor, as the Durable Task extension does in the Functions host:
 * - each episode appends new events to the history, replays the orchestrator over all of it, and
 *   persists the tasks it now waits on (TaskScheduled / TimerCreated) before running them;
 * - activities run at most `maxConcurrentActivities` at a time, and their results come back as
 *   TaskCompleted / TaskFailed events for the next episode;
 * - history lives in Table Storage, so after a crash `resumeAll` replays every unfinished
 *   instance and runs again whatever was scheduled but had not completed (at-least-once).
 */
export class LocalDurableEngine implements OrchestrationStarter {
  private readonly live = new Map<string, LiveInstance>();
  private readonly activitySlots: Semaphore;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: LocalDurableEngineOptions) {
    this.activitySlots = new Semaphore(options.maxConcurrentActivities);
  }

  async startIfAbsent(orchestrationName: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
    if (!this.options.orchestrations.has(orchestrationName)) throw new NonRetryableError(`No orchestration named ${orchestrationName} is registered`);
    const now = new Date().toISOString();
    const record: InstanceRecord = { instanceId, name: orchestrationName, status: 'Pending', input, createdAt: now, updatedAt: now };
    if (!(await this.options.store.create(record))) return 'exists';
    await this.activate(record);
    return 'started';
  }

  /** Picks up every instance a previous process left unfinished. */
  async resumeAll(): Promise<number> {
    const active = await this.options.store.listActive();
    for (const record of active) await this.activate(record);
    return active.length;
  }

  /** Stops arming timers and starting episodes; activities already running finish on their own. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async activate(record: InstanceRecord): Promise<void> {
    let history = await this.options.store.loadHistory(record.instanceId);
    if (history.length === 0) {
      history = [orchestratorStarted(), executionStarted(record.name, record.input)];
      await this.options.store.appendHistory(record.instanceId, 0, history);
    }
    const instance: LiveInstance = { record, history, inbox: [], dispatched: new Set(), again: false };
    this.live.set(record.instanceId, instance);
    this.schedule(instance);
  }

  private deliver(instance: LiveInstance, event: HistoryEvent): void {
    instance.inbox.push(event);
    this.schedule(instance);
  }

  /** One episode at a time per instance; events that arrive meanwhile wait for the next one. */
  private schedule(instance: LiveInstance): void {
    if (this.stopped) return;
    if (instance.episode) {
      instance.again = true;
      return;
    }
    instance.episode = this.runEpisode(instance)
      .catch((err: unknown) => this.options.log('error', `Orchestration ${instance.record.instanceId}: ${ensureErrorType(err).message}`))
      .finally(() => {
        instance.episode = undefined;
        if (instance.again) {
          instance.again = false;
          this.schedule(instance);
        }
      });
  }

  private async runEpisode(instance: LiveInstance): Promise<void> {
    const { record } = instance;
    if (['Completed', 'Failed', 'Terminated'].includes(record.status)) return;
    const handler = this.options.orchestrations.get(record.name);
    if (!handler) throw new Error(`No orchestration named ${record.name} is registered`);

    const arrived = instance.inbox.splice(0);
    const newEvents: HistoryEvent[] = arrived.length ? [orchestratorStarted(), ...arrived] : [];
    const history = [...instance.history, ...newEvents];
    const result = await replay(handler, record.name, record.instanceId, history, record.input, this.replayLog(record.instanceId));

    const alreadyScheduled = scheduledIds(history);
    const work: Array<[number, OpenTask]> = [];
    for (const [id, task] of result.openTasks) {
      if (task.kind === 'externalEvent') continue;
      if (task.kind === 'unsupported') throw new Error(`Orchestration ${record.instanceId}: the local runtime does not run ${task.description}`);
      if (!alreadyScheduled.has(id)) newEvents.push(scheduleEvent(id, task));
      work.push([id, task]);
    }

    // Write-ahead: the scheduled tasks are in storage before any of them runs.
    await this.options.store.appendHistory(record.instanceId, instance.history.length, newEvents);
    instance.history = [...instance.history, ...newEvents];

    if (result.outcome === 'completed') return this.finish(instance, { ...record, status: 'Completed', output: result.output });
    if (result.outcome === 'failed') return this.finish(instance, { ...record, status: 'Failed', error: result.error });
    if (record.status === 'Pending') {
      instance.record = { ...record, status: 'Running', updatedAt: new Date().toISOString() };
      await this.options.store.save(instance.record);
    }
    const scheduled = scheduledIds(instance.history);
    for (const [id, task] of work) {
      if (instance.dispatched.has(id)) continue;
      instance.dispatched.add(id);
      this.dispatch(instance, id, task, scheduled.get(id));
    }
  }

  private async finish(instance: LiveInstance, record: InstanceRecord): Promise<void> {
    instance.record = { ...record, updatedAt: new Date().toISOString() };
    await this.options.store.save(instance.record);
    this.live.delete(record.instanceId);
  }

  private dispatch(instance: LiveInstance, id: number, task: OpenTask, scheduled: HistoryEvent | undefined): void {
    switch (task.kind) {
      case 'activity':
      case 'retryAttempt':
        void this.runActivity(instance, id, task.functionName, task.input);
        return;
      case 'retryTimer':
      case 'timer': {
        const fireAt = scheduled?.FireAt instanceof Date ? scheduled.FireAt : task.kind === 'timer' ? task.fireAt : new Date(Date.now() + task.delayInMs);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.deliver(instance, timerFired(id, fireAt));
        }, Math.max(0, fireAt.getTime() - Date.now()));
        this.timers.add(timer);
        return;
      }
      default:
        return;
    }
  }

  private async runActivity(instance: LiveInstance, id: number, functionName: string, input: unknown): Promise<void> {
    const handler = this.options.activities.get(functionName);
    await this.activitySlots.acquire();
    let event: HistoryEvent;
    try {
      if (!handler) throw new NonRetryableError(`No activity named ${functionName} is registered`);
      const context = new functions.InvocationContext({ functionName, invocationId: `${instance.record.instanceId}:${id}`, logHandler: this.options.log });
      event = taskCompleted(id, await handler(input, context));
    } catch (err) {
      const error = ensureErrorType(err);
      event = taskFailed(id, { type: error.name, message: error.message, stack: error.stack, nonRetriable: error instanceof NonRetryableError });
    } finally {
      this.activitySlots.release();
    }
    if (this.live.get(instance.record.instanceId) !== instance) return;
    this.deliver(instance, event);
  }

  private replayLog(instanceId: string): LogHandler {
    return (level, ...args) => this.options.log(level, `[${instanceId}]`, ...args);
  }
}

function scheduleEvent(id: number, task: OpenTask): HistoryEvent {
  switch (task.kind) {
    case 'activity':
    case 'retryAttempt':
      return taskScheduled(id, task.functionName, task.input);
    case 'retryTimer':
      return timerCreated(id, new Date(Date.now() + task.delayInMs));
    case 'timer':
      return timerCreated(id, task.fireAt);
    default:
      throw new Error(`Task ${id} cannot be scheduled`);
  }
}
