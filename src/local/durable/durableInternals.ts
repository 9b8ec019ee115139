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
  DurableOrchestrationInput: new (
    instanceId: string, history: unknown[], input: unknown,
    longRunningTimerIntervalDuration?: string, maximumShortTimerDuration?: string, defaultHttpAsyncRequestSleepTimeMillseconds?: number,
    schemaVersion?: number, isReplaying?: boolean, parentInstanceId?: string,
  ) => unknown;
  DummyOrchestrationContext: new (functionName: string, invocationId: string, logHandler: LogHandler) => InvocationContext;
};

/**
 * What the orchestrator waits on. A retry of callActivityWithRetry / callSubOrchestratorWithRetry
 * shows up as a `retryTimer` (the backoff) and then as a plain activity / subOrchestration task:
 * each attempt has its own sequence id.
 */
export type OpenTask =
  | { kind: 'activity'; functionName: string; input: unknown; retry?: RetryPolicy }
  | { kind: 'subOrchestration'; functionName: string; input: unknown; instanceId?: string; retry?: RetryPolicy }
  | { kind: 'retryTimer'; delayInMs: number }
  | { kind: 'timer'; fireAt: Date }
  | { kind: 'externalEvent'; name: string }
  | { kind: 'unsupported'; description: string };

export type RetryPolicy = { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number; backoffCoefficient: number; maxRetryIntervalInMilliseconds: number };

export type ReplayResult =
  | { outcome: 'completed'; output: unknown; openTasks: Map<number, OpenTask> }
  | { outcome: 'running'; openTasks: Map<number, OpenTask> }
  | { outcome: 'failed'; error: string; errorType: string; openTasks: Map<number, OpenTask> };

/** Replays an orchestrator over its history and reports the tasks it now waits on, by sequence id. */
export async function replay(
  handler: OrchestrationHandler, name: string, instanceId: string, history: unknown[], input: unknown, logHandler: LogHandler, parentInstanceId?: string,
): Promise<ReplayResult> {
  const orchestrator = new Orchestrator(handler);
  const context = new DummyOrchestrationContext(name, `${instanceId}:${history.length}`, logHandler);
  // The middle arguments keep the library's defaults.
  const trigger = new DurableOrchestrationInput(instanceId, history, input, undefined, undefined, undefined, undefined, undefined, parentInstanceId ?? '');
  try {
    const state = await orchestrator.handle(trigger, context);
    const openTasks = describeOpenTasks(orchestrator.taskOrchestrationExecutor);
    return state.isDone ? { outcome: 'completed', output: state.output, openTasks } : { outcome: 'running', openTasks };
  } catch (err) {
    const executor = orchestrator.taskOrchestrationExecutor;
    // The library reports the orchestrator's own error as an OrchestrationFailureError whose
    // message is its out-of-proc payload; the error itself stays on the executor.
    const cause: unknown = executor?.exception !== undefined ? executor.exception : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    const errorType = cause instanceof Error ? cause.name : 'Error';
    return { outcome: 'failed', error: message, errorType, openTasks: new Map() };
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

// ActionType values of durable-functions' actions (lib/src/actions/ActionType).
const CallActivity = 0;
const CallActivityWithRetry = 1;
const CallSubOrchestrator = 2;
const CallSubOrchestratorWithRetry = 3;
const CreateTimer = 5;

function describeTask(task: any): OpenTask {
  const parent = task.parent;
  // A retry shows up as a placeholder task (a NoOpTask, whose action is the string "noOp") under
  // its RetryableTask: first the backoff timer, then the next attempt, which runs the
  // RetryableTask's own action again.
  if (typeof task.actionObj !== 'object' && parent?.retryOptions) {
    if (parent.isWaitingOnTimer) {
      const options = parent.retryOptions;
      const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, Math.max(0, parent.attemptNumber - 2));
      const capped = options.maxRetryIntervalInMilliseconds > 0 ? Math.min(delay, options.maxRetryIntervalInMilliseconds) : delay;
      return { kind: 'retryTimer', delayInMs: capped };
    }
    const attempt = describeAction(parent.actionObj);
    return attempt.kind === 'activity' || attempt.kind === 'subOrchestration' ? { ...attempt, retry: undefined } : attempt;
  }
  return describeAction(task.actionObj);
}

function describeAction(action: any): OpenTask {
  switch (action?.actionType) {
    case CallActivity:
      return { kind: 'activity', functionName: action.functionName, input: activityInput(action.input) };
    case CallActivityWithRetry:
      return { kind: 'activity', functionName: action.functionName, input: activityInput(action.input), retry: action.retryOptions };
    case CallSubOrchestrator:
    case CallSubOrchestratorWithRetry:
      return {
        kind: 'subOrchestration',
        functionName: action.functionName,
        input: parseInput(action.input),
        ...(action.instanceId ? { instanceId: String(action.instanceId) } : {}),
        ...(action.actionType === CallSubOrchestratorWithRetry ? { retry: action.retryOptions } : {}),
      };
    case CreateTimer:
      return { kind: 'timer', fireAt: new Date(action.fireAt) };
    default:
      return { kind: 'unsupported', description: `action type ${String(action?.actionType)}` };
  }
}

/**
 * Activity actions hold a string input already JSON-encoded (the library's Utils.processInput,
 * which the extension decodes); the activity gets the string itself.
 */
function activityInput(input: unknown): unknown {
  return typeof input === 'string' ? JSON.parse(input) : parseInput(input);
}

/** Other actions carry their input as given; keep it a plain JSON value. */
function parseInput(input: unknown): unknown {
  return input === undefined ? undefined : JSON.parse(JSON.stringify(input));
}
