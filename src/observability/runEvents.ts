import type { InvocationContext } from '@azure/functions';
import { scrubSecrets } from '../errors/scrubSecrets.js';

/**
 * Structured run events: one log line per finished run, failed run, finished chunk and poisoned
 * job message, carrying the numbers an operator queries (rows, bytes, duration, throughput).
 *
 * Why a marked line of JSON and not "custom dimensions": in the Node.js v4 programming model
 * `context.log(...args)` is formatted into a single message string (util.format) before it leaves
 * the worker, so an object argument never becomes a property of the trace; the maintainers say so
 * in Azure/azure-functions-nodejs-library#227. The only way to real customDimensions from Node is
 * the `applicationinsights` SDK, a second telemetry pipeline beside the host's. Instead each event
 * is one trace whose message is `SiphonEvent <EventName> {json}`: the host sends it to Application
 * Insights like every other `context.log` line (with the invocation id and operation id), and
 * `parse_json(substring(message, indexof(message, "{")))` turns it back into typed columns. The
 * alert rules in infra/modules/alerts.bicep, the `SiphonEvents` workspace function
 * (infra/modules/monitoring.bicep) and the README's KQL cookbook all parse it that way.
 *
 * The line format is a contract with those queries: change it only together with them (the tests
 * in test/infra check that they agree).
 */
export const RunEvent = {
  runCompleted: 'SiphonRunCompleted',
  runFailed: 'SiphonRunFailed',
  chunkCompleted: 'SiphonChunkCompleted',
  poisonMessage: 'SiphonPoisonMessage',
} as const;

export type RunEventName = (typeof RunEvent)[keyof typeof RunEvent];

/** The word every event line starts with; KQL finds the lines with `message has "SiphonEvent"`. */
export const runEventMarker = 'SiphonEvent';

export type RunEventProperties = {
  /** Unknown only for a poison message too broken to name its run. */
  pipelineId?: string;
  runId?: string;
  chunk?: number;
  rows?: number;
  bytes?: number;
  files?: number;
  durationInMs?: number;
  status?: string;
  error?: string;
  dequeueCount?: number;
};

/** What an event line carries: the properties given, the event name and the throughput. */
export type RunEventRecord = RunEventProperties & { event: RunEventName; rowsPerSecond?: number };

/** Emits one run event. Handlers take one of these; `runEventLog(context)` makes it from an invocation. */
export type RunEventLog = (event: RunEventName, properties: RunEventProperties) => void;

/** Rows per second over a duration, to one decimal; undefined when there is no duration to divide by. */
export function rowsPerSecond(rows: number | undefined, durationInMs: number | undefined): number | undefined {
  if (rows === undefined || durationInMs === undefined || durationInMs <= 0) return undefined;
  return Math.round((rows / durationInMs) * 10_000) / 10;
}

/** The log line of an event. Error text is scrubbed of credentials here, whoever called. */
export function formatRunEvent(event: RunEventName, properties: RunEventProperties): string {
  const record: RunEventRecord = {
    event,
    ...properties,
    rowsPerSecond: rowsPerSecond(properties.rows, properties.durationInMs),
    ...(properties.error === undefined ? {} : { error: scrubSecrets(properties.error) }),
  };
  return `${runEventMarker} ${event} ${JSON.stringify(record)}`;
}

/** Reads an event back from a log line the way the KQL does; undefined for any other line. */
export function parseRunEvent(message: string): RunEventRecord | undefined {
  const marker = message.indexOf(`${runEventMarker} `);
  const json = message.indexOf('{', marker);
  if (marker < 0 || json < 0) return undefined;
  try {
    const record = JSON.parse(message.slice(json)) as RunEventRecord;
    return Object.values(RunEvent).includes(record.event) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Events through an invocation's logger: traces in Application Insights under Azure, the local
 * runtime's log handler on a laptop. Failures are logged as errors, poison messages as warnings.
 */
export function runEventLog(context: Pick<InvocationContext, 'log' | 'warn' | 'error'>): RunEventLog {
  return (event, properties) => {
    const line = formatRunEvent(event, properties);
    if (event === RunEvent.runFailed) context.error(line);
    else if (event === RunEvent.poisonMessage) context.warn(line);
    else context.log(line);
  };
}

/** For callers outside an invocation (tests, scripts): events go nowhere. */
export const discardRunEvents: RunEventLog = () => undefined;
