import { randomBytes } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, LoggerProvider, ReadableLogRecord } from '@opentelemetry/sdk-logs';

/**
 * Siphon's events as Application Insights customEvents, through OpenTelemetry's log API and the
 * Azure Monitor exporter (`@azure/monitor-opentelemetry-exporter`).
 *
 * Why this route: on Flex Consumption the Functions host supports OpenTelemetry
 * (`"telemetryMode": "OpenTelemetry"` in host.json; the plan the docs name for it), and the
 * `applicationinsights` 3.x SDK is itself a shim over the same exporter that also patches http,
 * pg and mysql2 (our copy hot path) unless told not to. A log record with the attribute
 * `microsoft.custom_event.name` becomes a customEvent: its other attributes are customDimensions,
 * the `measurements` of its body are customMeasurements (the exporter's logToEnvelope), and its
 * span context sets `operation_Id`/`operation_ParentId`.
 *
 * The operation id: the host hands every invocation its W3C trace context
 * (`context.traceContext.traceParent`); each event is emitted in a context extracted from it,
 * which is what `@azure/functions-opentelemetry-instrumentation` does around a whole handler. We
 * do it per event instead because that package pins `@opentelemetry/instrumentation` 0.52 (a
 * second copy of the OpenTelemetry API beside the exporter's) and, when loaded, tells the host to
 * stop forwarding `context.log` lines, which we still want as traces.
 *
 * Off (no APPLICATIONINSIGHTS_CONNECTION_STRING: tests, the local runtime, `func start` without
 * it): no OpenTelemetry module is even imported (they take about a second to load on a busy
 * 2-core machine, a cold start's worth), so an event costs one `undefined` check. On, the SDK is
 * imported on the first event (events wait in a short queue meanwhile), records are batched and
 * exported in the background, and the exporter itself is imported on the first export; an export
 * failure is the exporter's to report (and its offline storage's to retry), never the run's.
 */

export type TelemetryEvent = { name: string; dimensions: Record<string, string>; measurements: Record<string, number> };

/** The invocation's trace context as the host gives it (`InvocationContext.traceContext`). */
export type InvocationTrace = { traceParent?: string | null; traceState?: string | null };

export type TelemetrySink = { emit(event: TelemetryEvent, trace?: InvocationTrace): void };

/** The attribute that makes the Azure Monitor exporter send a log record as a customEvent. */
export const customEventNameAttribute = 'microsoft.custom_event.name';

/** A fresh W3C `traceparent` (version 00, sampled), for invocations the local runtime makes. */
export function newTraceParent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

type Started = { sink: TelemetrySink; ready: Promise<LoggerProvider | undefined> };

/** undefined: not decided yet; null: off. */
let started: Started | null | undefined;

/** Events emitted before the SDK has loaded wait here; past this many (a stuck import) they are dropped. */
const maxWaitingEvents = 1_000;

/**
 * A sink over a logger provider that is still being made: the OpenTelemetry modules load in the
 * background and the events emitted meanwhile are sent once they have.
 */
function startWith(exporter: () => Promise<LogRecordExporter>, batched: boolean, env: NodeJS.ProcessEnv): Started {
  let emitNow: ((event: TelemetryEvent, trace?: InvocationTrace) => void) | undefined;
  let waiting: Array<[TelemetryEvent, InvocationTrace | undefined]> | undefined = [];
  const ready = (async () => {
    const [api, apiLogs, core, resources, sdkLogs, made] = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/api-logs'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-logs'),
      exporter(),
    ]);
    const provider = new sdkLogs.LoggerProvider({
      // Application Insights' cloud_RoleName: the app's name, as the host's own telemetry has it.
      resource: resources.resourceFromAttributes({ 'service.name': env.WEBSITE_SITE_NAME || 'siphon' }),
      processors: [batched ? new sdkLogs.BatchLogRecordProcessor({ exporter: made }) : new sdkLogs.SimpleLogRecordProcessor({ exporter: made })],
    });
    const logger: Logger = provider.getLogger('siphon');
    const propagator = new core.W3CTraceContextPropagator();
    // The context an event is emitted in: the invocation's trace, or none (no operation id) outside one.
    const contextOf = (trace: InvocationTrace | undefined): Context =>
      trace?.traceParent
        ? propagator.extract(api.ROOT_CONTEXT, { traceparent: trace.traceParent, ...(trace.traceState ? { tracestate: trace.traceState } : {}) }, api.defaultTextMapGetter)
        : api.ROOT_CONTEXT;
    emitNow = (event, trace) =>
      logger.emit({
        eventName: event.name,
        severityNumber: apiLogs.SeverityNumber.INFO,
        severityText: 'INFO',
        body: { name: event.name, measurements: event.measurements },
        attributes: { [customEventNameAttribute]: event.name, ...event.dimensions },
        context: contextOf(trace),
      });
    for (const [event, trace] of waiting ?? []) emitNow(event, trace);
    waiting = undefined;
    return provider;
  })().catch(() => {
    // Telemetry that cannot start stays off; the runs go on.
    waiting = undefined;
    return undefined;
  });
  return {
    ready,
    sink: {
      emit(event, trace) {
        if (emitNow) emitNow(event, trace);
        else if (waiting && waiting.length < maxWaitingEvents) waiting.push([event, trace]);
      },
    },
  };
}

/** The process's telemetry: decided once from the environment, undefined when off. */
export function telemetrySink(env: NodeJS.ProcessEnv = process.env): TelemetrySink | undefined {
  if (started === undefined) {
    const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
    started = connectionString ? startWith(async () => new AzureMonitorOnDemand(connectionString, env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING), true, env) : null;
  }
  return started?.sink;
}

/**
 * Sends this process's events to `exporter` as they happen (tests: an InMemoryLogRecordExporter).
 * Resolves once the SDK is loaded, with the function that flushes, shuts it down and turns
 * telemetry off again.
 */
export async function useTelemetryExporter(exporter: LogRecordExporter, env: NodeJS.ProcessEnv = {}): Promise<() => Promise<void>> {
  const mine = startWith(async () => exporter, false, env);
  started = mine;
  const provider = await mine.ready;
  return async () => {
    await provider?.forceFlush();
    await provider?.shutdown();
    if (started === mine) started = null;
  };
}

/** Sends what is batched (the Functions host's `appTerminate` hook, scripts before they exit). */
export async function flushTelemetry(): Promise<void> {
  await (await started?.ready)?.forceFlush();
}

/**
 * The Azure Monitor exporter, imported on the first export (so a process with telemetry off, or
 * one that has not sent an event yet, never loads it), with the app's managed identity when
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING says `Authorization=AAD` (Application Insights has
 * local authentication off: infra/modules/monitoring.bicep).
 */
class AzureMonitorOnDemand implements LogRecordExporter {
  private exporter: Promise<LogRecordExporter> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly authenticationString: string | undefined,
  ) {}

  private load(): Promise<LogRecordExporter> {
    this.exporter ??= (async () => {
      const { AzureMonitorLogExporter } = await import('@azure/monitor-opentelemetry-exporter');
      const auth = parseAuthenticationString(this.authenticationString);
      if (!auth.aad) return new AzureMonitorLogExporter({ connectionString: this.connectionString });
      const { ManagedIdentityCredential } = await import('@azure/identity');
      const credential = auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
      return new AzureMonitorLogExporter({ connectionString: this.connectionString, credential });
    })();
    return this.exporter;
  }

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.load().then(
      (exporter) => exporter.export(records, done),
      // 1 is ExportResultCode.FAILED (a const enum of @opentelemetry/core, not imported here so that it loads only with the SDK).
      (error: unknown) => done({ code: 1, error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }

  async forceFlush(): Promise<void> {
    if (this.exporter) await (await this.exporter).forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.exporter) await (await this.exporter).shutdown();
  }
}

/** `Authorization=AAD` or `Authorization=AAD;ClientId=<user-assigned identity>` (the host's own format). */
export function parseAuthenticationString(text: string | undefined): { aad: boolean; clientId?: string } {
  const pairs = new Map(
    (text ?? '')
      .split(';')
      .map((part) => part.split('='))
      .filter((pair) => pair.length === 2)
      .map(([key, value]) => [key!.trim().toLowerCase(), value!.trim()] as const),
  );
  const clientId = pairs.get('clientid');
  return { aad: pairs.get('authorization')?.toUpperCase() === 'AAD', ...(clientId ? { clientId } : {}) };
}
