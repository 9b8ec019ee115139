import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { getServices } from '../../src/services.js';
import { newRunId, runIdTime } from '../../src/jobs/runId.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { runEventsOf, sseReader, type SseMessage } from '../support/sseReader.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The server side of the live dashboard on the real path (PostgreSQL, Azurite, the local
 * runtime): a run's timeline as Server-Sent Events, conditional GET on every JSON answer, and the
 * fleet overview. Runs are made slow with slow_row (the query check refuses pg_sleep); history
 * the overview judges by time is written with the app's own stores (the scheduler timer is off).
 */
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment('live', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, note text)`);
    await db.query(`INSERT INTO orders SELECT i, 'order ' || i FROM generate_series(1, 200) i`);
    // STABLE (not the default VOLATILE) lets PostgreSQL drop the unused column from the planner's
    // min/max, count and sample queries over the pipeline's query: only the copy sleeps per row.
    await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT pg_sleep(seconds) IS NULL'`);
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await env?.stop();
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const hourInMs = 3_600_000;

async function createPipeline(spec: Record<string, unknown>) {
  const created = await env.api.post('/api/pipelines', { source, output: { container: 'live' }, ...spec });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created;
}

async function trigger(pipelineId: string): Promise<{ url: string; runId: string }> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return { url: triggered.headers.get('location')!, runId: triggered.body!.runId };
}

/** A run of `chunks` chunks (one at a time) whose rows take `seconds` each: ten rows a chunk. */
const slowPipeline = (id: string, seconds: number, chunks: number) =>
  createPipeline({ id, query: `SELECT id, note, slow_row(${seconds}) AS slept FROM orders WHERE id <= ${chunks * 10}`, chunking: { column: 'id', chunks, maxParallel: 1 } });

/** Opens a run's event stream with plain fetch, as a browser's EventSource would. */
async function openStream(runUrl: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${env.runtime.url}${runUrl}/events/stream`, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  return { response, controller, sse: response.ok ? sseReader(response.body!) : undefined };
}

const hasEnd = (messages: SseMessage[]) => messages.some((m) => m.event === 'end');
const sequences = (messages: SseMessage[]) => runEventsOf(messages).map((event) => event.sequence);

/** The whole timeline as GET .../events pages it. */
async function timeline(runUrl: string): Promise<number[]> {
  const page = await env.api.get(`${runUrl}/events?limit=1000`);
  expect(page.status).toBe(200);
  return (page.body!.events as Array<{ sequence: number }>).map((event) => event.sequence);
}

describe('a run timeline as Server-Sent Events', () => {
  it('streams events while the run goes and ends with end once it is over', async () => {
    await slowPipeline('stream-live', 0.1, 4);
    const run = await trigger('stream-live');
    const opened = Date.now();
    const { response, sse } = await openStream(run.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(response.headers.get('content-length')).toBeNull();

    // A chunk's event arrives while the run is still going.
    await sse!.readUntil((m) => runEventsOf(m).some((event) => event.type === 'chunkDone'), 60_000);
    expect((await env.api.get(run.url)).body!.status).toBe('running');
    expect(sse!.done).toBe(false);

    await sse!.readUntil(() => false, 60_000);
    expect(sse!.done).toBe(true);
    expect(sse!.messages[0]).toEqual({ retry: '2000' });
    expect(sse!.messages.at(-1)).toEqual({ event: 'end', data: '{"status":"succeeded"}' });
    // Every event of the timeline, each once, the finished one among them.
    const streamed = sequences(sse!.messages);
    expect(new Set(streamed).size).toBe(streamed.length);
    expect([...streamed].sort((a, b) => a - b)).toEqual(await timeline(run.url));
    expect(runEventsOf(sse!.messages).map((event) => event.type)).toContain('finished');
    const { progress } = (await env.api.get(run.url)).body!;
    expect(runEventsOf(sse!.messages).filter((event) => event.type === 'chunkDone')).toHaveLength(progress.chunksPlanned);
    // Each event written while the stream was open arrived within the dashboard's 2 s bound of
    // when it was stamped (measured: median 255 ms, max 996 ms: one poll interval and a read).
    const lags = sse!.messages.filter((m) => m.event === 'runEvent').flatMap((m) => {
      const at = Date.parse(JSON.parse(m.data!).at);
      return at > opened ? [sse!.arrivals.get(m)! - at] : [];
    });
    expect(lags.length).toBeGreaterThan(5);
    expect(Math.max(...lags)).toBeLessThan(2_000);
    // The events are the same JSON GET .../events answers.
    const listed = (await env.api.get(`${run.url}/events?limit=1000`)).body!.events;
    expect(runEventsOf(sse!.messages).sort((a, b) => a.sequence - b.sequence)).toEqual(listed);
  });

  it('resumes after Last-Event-ID with only later events, none twice, during the run and after it', async () => {
    await slowPipeline('stream-resume', 0.1, 4);
    const run = await trigger('stream-resume');
    const first = await openStream(run.url);
    await first.sse!.readUntil((m) => runEventsOf(m).length >= 3, 60_000);
    first.controller.abort();
    const seen = first.sse!.messages.filter((m) => m.event === 'runEvent');
    const lastId = seen.at(-1)!.id!;

    // The browser reconnects with the id of the last event it got.
    const second = await openStream(run.url, { 'last-event-id': lastId });
    expect(second.response.status).toBe(200);
    await second.sse!.readUntil(() => false, 60_000);
    expect(second.sse!.messages.at(-1)).toEqual({ event: 'end', data: '{"status":"succeeded"}' });
    const before = sequences(seen);
    const after = sequences(second.sse!.messages);
    expect(after.filter((sequence) => before.includes(sequence))).toEqual([]);
    expect([...before, ...after].sort((a, b) => a - b)).toEqual(await timeline(run.url));

    // Once the run is over: from the middle, the rest at once, then end.
    const middle = second.sse!.messages.filter((m) => m.event === 'runEvent')[1]!;
    const third = await openStream(run.url, { 'last-event-id': middle.id! });
    await third.sse!.readUntil(() => false, 10_000);
    expect(sequences(third.sse!.messages).sort((a, b) => a - b)).toEqual(after.slice(2).sort((a, b) => a - b));
    expect(hasEnd(third.sse!.messages)).toBe(true);
  });

  it('stops reading storage once the client goes away, and the runtime serves on', async () => {
    const services = await getServices();
    const eventReads = vi.spyOn(services.runEvents, 'list');
    const runReads = vi.spyOn(services.runs, 'getSummary');
    await slowPipeline('stream-gone', 0.3, 4);
    const run = await trigger('stream-gone');
    const readsOfRun = () => eventReads.mock.calls.filter(([partition]) => partition === run.runId).length + runReads.mock.calls.filter(([, runId]) => runId === run.runId).length;

    const { sse, controller } = await openStream(run.url);
    await sse!.readUntil((m) => runEventsOf(m).some((event) => event.type === 'started'), 30_000);
    // While the client reads, the stream polls (about once a second).
    const reading = readsOfRun();
    await sse!.readUntil((m) => runEventsOf(m).some((event) => event.type === 'chunkDone'), 30_000);
    expect(readsOfRun()).toBeGreaterThan(reading);

    controller.abort();
    // A read in flight when the client left may finish; after that, none.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const afterAbort = readsOfRun();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(readsOfRun()).toBe(afterAbort);
    expect((await env.api.get('/api/health')).status).toBe(200);
    // The run itself goes on; cancel it so it does not outlive the test.
    expect((await env.api.get(run.url)).body!.status).toBe('running');
    expect((await env.api.post(`${run.url}/cancel`)).status).toBe(200);
    eventReads.mockRestore();
    runReads.mockRestore();
  });

  it('answers 404 for an unknown pipeline or run and 400 for a malformed Last-Event-ID, before any stream', async () => {
    const known = (await env.api.get('/api/pipelines/stream-live/runs')).body!.runs[0].url as string;
    const unknownRun = `/api/pipelines/stream-live/runs/${newRunId(new Date())}`;
    for (const url of [`/api/pipelines/no-such-pipeline/runs/${newRunId(new Date())}`, unknownRun]) {
      const { response } = await openStream(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect((await response.json()).title).toMatch(/does not exist/);
    }
    for (const id of ['42abc', '1..2', '1.2.X', '-5', 'x'.repeat(2_000)]) {
      const { response } = await openStream(known, { 'last-event-id': id });
      expect(response.status, id).toBe(400);
      expect((await response.json()).detail).toMatch(/^Last-Event-ID: /);
    }
    const { response } = await fetch(`${env.runtime.url}${known}/events/stream?after=1`).then((r) => ({ response: r }));
    expect(response.status).toBe(400);
    expect((await response.json()).detail).toMatch(/^after: /);
  });
});

describe('conditional GET', () => {
  const get = (path: string, etag?: string) => fetch(`${env.runtime.url}${path}`, { headers: etag ? { 'if-none-match': etag } : {} });

  it('answers an unchanged pipeline with 304 and no body, and a changed one with 200 and a new ETag', async () => {
    await createPipeline({ id: 'etag-a', table: { name: 'orders' }, schedule: { cron: '0 * * * *' } });
    const first = await get('/api/pipelines/etag-a');
    const etag = first.headers.get('etag')!;
    // The pipeline's own ETag, the one PUT takes as If-Match.
    expect(etag).toBe((await first.json()).etag);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');

    const unchanged = await get('/api/pipelines/etag-a', etag);
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);

    const paused = await fetch(`${env.runtime.url}/api/pipelines/etag-a/schedule/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'if-match': etag } });
    expect(paused.status).toBe(200);
    const changed = await get('/api/pipelines/etag-a', etag);
    expect(changed.status).toBe(200);
    expect((await changed.json()).schedulePaused).toBe(true);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('tags answers without a record of their own by their body: lists, runs, the overview', async () => {
    const list = await get('/api/pipelines');
    const listTag = list.headers.get('etag')!;
    expect(listTag).toMatch(/^"[\w-]+"$/);
    expect((await get('/api/pipelines', listTag)).status).toBe(304);
    await createPipeline({ id: 'etag-b', table: { name: 'orders' } });
    const grown = await get('/api/pipelines', listTag);
    expect(grown.status).toBe(200);
    expect((await grown.json()).pipelines.map((p: { id: string }) => p.id)).toContain('etag-b');

    const runUrl = (await env.api.get('/api/pipelines/stream-live/runs')).body!.runs[0].url as string;
    for (const path of [runUrl, `${runUrl}/events`, `${runUrl}/chunks`, '/api/runs?pipeline=stream-live']) {
      const answer = await get(path);
      expect(answer.status, path).toBe(200);
      expect((await get(path, answer.headers.get('etag')!)).status, path).toBe(304);
    }
    expect((await get('/api/overview')).headers.get('etag')).toMatch(/^"[\w-]+"$/);
  });

  it('does not tag problems', async () => {
    const missing = await get('/api/pipelines/nope', '*');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
  });
});

describe('the overview', () => {
  const services = () => getServices();

  /** Moves when the pipeline's schedule took effect back in time, as if it had been created then. */
  async function scheduleSince(pipelineId: string, at: Date) {
    const pipelines = TableClient.fromConnectionString(env.azurite.connectionString, 'siphonPipelines', { allowInsecureConnection: true });
    await pipelines.updateEntity({ partitionKey: 'pipeline', rowKey: pipelineId, scheduleChangedAt: at.toISOString() }, 'Merge');
  }

  /** A run that happened at `requestedAt`, recorded through the app's own run store (and its index). */
  async function recordRun(pipelineId: string, requestedAt: Date, status: 'succeeded' | 'timed_out', extra: Record<string, unknown> = {}) {
    const { pipelines, runs } = await services();
    const pipeline = (await pipelines.get(pipelineId))!;
    const runId = newRunId(requestedAt);
    const endedAt = new Date(requestedAt.getTime() + 60_000).toISOString();
    await runs.create({ pipelineId, pipelineGeneration: pipeline.generation, runId, status, reason: 'manual', requestedAt: requestedAt.toISOString(), startedAt: requestedAt.toISOString(), endedAt, rows: 500, bytes: 12_345, files: 1, chunksPlanned: 1, attempt: 0, ...extra });
    return runId;
  }

  it('tells on-time, late, failing, paused and unscheduled pipelines apart, and totals the runs since', async () => {
    const now = Date.now();
    const hourly = { cron: '0 * * * *', timeZone: 'UTC' };

    await createPipeline({ id: 'ov-fresh', table: { name: 'orders' }, schedule: hourly });
    await scheduleSince('ov-fresh', new Date(now - 3 * hourInMs));
    const fresh = await env.api.waitForRun((await trigger('ov-fresh')).url);
    expect(fresh.status).toBe('succeeded');

    // Its last success was before the last fire time, which passed with nothing since.
    await createPipeline({ id: 'ov-late', table: { name: 'orders' }, schedule: hourly });
    await scheduleSince('ov-late', new Date(now - 3 * hourInMs));
    const lateRun = await recordRun('ov-late', new Date(now - 2.5 * hourInMs), 'succeeded');

    await createPipeline({ id: 'ov-failing', query: 'SELECT id, 1 / (id - 5) AS boom FROM orders', schedule: hourly, retry: { maxAttempts: 1 } });
    const failed = await env.api.waitForRun((await trigger('ov-failing')).url);
    expect(failed.status).toBe('failed');

    await createPipeline({ id: 'ov-timed-out', table: { schema: 'public', name: 'orders' }, description: 'no schedule, timed out an hour ago' });
    const timedOutRun = await recordRun('ov-timed-out', new Date(now - hourInMs), 'timed_out', { error: 'Run timed out after 60 minutes' });

    const pausedEtag = (await createPipeline({ id: 'ov-paused', table: { name: 'orders' }, schedule: hourly })).headers.get('etag')!;
    const paused = await fetch(`${env.runtime.url}/api/pipelines/ov-paused/schedule/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'if-match': pausedEtag } });
    expect(paused.status).toBe(200);
    await createPipeline({ id: 'ov-unscheduled', query: 'SELECT id FROM orders', output: { container: 'live', format: 'csv' } });

    // A query job runs like a pipeline but is none: it is left out.
    const query = await env.api.post('/api/queries', { source, query: 'SELECT id FROM orders WHERE id <= 3', format: 'jsonl' });
    expect(query.status, JSON.stringify(query.body)).toBe(202);
    await waitFor(() => env.api.get(query.headers.get('location')!), (r) => r.body!.status === 'succeeded', 'the query job to finish');

    const answer = await env.api.get('/api/overview');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const overview = answer.body!;
    const row = (id: string) => (overview.pipelines as Array<Record<string, any>>).find((p) => p.id === id)!;

    expect(Date.parse(overview.now) - Date.parse(overview.since)).toBe(24 * hourInMs);
    expect(overview.pipelines.map((p: { id: string }) => p.id)).toEqual([...overview.pipelines.map((p: { id: string }) => p.id)].sort());
    expect(overview.pipelines.some((p: { id: string }) => p.id.startsWith('q-'))).toBe(false);

    const nextHour = new Date(Math.floor(Date.parse(overview.now) / hourInMs + 1) * hourInMs).toISOString();
    expect(row('ov-fresh')).toMatchObject({ freshness: 'on_time', engine: 'postgres', object: 'public.orders', format: 'parquet', container: 'live', schedule: hourly, paused: false, nextRunAt: nextHour });
    expect(row('ov-fresh').lastRun).toMatchObject({ runId: fresh.runId, status: 'succeeded', reason: 'manual', rows: 200, bytes: fresh.bytes, url: fresh.url });
    expect(row('ov-fresh').lastSuccessAt).toBe(fresh.endedAt);
    expect(row('ov-late')).toMatchObject({ freshness: 'late', lastRun: { runId: lateRun, status: 'succeeded' }, nextRunAt: nextHour });
    expect(row('ov-failing')).toMatchObject({ freshness: 'failing', object: 'query', lastRun: { runId: failed.runId, status: 'failed' } });
    expect(row('ov-failing').lastSuccessAt).toBeUndefined();
    expect(row('ov-timed-out')).toMatchObject({ freshness: 'failing', description: 'no schedule, timed out an hour ago' });
    expect(row('ov-timed-out').schedule).toBeUndefined();
    expect(row('ov-paused')).toMatchObject({ freshness: 'paused', paused: true });
    expect(row('ov-paused').nextRunAt).toBeUndefined();
    expect(row('ov-unscheduled')).toMatchObject({ freshness: 'unscheduled', format: 'csv' });
    expect(row('ov-unscheduled').lastRun).toBeUndefined();

    // Attention: the latest runs that failed or timed out, newest first.
    const attention = overview.attention.filter((item: { pipelineId: string }) => item.pipelineId.startsWith('ov-'));
    expect(attention.map((item: { pipelineId: string }) => item.pipelineId)).toEqual(['ov-failing', 'ov-timed-out']);
    expect(attention[0]).toMatchObject({ runId: failed.runId, status: 'failed', endedAt: failed.endedAt, url: failed.url });
    expect(attention[0].error).toMatch(/division by zero/);
    expect(attention[1]).toMatchObject({ runId: timedOutRun, status: 'timed_out', error: 'Run timed out after 60 minutes' });

    // The totals are what each pipeline's runs say, for the runs requested since `since`.
    const expected = { total: 0, byStatus: {} as Record<string, number>, rows: 0, bytes: 0 };
    for (const pipeline of (await env.api.get('/api/pipelines?limit=1000')).body!.pipelines) {
      for (const run of (await env.api.get(`/api/pipelines/${pipeline.id}/runs?limit=1000`)).body!.runs) {
        if (runIdTime(run.runId).getTime() < Date.parse(overview.since)) continue;
        expected.total++;
        expected.byStatus[run.status] = (expected.byStatus[run.status] ?? 0) + 1;
        expected.rows += run.rows;
        expected.bytes += run.bytes;
      }
    }
    expect(overview.runs).toEqual(expected);
    expect(overview.runs.byStatus.failed).toBeGreaterThanOrEqual(1);

    // A narrower window leaves out the run of 2.5 hours ago (and the timed-out one of an hour ago stays in).
    const lastHour = (await env.api.get('/api/overview?hours=2')).body!;
    expect(lastHour.runs.total).toBe(expected.total - 1);
    expect(lastHour.runs.rows).toBe(expected.rows - 500);

    // One pipeline's overview: its row as the fleet's has it, and only its runs in the totals.
    const failingId = attention[0]!.pipelineId as string;
    const one = (await env.api.get(`/api/overview?pipeline=${failingId}`)).body!;
    expect(one.pipelines.map((p: Record<string, unknown>) => [p.id, p.freshness, p.lastRun])).toEqual([[failingId, row(failingId).freshness, row(failingId).lastRun]]);
    expect(one.attention.map((item: { pipelineId: string }) => item.pipelineId)).toEqual([failingId]);
    const ownRuns = (await env.api.get(`/api/pipelines/${failingId}/runs?limit=100`)).body!.runs as Array<{ runId: string }>;
    expect(one.runs.total).toBe(ownRuns.filter((run) => runIdTime(run.runId).getTime() >= Date.parse(one.since)).length);
    expect((await env.api.get('/api/overview?pipeline=no-such-pipeline')).body!.pipelines).toEqual([]);
    expect((await env.api.get('/api/overview?pipeline=Not_An_Id')).status).toBe(400);
  });

  it('refuses an hours value out of range or not in digits, and parameters it does not take', async () => {
    for (const query of ['hours=0', 'hours=169', 'hours=1.5', 'hours=abc', 'hours=', 'hours=1&hours=2']) {
      const answer = await env.api.get(`/api/overview?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body!.detail, query).toMatch(/^hours: /);
    }
    const unknown = await env.api.get('/api/overview?since=2026-01-01');
    expect(unknown.status).toBe(400);
    expect(unknown.body!.detail).toMatch(/^since: /);
    expect((await env.api.get('/api/overview?hours=168')).status).toBe(200);
  });
});
