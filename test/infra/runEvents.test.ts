import { describe, expect, it } from 'vitest';
import { RunEvent, formatRunEvent, parseRunEvent, rowsPerSecond, runEventLog, runEventMarker, type RunEventLog } from '../../src/observability/runEvents.js';
import { failRun } from '../../src/orchestration/failRun.js';
import { failPoisonedJob } from '../../src/jobs/failPoisonedJob.js';
import type { Services } from '../../src/services.js';
import { readRepoFile } from './infraChecks.js';

/** What the KQL does: `parse_json(substring(message, indexof(message, "{")))` on lines that have the marker. */
function likeKql(message: string): Record<string, unknown> | undefined {
  if (!new RegExp(`\\b${runEventMarker}\\b`).test(message)) return undefined;
  return JSON.parse(message.slice(message.indexOf('{'))) as Record<string, unknown>;
}

const eventNames: string[] = Object.values(RunEvent);

/** Event names a query compares with (`== "SiphonX"`, `"SiphonX"` in a list). */
function eventsNamedIn(query: string): string[] {
  return [...query.matchAll(/"(Siphon[A-Z]\w*)"/g)].map((m) => m[1]!).filter((name) => name !== runEventMarker);
}

describe('run events', () => {
  it('are one line: marker, event name, JSON with every property and the throughput', () => {
    const line = formatRunEvent(RunEvent.chunkCompleted, { pipelineId: 'sales-orders', runId: 'r1', chunk: 3, rows: 250_000, bytes: 9_000_000, files: 1, durationInMs: 4_000, status: 'done' });
    expect(line.startsWith('SiphonEvent SiphonChunkCompleted {')).toBe(true);
    expect(line).not.toContain('\n');
    expect(likeKql(line)).toEqual({ event: 'SiphonChunkCompleted', pipelineId: 'sales-orders', runId: 'r1', chunk: 3, rows: 250_000, bytes: 9_000_000, files: 1, durationInMs: 4_000, status: 'done', rowsPerSecond: 62_500 });
    expect(parseRunEvent(`[run-1] ${line}`)).toEqual(likeKql(line));
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
    expect(likeKql(line)?.error).toContain('[Hidden Credential]');
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

  it('alert on failed runs and poison messages with the format the code writes', () => {
    const queries = [...alerts.matchAll(/var (\w+Query) = '''([\s\S]*?)'''/g)].map((m) => ({ name: m[1]!, text: m[2]! }));
    expect(queries.map((q) => q.name)).toEqual(['runFailedQuery', 'poisonMessageQuery']);
    for (const query of queries) {
      expect(query.text).toContain(`has "${runEventMarker}"`);
      expect(query.text).toContain('parse_json(substring(message, indexof(message, "{")))');
    }
    expect(eventsNamedIn(queries[0]!.text)).toEqual([RunEvent.runFailed]);
    expect(eventsNamedIn(queries[1]!.text)).toEqual([RunEvent.poisonMessage]);
  });

  it('the SiphonEvents workspace function parses the same format', () => {
    expect(monitoring).toContain(`Message has "${runEventMarker}"`);
    expect(monitoring).toContain('parse_json(substring(Message, indexof(Message, "{")))');
  });

  it("the README's KQL cookbook names only events the code writes", () => {
    const readme = readRepoFile('README.md');
    const blocks = [...readme.matchAll(/```kusto\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) {
      expect(block).toContain(runEventMarker);
      for (const name of eventsNamedIn(block)) expect(eventNames).toContain(name);
    }
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
    return { events, log: (event, properties) => events.push(parseRunEvent(formatRunEvent(event, properties))!) };
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
