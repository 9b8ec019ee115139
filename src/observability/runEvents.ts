import type { InvocationContext, TraceContext } from '@azure/functions';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import { telemetrySink, type TelemetrySink } from './telemetry.js';

/**
 * Structured run events: one per finished run, failed run, finished chunk, poisoned job message,
 * quality check, notification, schema drift and batch of rejected rows, carrying the numbers an
 * operator queries (rows, bytes, duration, throughput, measured values).
 *
 * Each event goes two ways (runEventLog below):
 * - to Application Insights as a **customEvent** named after the event, its text properties in
 *   customDimensions and its numbers in customMeasurements, with the operation id of the
 *   invocation that emitted it (observability/telemetry.ts: OpenTelemetry with the Azure Monitor
 *   exporter, on only when APPLICATIONINSIGHTS_CONNECTION_STRING is set). The alert rules
 *   (infra/modules/alerts.bicep), the workbook (infra/modules/workbook.json) and the README's KQL
 *   cookbook read those columns directly;
 * - to the invocation's log as one line, `SiphonEvent <EventName> {json}`, for people: the local
 *   runtime prints it and the Functions log stream shows it. `context.log` flattens objects into
 *   the message text (Azure/azure-functions-nodejs-library#227), so the line is text for reading,
 *   not what queries use.
 *
 * `runEventFields` is the one list of properties an event may carry and whether each is a text
 * dimension or a number (a measurement): the property type, the exporter and the infra tests
 * (every KQL query names only fields listed here) all come from it.
 */
export const RunEvent = {
  runCompleted: 'SiphonRunCompleted',
  runFailed: 'SiphonRunFailed',
  chunkCompleted: 'SiphonChunkCompleted',
  poisonMessage: 'SiphonPoisonMessage',
  /** One quality check's result for a run (pass, warn or fail, with the measured value and the bounds). */
  qualityChecked: 'SiphonQualityChecked',
  /** A notification delivered to a target, or given up on after its retries. */
  notificationSent: 'SiphonNotificationSent',
  notificationFailed: 'SiphonNotificationFailed',
  /** The source's columns differ from the last run's (the schema contract's outcome). */
  schemaDrift: 'SiphonSchemaDrift',
  /** Rows a run's validation rules sent to quarantine. */
  rowsRejected: 'SiphonRowsRejected',
} as const;

export type RunEventName = (typeof RunEvent)[keyof typeof RunEvent];

/** The word every event line starts with. */
export const runEventMarker = 'SiphonEvent';

/**
 * Every property an event may carry: `dimension` (text, customDimensions) or `measurement`
 * (a number, customMeasurements). Add a property here and it is typed, exported and allowed in
 * the queries.
 */
export const runEventFields = {
  /** Unknown only for a poison message too broken to name its run. */
  pipelineId: 'dimension',
  runId: 'dimension',
  status: 'dimension',
  /** Scrubbed of credentials by formatRunEvent, whoever calls. */
  error: 'dimension',
  // Quality checks: the check's name (`rowCount`, `notNull`, `unique`, `freshness`, `duration`, ...), the column it reads, its severity and outcome.
  check: 'dimension',
  column: 'dimension',
  severity: 'dimension',
  outcome: 'dimension',
  // Notifications: the target's name and kind, and the run event it tells of (`failure`, `success`, ...).
  target: 'dimension',
  targetType: 'dimension',
  notification: 'dimension',
  // Schema drift: the contract's outcome and the changes as text.
  changes: 'dimension',
  /** A chunk's reconciliation with the source: `match` or `mismatch` (absent when it is off). */
  reconciliation: 'dimension',
  chunk: 'measurement',
  rows: 'measurement',
  bytes: 'measurement',
  files: 'measurement',
  durationInMs: 'measurement',
  /** Computed from rows and durationInMs; callers do not pass it. */
  rowsPerSecond: 'measurement',
  dequeueCount: 'measurement',
  measured: 'measurement',
  lowerBound: 'measurement',
  upperBound: 'measurement',
  attempt: 'measurement',
  rowsRejected: 'measurement',
  columnsAdded: 'measurement',
  columnsRemoved: 'measurement',
  columnsRetyped: 'measurement',
} as const;

export type RunEventField = keyof typeof runEventFields;
type FieldsOfKind<K extends 'dimension' | 'measurement'> = { [F in RunEventField]: (typeof runEventFields)[F] extends K ? F : never }[RunEventField];
export type RunEventDimension = FieldsOfKind<'dimension'>;
export type RunEventMeasurement = FieldsOfKind<'measurement'>;

/** What a caller passes: any of the fields above, text for dimensions and numbers for measurements. */
export type RunEventProperties = { [F in RunEventDimension]?: string } & { [F in Exclude<RunEventMeasurement, 'rowsPerSecond'>]?: number };

/** What an event carries: the properties given, the event name and the throughput. */
export type RunEventRecord = RunEventProperties & { event: RunEventName; rowsPerSecond?: number };

/** Emits one run event. Handlers take one of these; `runEventLog(context)` makes it from an invocation. */
export type RunEventLog = (event: RunEventName, properties: RunEventProperties) => void;

/** Rows per second over a duration, to one decimal; undefined when there is no duration to divide by. */
export function rowsPerSecond(rows: number | undefined, durationInMs: number | undefined): number | undefined {
  if (rows === undefined || durationInMs === undefined || durationInMs <= 0) return undefined;
  return Math.round((rows / durationInMs) * 10_000) / 10;
}

/**
 * The record of an event: the properties given (undefined ones left out), the throughput, and
 * the error scrubbed of credentials, whoever called.
 */
export function runEventRecord(event: RunEventName, properties: RunEventProperties): RunEventRecord {
  const defined = Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)) as RunEventProperties;
  const throughput = rowsPerSecond(properties.rows, properties.durationInMs);
  return {
    event,
    ...defined,
    ...(throughput === undefined ? {} : { rowsPerSecond: throughput }),
    ...(properties.error === undefined ? {} : { error: scrubSecrets(properties.error) }),
  };
}

/** The log line of an event. */
export function formatRunEvent(event: RunEventName, properties: RunEventProperties): string {
  return `${runEventMarker} ${event} ${JSON.stringify(runEventRecord(event, properties))}`;
}

/** Reads an event back from a log line; undefined for any other line. */
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

/** A record's fields as Application Insights keeps them: text in customDimensions, numbers in customMeasurements. */
export function splitRunEvent(record: RunEventRecord): { dimensions: Record<string, string>; measurements: Record<string, number> } {
  const dimensions: Record<string, string> = {};
  const measurements: Record<string, number> = {};
  for (const [field, value] of Object.entries(record)) {
    if (field === 'event' || value === undefined) continue;
    if (runEventFields[field as RunEventField] === 'measurement' && typeof value === 'number') measurements[field] = value;
    else dimensions[field] = String(value);
  }
  return { dimensions, measurements };
}

/** The parts of an invocation an event uses: its logger and its trace context (for the operation id). */
export type EventContext = Pick<InvocationContext, 'log' | 'warn' | 'error'> & { traceContext?: Pick<TraceContext, 'traceParent' | 'traceState'> };

/**
 * Events of one invocation: a line in its log (failures as errors, poison messages as warnings)
 * and, when telemetry is on, a customEvent under the invocation's operation id. Neither may fail
 * the work that emits it: a telemetry fault is swallowed (the exporter reports its own).
 */
export function runEventLog(context: EventContext, telemetry: TelemetrySink | undefined = telemetrySink()): RunEventLog {
  return (event, properties) => {
    const record = runEventRecord(event, properties);
    const line = `${runEventMarker} ${event} ${JSON.stringify(record)}`;
    if (event === RunEvent.runFailed) context.error(line);
    else if (event === RunEvent.poisonMessage) context.warn(line);
    else context.log(line);
    try {
      if (telemetry) telemetry.emit({ name: event, ...splitRunEvent(record) }, context.traceContext);
    } catch {
      // Telemetry is for people watching; the run goes on without it.
    }
  };
}

/** For callers outside an invocation (tests, scripts): events go nowhere. */
export const discardRunEvents: RunEventLog = () => undefined;
