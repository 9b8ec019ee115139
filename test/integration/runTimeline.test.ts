import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TableClient, odata } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { azuriteAccount } from '../../src/settings.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { apiClient } from '../support/api.js';
import { quietLog, testSourceSetting } from '../support/testEnvironment.js';
import { endpointOf, startFaultProxy, withEndpoints, type FaultProxy } from '../support/faultProxy.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The control surface of a run (issue 14, points 3, 4 and 6): its timeline of events, its
 * chunks with their attempts, errors and timings, and the watermark an operator may inspect and
 * reset. Everything through the HTTP API of the local runtime; stored state is read back with
 * fresh table clients. Blob storage sits behind a fault proxy, so a chunk's upload can be cut
 * (a dropped connection) or held (a run that stays in progress).
 */
let azurite: AzuriteHandle;
let database: TestDatabase;
let blobProxy: FaultProxy;
let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

const source = { engine: 'postgres', connectionSetting: testSourceSetting };

beforeAll(async () => {
  [azurite, database] = await Promise.all([startAzurite(), createTestDatabase('timeline')]);
  await database.query(`CREATE TABLE public.items (id int PRIMARY KEY, note text)`);
  await database.query(`INSERT INTO public.items SELECT g, 'item ' || g || repeat('x', g % 50) FROM generate_series(1, 30000) g`);
  await database.query(`CREATE TABLE public.ledger (seq bigint PRIMARY KEY, booked_at timestamptz NOT NULL)`);
  await database.query(`INSERT INTO public.ledger SELECT g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, 1000) g`);
  blobProxy = await startFaultProxy(endpointOf(azurite.connectionString, 'BlobEndpoint'));
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.SIPHON_DATA_STORAGE = withEndpoints(azurite.connectionString, { BlobEndpoint: blobProxy.endpoint(azuriteAccount.name) });
  process.env[testSourceSetting] = database.url;
  runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
  api = apiClient(runtime.url);
});

afterAll(async () => {
  await runtime?.stop();
  await blobProxy?.close();
  await azurite?.stop();
  await database?.drop();
  delete process.env.SIPHON_DATA_STORAGE;
});

afterEach(() => {
  blobProxy.rule = undefined;
});

const table = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

/** The events of a partition as stored: read with a fresh client, not through Siphon's store. */
async function storedEvents(partition: string): Promise<Array<Record<string, unknown>>> {
  const events: Array<Record<string, unknown>> = [];
  for await (const entity of table('siphonRunEvents').listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } })) {
    if (!String(entity.rowKey).startsWith('key:')) events.push(entity);
  }
  return events;
}

/** Every event of a run, following continuation tokens page by page. */
async function allEvents(runUrl: string, limit: number): Promise<Array<Record<string, any>>> {
  const events: Array<Record<string, any>> = [];
  let token: string | undefined;
  do {
    const page = await api.get(`${runUrl}/events?limit=${limit}${token ? `&continuationToken=${token}` : ''}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body!.events.length).toBeLessThanOrEqual(limit);
    events.push(...page.body!.events);
    token = page.body!.continuationToken;
  } while (token);
  return events;
}

async function trigger(pipelineId: string): Promise<{ url: string; runId: string }> {
  const triggered = await api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return { url: triggered.headers.get('location')!, runId: String(triggered.body!.runId) };
}

describe('a run\'s timeline and chunks', () => {
  const pipeline = {
    id: 'items',
    source,
    table: { schema: 'public', name: 'items' },
    chunking: { column: 'id', chunks: 3, maxParallel: 3, strategy: 'equalWidth' },
    output: { container: 'timeline', format: 'csv' },
    // A long first backoff, so the test sees a chunk waiting to be retried.
    retry: { maxAttempts: 3, firstDelaySeconds: 4 },
  };

  beforeAll(async () => {
    expect((await api.post('/api/pipelines', pipeline)).status).toBe(201);
  });

  it('records the run in order, once: queued, started, prepared with the plan, every chunk started and done, finished', async () => {
    const { url, runId } = await trigger(pipeline.id);
    const run = await api.waitForRun(url);
    expect(run.status).toBe('succeeded');

    const events = await allEvents(url, 1000);
    const types = events.map((event) => event.type);
    expect(types.filter((type) => !type.startsWith('chunk'))).toEqual(['queued', 'started', 'prepared', 'finished']);
    const sequences = events.map((event) => event.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(new Set(sequences).size).toBe(sequences.length);

    const prepared = events.find((event) => event.type === 'prepared')!;
    expect(prepared).toMatchObject({ chunkCount: 3, method: 'equalWidth', runAttempt: 0 });
    const at = (type: string, chunk?: number) => types.findIndex((t, i) => t === type && (chunk === undefined || events[i]!.chunk === chunk));
    for (const chunk of [0, 1, 2]) {
      // Once each: a chunk's events are keyed by (run attempt, chunk, attempt).
      expect(events.filter((event) => event.chunk === chunk).map((event) => event.type)).toEqual(['chunkStarted', 'chunkDone']);
      expect(at('chunkStarted', chunk)).toBeGreaterThan(at('prepared'));
      expect(at('chunkDone', chunk)).toBeLessThan(at('finished'));
    }
    const done = events.filter((event) => event.type === 'chunkDone');
    expect(done.reduce((sum, event) => sum + event.rows, 0)).toBe(30_000);
    expect(events.at(-1)).toMatchObject({ type: 'finished', status: 'succeeded', rows: 30_000, bytes: run.bytes });

    // The same events stored, read back with a fresh client.
    expect((await storedEvents(runId)).map((entity) => entity.type)).toEqual(types);

    // Paged two at a time: the same events; after= the plan: only what came after it.
    expect(await allEvents(url, 2)).toEqual(events);
    const after = await api.get(`${url}/events?after=${prepared.sequence}`);
    expect(after.status).toBe(200);
    expect(after.body!.events).toEqual(events.slice(at('prepared') + 1));
    expect(after.body!.continuationToken).toBeUndefined();
    const last = await api.get(`${url}/events?after=${events.at(-1)!.sequence}`);
    expect(last.body).toEqual({ events: [] });

    // Chunk detail: done, one attempt, timings that add up within the attempt.
    const chunks = (await api.get(`${url}/chunks`)).body!.chunks as Array<Record<string, any>>;
    expect(chunks.map((chunk) => [chunk.index, chunk.status, chunk.attempts.length])).toEqual([[0, 'done', 1], [1, 'done', 1], [2, 'done', 1]]);
    for (const chunk of chunks) {
      const [attempt] = chunk.attempts;
      expect(attempt.error).toBeUndefined();
      const durationInMs = Date.parse(attempt.endedAt) - Date.parse(attempt.startedAt);
      const { queueMs, readMs, encodeMs, uploadMs } = chunk.timings;
      for (const ms of [queueMs, readMs, encodeMs, uploadMs]) expect(ms).toBeGreaterThanOrEqual(0);
      // Rounded to whole milliseconds each, so up to 2 ms over in sum.
      expect(readMs + encodeMs + uploadMs).toBeLessThanOrEqual(durationInMs + 2);
      expect(readMs + uploadMs).toBeGreaterThan(0);
      expect(queueMs).toBeLessThanOrEqual(Date.parse(attempt.startedAt) - Date.parse(run.startedAt) + 1);
    }
    // The run's own answer carries the same chunks (at most its first 100) and where to page them.
    expect(run.chunks).toEqual(chunks);
    expect(run.chunksUrl).toBe(`${url}/chunks`);
  });

  it('shows a chunk whose upload connection dropped as retrying while it waits, then done with both attempts and the first one\'s error', async () => {
    let runId = '';
    let resets = 0;
    // Chunk 1's commit (Put Block List) has its connection reset on every try the SDK makes
    // (four), so the activity throws once; from then on the proxy forwards.
    blobProxy.rule = (request) => {
      if (!runId || request.method !== 'PUT' || request.query.get('comp') !== 'blocklist') return undefined;
      if (!request.path.includes(`/run=${runId}/`) || !request.path.includes('/part-00001-')) return undefined;
      return resets < 4 ? (resets++, { action: 'reset' }) : undefined;
    };
    const triggered = await trigger(pipeline.id);
    runId = triggered.runId;

    const waiting = await waitFor(
      // Undefined until prepare has planned the chunks.
      async () => (await api.get(`${triggered.url}/chunks?limit=10`)).body!.chunks[1] as Record<string, any> | undefined,
      (chunk) => chunk?.status === 'retrying',
      'chunk 1 waiting for its retry',
      60_000,
      50,
    );
    expect(waiting!.attempts).toHaveLength(1);
    expect(waiting!.attempts[0]).toMatchObject({ attempt: 1 });
    expect(waiting!.attempts[0].error).toMatch(/chunk 1/);
    expect(waiting!.attempts[0].endedAt).toBeDefined();

    const run = await api.waitForRun(triggered.url);
    expect(run.status).toBe('succeeded');
    expect(resets).toBe(4);
    const chunk = (await api.get(`${triggered.url}/chunks`)).body!.chunks[1];
    expect(chunk.status).toBe('done');
    expect(chunk.attempts.map((attempt: Record<string, unknown>) => attempt.attempt)).toEqual([1, 2]);
    expect(chunk.attempts[0].error).toBe(waiting!.attempts[0].error);
    expect(chunk.attempts[1].error).toBeUndefined();
    // The second attempt began after the backoff the pipeline asks for.
    expect(Date.parse(chunk.attempts[1].startedAt) - Date.parse(chunk.attempts[0].endedAt)).toBeGreaterThanOrEqual(3_900);

    const events = await allEvents(triggered.url, 1000);
    expect(events.filter((event) => event.chunk === 1).map((event) => [event.type, event.attempt])).toEqual([
      ['chunkStarted', 1], ['chunkRetried', 1], ['chunkStarted', 2], ['chunkDone', 2],
    ]);
    expect(events.find((event) => event.type === 'chunkRetried')!.error).toBe(waiting!.attempts[0].error);
  });

  it('pages the chunks of a run of a few hundred chunks, and refuses bad paging input changing nothing', async () => {
    const many = { ...pipeline, id: 'many-items', chunking: { column: 'id', chunks: 250, maxParallel: 16, strategy: 'equalWidth' }, output: { container: 'timeline', format: 'csv' } };
    expect((await api.post('/api/pipelines', many)).status).toBe(201);
    const { url } = await trigger(many.id);
    const run = await api.waitForRun(url, 300_000);
    expect(run.status).toBe('succeeded');
    expect(run.progress).toMatchObject({ chunksPlanned: 250, chunksDone: 250, rowsCopied: 30_000 });
    expect(run.chunks).toHaveLength(100);

    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await api.get(`${url}/chunks?limit=100${token ? `&continuationToken=${token}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body!.chunks.map((chunk: Record<string, unknown>) => chunk.index));
      for (const chunk of page.body!.chunks) expect(chunk).toMatchObject({ status: 'done', attempts: [{ attempt: 1 }] });
      token = page.body!.continuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect((await allEvents(url, 1000)).filter((event) => event.type === 'chunkDone')).toHaveLength(250);

    const before = await snapshotState({ azurite, database });
    for (const [query, field] of [
      ['limit=0', 'limit'], ['limit=1e2', 'limit'], ['limit=1001', 'limit'], ['continuationToken=abc', 'continuationToken'],
      ['status=done', 'status'], ['after=5', 'after'],
    ]) {
      const refused = await api.get(`${url}/chunks?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body!.detail, query).toMatch(new RegExp(`^${field}:`));
    }
    for (const [query, field] of [['after=x', 'after'], ['after=1&continuationToken=2', 'after'], ['limit=-1', 'limit'], ['since=1', 'since']]) {
      const refused = await api.get(`${url}/events?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body!.detail, query).toMatch(new RegExp(`^${field}:`));
    }
    expect((await api.get(`/api/pipelines/many-items/runs/20990101T000000Z-00000000/events`)).status).toBe(404);
    expect((await api.get(`/api/pipelines/many-items/runs/20990101T000000Z-00000000/chunks`)).status).toBe(404);
    expect(await snapshotState({ azurite, database })).toEqual(before);
  });

  it('keeps the errors of earlier attempts when a run is retried', async () => {
    // Every commit of chunk 0 fails: the run fails after its three attempts.
    let runId = '';
    blobProxy.rule = (request) => request.method === 'PUT' && runId && request.path.includes(`/run=${runId}/`) && request.query.get('comp') === 'blocklist' && request.path.includes('/part-00000-')
      ? { action: 'status', status: 403, code: 'AuthorizationFailure' }
      : undefined;
    const quick = { ...pipeline, id: 'items-failing', retry: { maxAttempts: 1, firstDelaySeconds: 0.1 } };
    expect((await api.post('/api/pipelines', quick)).status).toBe(201);
    const triggered = await trigger(quick.id);
    runId = triggered.runId;
    const failed = await api.waitForRun(triggered.url);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/chunk 0/);
    // failRun records the status, then appends `finished`: a reader can see the first before the second.
    const failedEvents = await waitFor(() => allEvents(triggered.url, 1000), (events) => events.some((event) => event.type === 'finished'), 'the failed run\'s finished event', 10_000);
    expect(failedEvents.find((event) => event.type === 'chunkFailed')).toMatchObject({ chunk: 0, attempt: 1 });
    // Chunks still in flight when the run failed wind down after it, so their events may follow.
    expect(failedEvents.find((event) => event.type === 'finished')).toMatchObject({ status: 'failed', error: failed.error });

    blobProxy.rule = undefined;
    await waitFor(async () => (await api.get(triggered.url)).body!, (run) => run.cleanedAt !== undefined, 'the failed run cleaned up');
    const retried = await api.post(`${triggered.url}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    const succeeded = await api.waitForRun(triggered.url);
    expect(succeeded.status).toBe('succeeded');
    expect(succeeded.error).toBeUndefined();
    expect(succeeded.previousAttempts).toEqual([{ attempt: 0, status: 'failed', error: failed.error, errorChunk: 0, endedAt: failed.endedAt }]);
    // The timeline holds both attempts: the first one's ending, then the retry queued and finished.
    const events = await allEvents(triggered.url, 1000);
    const runLevel = events.filter((event) => !event.type.startsWith('chunk')).map((event) => [event.type, event.runAttempt, event.status]);
    expect(runLevel).toEqual([
      ['queued', 0, undefined], ['started', 0, undefined], ['prepared', 0, undefined], ['finished', 0, 'failed'],
      ['queued', 1, undefined], ['started', 1, undefined], ['prepared', 1, undefined], ['finished', 1, 'succeeded'],
    ]);
  });
});

describe('the watermark', () => {
  const ledger = {
    id: 'ledger',
    source,
    table: { schema: 'public', name: 'ledger' },
    incremental: { column: 'booked_at' },
    output: { container: 'ledger', format: 'csv' },
  };
  const url = '/api/pipelines/ledger/watermark';

  beforeAll(async () => {
    expect((await api.post('/api/pipelines', ledger)).status).toBe(201);
  });

  it('is 404 for a pipeline that is not incremental, or has no watermark yet, and for an unknown pipeline', async () => {
    const notIncremental = await api.get('/api/pipelines/items/watermark');
    expect(notIncremental.status).toBe(404);
    expect(notIncremental.body!.title).toMatch(/not incremental/);
    const none = await api.get(url);
    expect(none.status).toBe(404);
    expect(none.body!.title).toMatch(/no watermark yet/);
    expect((await api.get('/api/pipelines/nobody/watermark')).status).toBe(404);
  });

  it('is shown as typed text with its ETag, and reset with If-Match only while no run holds the pipeline', async () => {
    const first = await api.waitForRun((await trigger(ledger.id)).url);
    expect(first.status).toBe('succeeded');
    const read = await api.get(url);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ pipelineId: 'ledger', column: 'booked_at', kind: 'timestamptz', value: '2026-01-01T00:16:40.000000Z', runId: first.runId });
    const etag = read.headers.get('etag')!;
    expect(etag).toBeTruthy();

    // Refused inputs change nothing.
    const before = await snapshotState({ azurite, database });
    const refusals: Array<[Record<string, string>, unknown, number, RegExp]> = [
      [{}, { value: '2026-01-01T00:10:00Z' }, 428, /^If-Match:/],
      [{ 'if-match': 'nonsense' }, { value: '2026-01-01T00:10:00Z' }, 400, /^If-Match:/],
      [{ 'if-match': etag }, { value: 'yesterday' }, 400, /^value:/],
      [{ 'if-match': etag }, { value: 12 }, 400, /^value:/],
      [{ 'if-match': etag }, { value: '2026-01-01T00:10:00Z', extra: 1 }, 400, /extra|Unrecognized/],
      // Shaped like our ETags, but not the watermark's current one.
      [{ 'if-match': `W/"datetime'2020-01-01T00%3A00%3A00.0000000Z'"` }, { value: '2026-01-01T00:10:00Z' }, 412, /^If-Match:/],
    ];
    for (const [headers, body, status, detail] of refusals) {
      const refused = await api.put(url, body, headers);
      expect(refused.status, JSON.stringify([headers, body, refused.body])).toBe(status);
      expect(refused.body!.detail).toMatch(detail);
    }
    expect((await api.put('/api/pipelines/items/watermark', { value: '1' }, { 'if-match': etag })).status).toBe(404);

    // A run in progress (its uploads held at the proxy) holds the lease: 409 naming it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    blobProxy.rule = async (request) => {
      if (request.path.includes('/ledger/')) await held;
      return undefined;
    };
    const running = await trigger(ledger.id);
    await waitFor(async () => (await api.get(running.url)).body!.status, (status) => status === 'running', 'the second ledger run running');
    const busy = await api.put(url, { value: '2026-01-01T00:10:00Z' }, { 'if-match': etag });
    expect(busy.status).toBe(409);
    expect(busy.body!.title).toContain(running.runId);
    release();
    expect((await api.waitForRun(running.url)).status).toBe('succeeded');
    blobProxy.rule = undefined;
    expect(await storedEvents('pipeline:ledger')).toEqual([]);

    // The run above found nothing new: the watermark, and its ETag, are as they were.
    const current = await api.get(url);
    expect(current.body!.value).toBe('2026-01-01T00:16:40.000000Z');
    const reset = await api.put(url, { value: '2026-01-01T00:10:00+00:00' }, { 'if-match': current.headers.get('etag')! });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect(reset.body).toMatchObject({ value: '2026-01-01T00:10:00.000000Z', kind: 'timestamptz' });
    expect(reset.headers.get('etag')).not.toBe(current.headers.get('etag'));
    const stored = await table('siphonWatermarks').getEntity<Record<string, unknown>>('ledger', 'cursor');
    expect(stored.value).toBe(String(Date.parse('2026-01-01T00:10:00Z') * 1000));
    const [event] = await storedEvents('pipeline:ledger');
    expect(event).toMatchObject({ type: 'watermarkReset', oldValue: '2026-01-01T00:16:40.000000Z', newValue: '2026-01-01T00:10:00.000000Z', column: 'booked_at' });
    const listed = await api.get('/api/pipelines/ledger/events');
    expect(listed.body!.events).toEqual([expect.objectContaining({ type: 'watermarkReset', oldValue: event!.oldValue, newValue: event!.newValue, sequence: Number(event!.rowKey) })]);
    // The reset's own hold on the lease is gone: the next run reads from the new value.
    const next = await api.waitForRun((await trigger(ledger.id)).url);
    expect(next.status).toBe('succeeded');
    expect(next.rows).toBe(400);
    expect((await api.get(url)).body!.value).toBe('2026-01-01T00:16:40.000000Z');
    // The old ETag is stale now.
    expect((await api.put(url, { value: '2026-01-01T00:00:00Z' }, { 'if-match': current.headers.get('etag')! })).status).toBe(412);
  });
});
