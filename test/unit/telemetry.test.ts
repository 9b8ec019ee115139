import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { RunEvent, runEventFields, runEventLog, runEventRecord, splitRunEvent, type RunEventProperties } from '../../src/observability/runEvents.js';
import { customEventNameAttribute, flushTelemetry, newTraceParent, parseAuthenticationString, telemetrySink, useTelemetryExporter, type TelemetrySink } from '../../src/observability/telemetry.js';

/** A trace context as the Functions host hands an invocation (the W3C spec's example ids). */
const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';
const invocation = (lines: string[] = []) => ({
  log: (line: string) => lines.push(line),
  warn: (line: string) => lines.push(line),
  error: (line: string) => lines.push(line),
  traceContext: { traceParent: `00-${traceId}-${spanId}-01`, traceState: '' },
});

/** One of every kind of event, with the properties the emitters give (src/ and the other parts). */
const samples: Array<[RunEvent: (typeof RunEvent)[keyof typeof RunEvent], RunEventProperties]> = [
  [RunEvent.chunkCompleted, { pipelineId: 'sales', runId: 'r1', chunk: 3, rows: 250_000, bytes: 9_000_000, files: 1, durationInMs: 4_000, status: 'done' }],
  [RunEvent.runFailed, { pipelineId: 'sales', runId: 'r1', chunk: 2, durationInMs: 300_000, status: 'failed', error: 'login failed (Password=hunter2;)' }],
  [RunEvent.qualityChecked, { pipelineId: 'sales', runId: 'r1', check: 'notNull', column: 'email', severity: 'warn', outcome: 'warn', measured: 0.97, lowerBound: 0.99 }],
  [RunEvent.notificationFailed, { pipelineId: 'sales', runId: 'r1', target: 'ops-slack', targetType: 'slack', notification: 'failure', attempt: 5, error: 'HTTP 500' }],
  [RunEvent.schemaDrift, { pipelineId: 'sales', runId: 'r1', outcome: 'evolved', changes: 'added "note" text (string, null)', columnsAdded: 1, columnsRemoved: 0, columnsRetyped: 0 }],
  [RunEvent.rowsRejected, { pipelineId: 'sales', runId: 'r1', rowsRejected: 11 }],
];

describe('run event shapes', () => {
  it('split into text dimensions and numeric measurements as runEventFields says', () => {
    for (const [event, properties] of samples) {
      const { dimensions, measurements } = splitRunEvent(runEventRecord(event, properties));
      for (const [field, value] of Object.entries(dimensions)) {
        expect(runEventFields[field as keyof typeof runEventFields], `${event}.${field}`).toBe('dimension');
        expect(typeof value).toBe('string');
      }
      for (const [field, value] of Object.entries(measurements)) {
        expect(runEventFields[field as keyof typeof runEventFields], `${event}.${field}`).toBe('measurement');
        expect(Number.isFinite(value)).toBe(true);
      }
      // Nothing given is lost, nothing is invented but the throughput.
      expect(Object.keys({ ...dimensions, ...measurements }).sort()).toEqual([...Object.keys(properties), ...(properties.rows !== undefined && properties.durationInMs ? ['rowsPerSecond'] : [])].sort());
    }
  });

  it('leave undefined properties out and scrub credentials from errors', () => {
    const record = runEventRecord(RunEvent.runFailed, { pipelineId: 'p', runId: undefined, error: 'Server=db;Password=S3cret!;' });
    expect(record).toEqual({ event: 'SiphonRunFailed', pipelineId: 'p', error: 'Server=db;Password=[Hidden Credential];' });
  });

  it('type dimensions as text and measurements as numbers', () => {
    // @ts-expect-error rows is a measurement
    const wrongRows: RunEventProperties = { rows: '10' };
    // @ts-expect-error pipelineId is a dimension
    const wrongId: RunEventProperties = { pipelineId: 7 };
    // @ts-expect-error the throughput is computed, never passed
    const computed: RunEventProperties = { rowsPerSecond: 1 };
    expect([wrongRows, wrongId, computed]).toHaveLength(3);
  });
});

describe('telemetry', () => {
  it('sends each event as a customEvent with its dimensions, measurements and the invocation\'s operation id', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const stop = await useTelemetryExporter(exporter);
    const lines: string[] = [];
    let records: ReturnType<InMemoryLogRecordExporter['getFinishedLogRecords']>;
    try {
      const emit = runEventLog(invocation(lines));
      for (const [event, properties] of samples) emit(event, properties);
      await flushTelemetry();
      // Read before stopping: shutting the exporter down empties it.
      records = exporter.getFinishedLogRecords();
    } finally {
      await stop();
    }
    expect(records.map((r) => r.attributes[customEventNameAttribute])).toEqual(samples.map(([event]) => event));
    const [chunk, failed, quality] = records;
    expect(chunk!.attributes).toEqual({ [customEventNameAttribute]: 'SiphonChunkCompleted', pipelineId: 'sales', runId: 'r1', status: 'done' });
    expect(chunk!.body).toEqual({ name: 'SiphonChunkCompleted', measurements: { chunk: 3, rows: 250_000, bytes: 9_000_000, files: 1, durationInMs: 4_000, rowsPerSecond: 62_500 } });
    expect(failed!.attributes.error).toBe('login failed (Password=[Hidden Credential];)');
    expect(quality!.attributes).toMatchObject({ check: 'notNull', column: 'email', outcome: 'warn' });
    expect(quality!.body).toMatchObject({ measurements: { measured: 0.97, lowerBound: 0.99 } });
    // The operation id is the trace id the host gave the invocation; the parent is its span.
    for (const record of records) expect(record.spanContext).toMatchObject({ traceId, spanId });
    // The line for people is still written, one per event.
    expect(lines).toHaveLength(samples.length);
  });

  it('keeps the events emitted while the SDK is still loading and sends them once it has', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const starting = useTelemetryExporter(exporter);
    // Not awaited: the OpenTelemetry modules are still being imported.
    runEventLog(invocation())(RunEvent.rowsRejected, { pipelineId: 'p', runId: 'early', rowsRejected: 2 });
    const stop = await starting;
    try {
      await flushTelemetry();
      expect(exporter.getFinishedLogRecords().map((r) => [r.attributes.runId, r.spanContext?.traceId])).toEqual([['early', traceId]]);
    } finally {
      await stop();
    }
  });

  it('never fails the work that emits an event, and costs nothing when off', () => {
    const broken: TelemetrySink = {
      emit: () => {
        throw new Error('exporter exploded');
      },
    };
    const lines: string[] = [];
    expect(() => runEventLog(invocation(lines), broken)(RunEvent.runCompleted, { pipelineId: 'p', runId: 'r', rows: 1 })).not.toThrow();
    expect(lines).toHaveLength(1);
    // Off: without a connection string no provider is made and every event stops at one check.
    expect(telemetrySink({})).toBeUndefined();
  });

  it('reads the authentication string the way the Functions host does', () => {
    expect(parseAuthenticationString('Authorization=AAD')).toEqual({ aad: true });
    expect(parseAuthenticationString('Authorization=AAD;ClientId=1b2c')).toEqual({ aad: true, clientId: '1b2c' });
    expect(parseAuthenticationString(undefined)).toEqual({ aad: false });
  });

  it('makes W3C trace contexts for the local runtime\'s invocations', () => {
    const [a, b] = [newTraceParent(), newTraceParent()];
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(a.slice(3, 35)).not.toBe(b.slice(3, 35));
  });
});
