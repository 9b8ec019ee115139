import { createRequire } from 'node:module';
import type { InvocationContext, LogHandler } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';

/**
 * The parts of durable-functions' own replay machinery that the local runtime drives: the
 * Orchestrator (the same code the Functions host runs) and its testing inputs. They are not in
 * the package's typings, so this module types the little it uses and keeps the rest inside.
 */
const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator.js') as { Orchestrator: new (fn: OrchestrationHandler) => any };
const { DurableOrchestrationInput, DummyOrchestrationContext } = require('durable-functions/lib/src/util/testingUtils.js') as {
  DurableOrchestrationInput: new (instanceId: string, history: unknown[], input: unknown) => unknown;
  DummyOrchestrationContext: new (functionName: string, invocationId: string, logHandler: LogHandler) => InvocationContext;
};

export type OpenTask =
  | { kind: 'activity'; functionName: string; input: unknown; retry?: RetryPolicy }
  | { kind: 'retryTimer'; delayInMs: number }
  | { kind: 'retryAttempt'; functionName: string; input: unknown }
  | { kind: 'timer'; fireAt: Date }
  | { kind: 'externalEvent'; name: string }
  | { kind: 'unsupported'; description: string };

export type RetryPolicy = { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number; backoffCoefficient: number; maxRetryIntervalInMilliseconds: number };

export type ReplayResult =
  | { outcome: 'completed'; output: unknown; openTasks: Map<number, OpenTask> }
  | { outcome: 'running'; openTasks: Map<number, OpenTask> }
  | { outcome: 'failed'; error: string; openTasks: Map<number, OpenTask> };

/** Replays an orchestrator over its history and reports the tasks it now waits on, by sequence id. */
export async function replay(handler: OrchestrationHandler, name: string, instanceId: string, history: unknown[], input: unknown, logHandler: LogHandler): Promise<ReplayResult> {
  const orchestrator = new Orchestrator(handler);
  const context = new DummyOrchestrationContext(name, `${instanceId}:${history.length}`, logHandler);
  const trigger = new DurableOrchestrationInput(instanceId, history, input);
  try {
    const state = await orchestrator.handle(trigger, context);
    const openTasks = describeOpenTasks(orchestrator.taskOrchestrationExecutor);
    return state.isDone ? { outcome: 'completed', output: state.output, openTasks } : { outcome: 'running', openTasks };
  } catch (err) {
    const executor = orchestrator.taskOrchestrationExecutor;
    const message = err instanceof Error && err.name === 'OrchestrationFailureError' ? String(executor?.exception?.message ?? err.message) : err instanceof Error ? err.message : String(err);
    return { outcome: 'failed', error: message, openTasks: new Map() };
  }
}

function describeOpenTasks(executor: any): Map<number, OpenTask> {
  const tasks = new Map<number, OpenTask>();
  for (const [key, task] of Object.entries<any>(executor.openTasks ?? {})) {
    tasks.set(Number(key), describeTask(task));
  }
  for (const [key, waiting] of Object.entries<any[]>(executor.openEvents ?? {})) {
    if (waiting.length) tasks.set(-1 - tasks.size, { kind: 'externalEvent', name: key });
  }
  return tasks;
}

// ActionType values of durable-functions' actions.
const CallActivity = 0;
const CallActivityWithRetry = 1;
const CreateTimer = 5;

function describeTask(task: any): OpenTask {
  const parent = task.parent;
  // A retry of callActivityWithRetry shows up as a placeholder task under its RetryableTask:
  // first the backoff timer, then the next attempt.
  if (!task.actionObj && parent?.retryOptions) {
    if (parent.isWaitingOnTimer) {
      const options = parent.retryOptions;
      const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, Math.max(0, parent.attemptNumber - 2));
      const capped = options.maxRetryIntervalInMilliseconds > 0 ? Math.min(delay, options.maxRetryIntervalInMilliseconds) : delay;
      return { kind: 'retryTimer', delayInMs: capped };
    }
    return { kind: 'retryAttempt', functionName: parent.actionObj.functionName, input: parseInput(parent.actionObj.input) };
  }
  const action = task.actionObj;
  switch (action?.actionType) {
    case CallActivity:
      return { kind: 'activity', functionName: action.functionName, input: parseInput(action.input) };
    case CallActivityWithRetry:
      return { kind: 'activity', functionName: action.functionName, input: parseInput(action.input), retry: action.retryOptions };
    case CreateTimer:
      return { kind: 'timer', fireAt: new Date(action.fireAt) };
    default:
      return { kind: 'unsupported', description: `action type ${String(action?.actionType)}` };
  }
}

/** Actions carry their input as given; keep it a plain JSON value. */
function parseInput(input: unknown): unknown {
  return input === undefined ? undefined : JSON.parse(JSON.stringify(input));
}
