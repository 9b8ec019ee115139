import { describe, expect, it } from 'vitest';
import { RunEvent, formatRunEvent, parseRunEvent, rowsPerSecond, runEventFields, runEventLog, runEventRecord, type RunEventLog } from '../../src/observability/runEvents.js';
import { failRun } from '../../src/orchestration/failRun.js';
import { failPoisonedJob } from '../../src/jobs/failPoisonedJob.js';
import type { Services } from '../../src/services.js';
import { readRepoFile } from './infraChecks.js';
import { bicepQueries, checkEventQuery, eventsNamedIn, fieldsNamedIn, readmeQueries, workbookQueries } from './eventQueries.js';

/** The JSON of a log line, as a person or a script reading the local runtime's log would take it. */
function lineJson(message: string): Record<string, unknown> | undefined {
  if (!/\bSiphonEvent\b/.test(message)) return undefined;
  return JSON.parse(message.slice(message.indexOf('{'))) as Record<string, unknown>;
}

describe('run events', () => {
  it('are one line: marker, event name, JSON with every property and the throughput', () => {
    const line = formatRunEvent(RunEvent.chunkCompleted, { pipelineId: 'sales-orders', runId: 'r1', chunk: 3, rows: 250_000, bytes: 9_000_000, files: 1, durationInMs: 4_000, status: 'done' });
    expect(line.startsWith('SiphonEvent SiphonChunkCompleted {')).toBe(true);
    expect(line).not.toContain('\n');
    expect(lineJson(line)).toEqual({ event: 'SiphonChunkCompleted', pipelineId: 'sales-orders', runId: 'r1', chunk: 3, rows: 250_000, bytes: 9_000_000, files: 1, durationInMs: 4_000, status: 'done', rowsPerSecond: 62_500 });
    expect(parseRunEvent(`[run-1] ${line}`)).toEqual(lineJson(line));
    expect(parseRunEvent('Executing copyChunk {x}')).toBeUndefined();
  });

  it('compute throughput only when there is a duration', () => {
    expect(rowsPerSecond(1_000, 3_000)).toBe(333.3);
    expect(rowsPerSecond(1_000, 0)).toBeUndefined();
    expect(rowsPerSecond(undefined, 1_000)).toBeUndefined();
  });

  it('never carry a credential from an error message', () => {
    const line = formatRunEvent(RunEvent.runFailed, { pipelineId: 'p', runId: 'r', error: 'login failed: Server=db;User ID=sa;Password=S3cret!;' });
    expect(line).not.toContain('S3cret');
    expect(lineJson(line)?.error).toContain('[Hidden Credential]');
  });

  it('go to the invocation log at a level that fits', () => {
    const calls: string[] = [];
    const context = { log: (m: string) => calls.push(`info ${m}`), warn: (m: string) => calls.push(`warn ${m}`), error: (m: string) => calls.push(`error ${m}`) };
    const emit = runEventLog(context);
    emit(RunEvent.runCompleted, { pipelineId: 'p', runId: 'r', rows: 1 });
    emit(RunEvent.runFailed, { pipelineId: 'p', runId: 'r', error: 'x' });
    emit(RunEvent.poisonMessage, { dequeueCount: 5 });
    expect(calls.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'info SiphonEvent SiphonRunCompleted',
      'error SiphonEvent SiphonRunFailed',
      'warn SiphonEvent SiphonPoisonMessage',
    ]);
  });
});

describe('queries over run events', () => {
  const alerts = readRepoFile('infra/modules/alerts.bicep');
  const monitoring = readRepoFile('infra/modules/monitoring.bicep');
  const workbook = workbookQueries(readRepoFile('infra/modules/workbook.json'));
  const readme = readRepoFile('README.md');

  it('alert on failed runs, poison messages, failure rate, volume drop and duration anomaly from customEvents', () => {
    const queries = bicepQueries(alerts);
    expect(queries.map((q) => q.name)).toEqual(['runFailedQuery', 'poisonMessageQuery', 'failureRateQuery', 'volumeDropQuery', 'durationAnomalyQuery']);
    expect(eventsNamedIn(queries[0]!.text)).toEqual([RunEvent.runFailed]);
    expect(eventsNamedIn(queries[1]!.text)).toEqual([RunEvent.poisonMessage]);
    expect(eventsNamedIn(queries[2]!.text)).toEqual([RunEvent.runCompleted, RunEvent.runFailed, RunEvent.runFailed]);
    for (const query of queries) {
      expect(query.text.trimStart().startsWith('customEvents') || query.text.includes('customEvents\n')).toBe(true);
      expect(checkEventQuery(query.name, query.text)).toEqual([]);
      // The rules split their alerts by pipeline: every query gives a pipelineId column.
      expect(query.text).toContain('pipelineId = tostring(customDimensions.pipelineId)');
      // format() fills {0}, {1}, ... from the rule's parameters: each placeholder must get an argument.
      const placeholders = new Set([...query.text.matchAll(/\{(\d)\}/g)].map((m) => Number(m[1])));
      const call = new RegExp(`format\\(${query.name}((?:, [^,\\n]+)*)\\)`).exec(alerts);
      const argumentCount = call ? call[1]!.split(',').length - 1 : 0;
      expect(argumentCount, query.name).toBe(placeholders.size);
      if (placeholders.size > 0) expect([...placeholders].sort()).toEqual([...Array(placeholders.size).keys()]);
    }
    // Each query is used by a rule.
    for (const query of queries) expect(alerts.split(query.name).length - 1, query.name).toBeGreaterThanOrEqual(2);
  });

  it('gives the anomaly rules defaults that judge only with enough runs behind them', () => {
    expect(alerts).toMatch(/param failureRateMinimumRuns int = 3\b/);
    expect(alerts).toMatch(/param anomalyMinimumRuns int = 5\b/);
    expect(alerts).toMatch(/param volumeDropPercent int = 50\b/);
    expect(alerts).toMatch(/param durationAnomalyPercent int = 300\b/);
    expect(alerts).toContain("overrideQueryTimeRange: empty(rule.timeRange) ? null : rule.timeRange");
  });

  it('the SiphonEvents workspace function reads the fields of AppEvents the code sends', () => {
    const [query] = bicepQueries(monitoring);
    expect(query?.name).toBe('siphonEventsQuery');
    expect(checkEventQuery('siphonEventsQuery', query!.text)).toEqual([]);
    // It gives every field a column, so a field added to the code without one is noticed here.
    const named = new Set(fieldsNamedIn(query!.text).map((f) => f.field));
    expect(Object.keys(runEventFields).filter((field) => !named.has(field))).toEqual([]);
  });

  it('the workbook parses, has its views, and its queries read only what the code sends', () => {
    expect(workbook.items.map((item) => item.name)).toEqual([
      'header',
      'parameters',
      'runs-over-time',
      'runs-per-pipeline',
      'throughput',
      'failures',
      'slowest-chunks',
      'quality',
      'rejected-and-drift',
      'notifications',
    ]);
    expect(workbook.items[1]!.content.parameters!.map((p) => p.name)).toEqual(['TimeRange', 'Pipeline']);
    for (const item of workbook.items.filter((i) => i.type === 3)) {
      expect(item.content.timeContextFromParameter, item.name).toBe('TimeRange');
      // Per pipeline: every view filters on the Pipeline parameter.
      expect(item.content.query, item.name).toContain('| where pipelineId in ({Pipeline})');
    }
    for (const query of workbook.queries) expect(checkEventQuery(`workbook ${query.name}`, query.text)).toEqual([]);
    const named = new Set(workbook.queries.flatMap((q) => eventsNamedIn(q.text)));
    expect(Object.values(RunEvent).filter((event) => !named.has(event))).toEqual([RunEvent.poisonMessage]);
    // monitoring.bicep deploys this file, not a copy of it.
    expect(monitoring).toContain("serializedData: string(union(loadJsonContent('workbook.json'),");
  });

  it("the README's KQL cookbook reads customEvents with the fields the code sends", () => {
    const blocks = readmeQueries(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    blocks.forEach((block, i) => {
      expect(block).toContain('customEvents');
      expect(checkEventQuery(`README kusto block ${i + 1}`, block)).toEqual([]);
    });
  });

  it('notices a query that reads a field no event carries, or reads a number as text', () => {
    const query = 'customEvents | where name == "SiphonRunDone" | project rows = customDimensions.rows, r = customMeasurements.rowCount, e = parse_json(message)';
    expect(checkEventQuery('q', query)).toEqual([
      'q parses trace text; read customDimensions instead',
      'q names event SiphonRunDone, which the code never emits',
      'q reads rows as a dimension, but the code sends it as a measurement',
      'q reads rowCount, which no event carries',
    ]);
  });
});

describe('handlers that emit run events', () => {
  type Run = { pipelineId: string; runId: string; status: string; startedAt?: string; requestedAt: string };

  /** Just the part of Services failRun and failPoisonedJob touch: one run record, no lease, and a clock. */
  function fakeServices(run: Run) {
    const record = { ...run };
    return {
      record,
      services: {
        now: () => new Date('2026-11-21T16:35:00Z'),
        // No lease held: failRun's release finds nothing to do.
        leases: { get: async () => undefined },
        // The timeline table: these tests read the log lines only.
        runEvents: { append: async () => true },
        runs: {
          get: async () => record,
          update: async (_pipelineId: string, _runId: string, change: (current: Run) => Run | undefined) => {
            const next = change({ ...record });
            if (next) Object.assign(record, next);
            return record;
          },
        },
      } as unknown as Services,
    };
  }

  function collect(): { events: Array<Record<string, unknown>>; log: RunEventLog } {
    const events: Array<Record<string, unknown>> = [];
    return { events, log: (event, properties) => events.push(runEventRecord(event, properties)) };
  }

  const runId = '20261121T163000Z-1a2b3c4d';

  it('failRun logs SiphonRunFailed once, when it is the one that fails the run', async () => {
    const { services, record } = fakeServices({ pipelineId: 'sales', runId, status: 'running', startedAt: '2026-11-21T16:30:00Z', requestedAt: '2026-11-21T16:29:00Z' });
    const { events, log } = collect();
    await failRun(services, { pipelineId: 'sales', runId, chunk: 2, error: 'connect ECONNRESET (Password=hunter2;)' }, log);
    // A retried activity finds the run already failed: no second event, so no second alert.
    await failRun(services, { pipelineId: 'sales', runId, chunk: 2, error: 'again' }, log);
    expect(record.status).toBe('failed');
    expect(events).toEqual([
      { event: 'SiphonRunFailed', pipelineId: 'sales', runId, chunk: 2, durationInMs: 300_000, status: 'failed', error: 'connect ECONNRESET (Password=[Hidden Credential];)' },
    ]);
  });

  it('failPoisonedJob logs SiphonPoisonMessage and the run failure it causes', async () => {
    const { services } = fakeServices({ pipelineId: 'sales', runId, status: 'queued', requestedAt: '2026-11-21T16:29:00Z' });
    const { events, log } = collect();
    await failPoisonedJob(services, { runId, pipelineId: 'sales', reason: 'manual', options: {} }, 5, log);
    expect(events.map((e) => e.event)).toEqual(['SiphonPoisonMessage', 'SiphonRunFailed']);
    expect(events[0]).toEqual({ event: 'SiphonPoisonMessage', pipelineId: 'sales', runId, dequeueCount: 5 });
  });

  it('failPoisonedJob logs a message too broken to name a run, too', async () => {
    const { services } = fakeServices({ pipelineId: 'sales', runId, status: 'queued', requestedAt: '2026-11-21T16:29:00Z' });
    const { events, log } = collect();
    await failPoisonedJob(services, 'not json', 5, log);
    expect(events).toEqual([{ event: 'SiphonPoisonMessage', dequeueCount: 5 }]);
  });
});
