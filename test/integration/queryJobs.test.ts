import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { TableClient } from '@azure/data-tables';
import { getServices } from '../../src/services.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Query jobs on the real path (PostgreSQL, Azurite, the local runtime), through the HTTP API:
 * submit, poll, page through the result in JSON Lines and CSV, cancel and time out (the statement
 * is gone from the server, not only abandoned), maxRows, the retention sweep, and bad input.
 */
let env: TestEnvironment;
const rowCount = 2_500;

beforeAll(async () => {
  env = await startTestEnvironment('queries', async (db) => {
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, note text, amount numeric(10,2))`);
    // Notes with what CSV must quote (commas, quotes, line breaks), the empty string and NULL.
    await db.query(`INSERT INTO items SELECT i, 'item ' || i,
      CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'a, "quoted"' || chr(10) || 'line ' || i ELSE 'note ' || i END,
      i * 1.25 FROM generate_series(1, ${rowCount}) i`);
    // The query check refuses pg_sleep by name; a function of the database's own is the DBA's business.
    await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(seconds) IS NULL'`);
  });
});

afterAll(async () => {
  await env?.stop();
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const ended = ['succeeded', 'failed', 'cancelled', 'timed_out'];

async function submit(body: Record<string, unknown>): Promise<string> {
  const submitted = await env.api.post('/api/queries', { source, ...body });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  expect(submitted.headers.get('retry-after')).toMatch(/^\d+$/);
  const location = submitted.headers.get('location')!;
  expect(location).toBe(`/api/queries/${submitted.body!.id}`);
  return location;
}

const waitForEnd = async (url: string) => (await waitFor(() => env.api.get(url), (r) => ended.includes(r.body!.status), `query ${url} to end`, 90_000)).body!;

async function fetchText(path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${env.runtime.url}${path}`);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Every page of the result, `limit` rows at a time, following offset as a client would. */
async function readAllPages(url: string, format: 'jsonl' | 'csv', limit: number): Promise<string[]> {
  const pages: string[] = [];
  for (let offset = 0; ; offset += limit) {
    const page = await fetchText(`${url}/result?format=${format}&offset=${offset}&limit=${limit}`);
    expect(page.status, page.text).toBe(200);
    expect(page.headers.get('x-total-rows')).toBe(String(rowCount));
    pages.push(page.text);
    if (!page.headers.get('link')) return pages;
    expect(page.headers.get('link')).toContain(`offset=${offset + limit}`);
  }
}

type SourceRow = { id: number; name: string; note: string | null; amount: string };
const sourceRows = () => env.database.query<SourceRow>(`SELECT id, name, note, amount::text AS amount FROM items ORDER BY id`);

/** The statements of Siphon's sessions still running on the server whose text holds `marker`. */
const activeStatements = (marker: string) =>
  env.database.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'siphon' AND state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`, [marker]);

describe('a query job', () => {
  it('runs to a Parquet result that pages back as JSON Lines and CSV, equal to the source rows', async () => {
    const url = await submit({ query: 'SELECT id, name, note, amount FROM items ORDER BY id', format: 'parquet' });
    const done = await waitForEnd(url);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done).toMatchObject({ rows: rowCount, format: 'parquet', truncated: false, resultUrl: `${url}/result` });
    expect(done.bytes).toBeGreaterThan(0);
    expect(done.expiresAt).toBeDefined();

    const expected = await sourceRows();
    const jsonl = (await readAllPages(url, 'jsonl', 1_000)).flatMap((page) => page.split('\n').filter(Boolean).map((line) => JSON.parse(line)));
    expect(jsonl).toHaveLength(rowCount);
    expect(jsonl).toEqual(expected.map((row) => ({ id: row.id, name: row.name, note: row.note, amount: row.amount })));

    // CSV pages: a header each, then the rows; the id and name columns compared line by line.
    const csvPages = await readAllPages(url, 'csv', 700);
    expect(csvPages).toHaveLength(Math.ceil(rowCount / 700));
    expect(csvPages.every((page) => page.startsWith('id,name,note,amount\r\n'))).toBe(true);
    const second = csvPages[1]!;
    // Row 701 has note 'note 701'? 701 % 5 = 1: the empty string, written quoted, apart from NULL.
    expect(second.split('\r\n')[1]).toBe('701,item 701,"",876.25');
    // Row 705 (705 % 5 = 0) has a NULL note: an empty unquoted field.
    expect(second.split('\r\n')[5]).toBe('705,item 705,,881.25');
  });

  it('written as CSV reads back with quotes, line breaks, empty strings and NULLs intact', async () => {
    const url = await submit({ query: 'SELECT id, note FROM items WHERE id <= 300 ORDER BY id', format: 'csv' });
    const done = await waitForEnd(url);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const page = await fetchText(`${url}/result?format=jsonl&offset=100&limit=50`);
    expect(page.status).toBe(200);
    const rows = page.text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const expected = (await sourceRows()).slice(100, 150).map((row) => ({ id: String(row.id), note: row.note }));
    expect(rows).toEqual(expected);
  });

  it('stops at maxRows and says the result was truncated; a cap the result fits is not', async () => {
    const capped = await waitForEnd(await submit({ query: 'SELECT id FROM items ORDER BY id', format: 'jsonl', maxRows: 10 }));
    expect(capped).toMatchObject({ status: 'succeeded', rows: 10, maxRows: 10, truncated: true });
    const page = await fetchText(`${capped.url}/result?limit=100`);
    expect(page.text.split('\n').filter(Boolean).map((line) => JSON.parse(line).id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const fits = await waitForEnd(await submit({ query: 'SELECT id FROM items WHERE id <= 10', format: 'jsonl', maxRows: 10 }));
    expect(fits).toMatchObject({ status: 'succeeded', rows: 10, truncated: false });
  });
});

describe('cancel and timeout', () => {
  it('cancel ends the query cancelled and cancels its statement on the server', async () => {
    const marker = 'slow_row(60.01)';
    const url = await submit({ query: `SELECT id, ${marker} AS slept FROM items WHERE id <= 2`, format: 'jsonl' });
    // The statement is running on the server: a session named siphon, active, with its text.
    await waitFor(() => activeStatements(marker), (rows) => rows.length === 1, 'the slow statement to run', 60_000, 200);
    const cancelled = await env.api.post(`${url}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body!.status).toBe('cancelled');
    // Without the CancelRequest the statement would run its full minute after the copy gave up.
    await waitFor(() => activeStatements(marker), (rows) => rows.length === 0, 'the statement to be cancelled on the server', 15_000, 200);
    expect((await env.api.get(url)).body!.status).toBe('cancelled');
    const again = await env.api.post(`${url}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body!.title).toMatch(/already cancelled/);
    expect((await fetchText(`${url}/result`)).status).toBe(409);
  });

  it('timeoutSeconds ends it timed_out and cancels the statement the same way', async () => {
    const marker = 'slow_row(60.02)';
    const url = await submit({ query: `SELECT id, ${marker} AS slept FROM items WHERE id <= 2`, format: 'jsonl', timeoutSeconds: 4 });
    await waitFor(() => activeStatements(marker), (rows) => rows.length === 1, 'the slow statement to run', 60_000, 200);
    const done = await waitForEnd(url);
    expect(done.status).toBe('timed_out');
    expect(done.timeoutSeconds).toBe(4);
    await waitFor(() => activeStatements(marker), (rows) => rows.length === 0, 'the timed-out statement to be cancelled on the server', 15_000, 200);
  });
});

describe('retention', () => {
  it('the query sweep deletes the files and records of a query past its retention, and only then', async () => {
    const url = await submit({ query: 'SELECT id, name FROM items WHERE id <= 100', format: 'csv' });
    const done = await waitForEnd(url);
    expect(done.status).toBe('succeeded');
    const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('siphon-queries');
    const files = async () => {
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat({ prefix: `${done.id}/` })) names.push(blob.name);
      return names;
    };
    expect((await files()).length).toBeGreaterThan(0);
    const entitiesOf = async (table: string, filter: string) => {
      const client = TableClient.fromConnectionString(env.azurite.connectionString, table, { allowInsecureConnection: true });
      const found: unknown[] = [];
      for await (const entity of client.listEntities({ queryOptions: { filter } })) found.push(entity);
      return found;
    };
    const runId = (await entitiesOf('siphonRuns', `PartitionKey eq '${done.id}'`) as Array<{ runId: string }>)[0]!.runId;

    // Within the retention the sweep leaves it alone.
    await env.runtime.fireTimer('querySweep');
    expect((await env.api.get(url)).status).toBe(200);

    // A day and an hour later (the default retention is 24 hours) it is gone, files and records.
    const services = await getServices();
    const realNow = services.now;
    services.now = () => new Date(realNow().getTime() + 25 * 3_600_000);
    try {
      await env.runtime.fireTimer('querySweep');
    } finally {
      services.now = realNow;
    }
    expect((await env.api.get(url)).status).toBe(404);
    expect(await files()).toEqual([]);
    expect(await entitiesOf('siphonRuns', `PartitionKey eq '${done.id}'`)).toEqual([]);
    expect(await entitiesOf('siphonChunks', `PartitionKey eq '${runId}'`)).toEqual([]);
    expect(await entitiesOf('siphonPipelines', `RowKey eq '${done.id}'`)).toEqual([]);
  });
});

describe('the API', () => {
  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const before = await snapshotState(env);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a DML statement', { source, query: 'DELETE FROM items' }, 'query'],
      ['a secret in the query', { source, query: "SELECT * FROM dblink('host=db password=hunter2', 'select 1') AS t(x int)" }, 'query'],
      ['an unknown engine', { source: { engine: 'oracle', connectionSetting: testSourceSetting }, query: 'SELECT 1' }, 'source.engine'],
      ['maxRows 0', { source, query: 'SELECT 1', maxRows: 0 }, 'maxRows'],
      ['an unknown field', { source, query: 'SELECT 1', rows: 5 }, ''],
      ['a setting outside the source prefix', { source: { engine: 'postgres', connectionSetting: 'AzureWebJobsStorage' }, query: 'SELECT 1' }, 'source.connectionSetting'],
      ['a timeout under 3 seconds', { source, query: 'SELECT 1', timeoutSeconds: 1 }, 'timeoutSeconds'],
      ['an unknown format', { source, query: 'SELECT 1', format: 'xlsx' }, 'format'],
    ];
    for (const [what, body, field] of cases) {
      const response = await env.api.post('/api/queries', body);
      expect(response.status, what).toBe(400);
      expect(response.headers.get('content-type'), what).toContain('application/problem+json');
      const paths = (response.body!.errors as Array<{ path: string }>).map((issue) => issue.path);
      expect(paths, `${what}: ${JSON.stringify(response.body)}`).toContain(field);
    }
    expect(await snapshotState(env)).toEqual(before);
  });

  it('answers 404 for an unknown query, 400 for a malformed id or result parameter, and hides queries from the pipeline list', async () => {
    expect((await env.api.get('/api/queries/q-00000000000000000000')).status).toBe(404);
    expect((await env.api.post('/api/queries/q-00000000000000000000/cancel')).status).toBe(404);
    expect((await env.api.get('/api/queries/not-a-query')).status).toBe(400);
    const url = await submit({ query: 'SELECT id FROM items WHERE id <= 3', format: 'jsonl' });
    await waitForEnd(url);
    for (const bad of ['limit=0', 'limit=10001', 'limit=1e2', 'offset=-1', 'format=parquet', 'page=2']) {
      const response = await fetchText(`${url}/result?${bad}`);
      expect(response.status, bad).toBe(400);
      expect(response.text, bad).toContain(bad.split('=')[0]);
    }
    const unknownParam = await env.api.get(`${url}?verbose=1`);
    expect(unknownParam.status).toBe(400);
    expect(unknownParam.body!.detail).toContain('verbose');
    const pipelines = (await env.api.get('/api/pipelines')).body!.pipelines as Array<{ id: string }>;
    expect(pipelines.filter((pipeline) => pipeline.id.startsWith('q-'))).toEqual([]);
    // The prefix is reserved: no pipeline can take a query's identity.
    const reserved = await env.api.post('/api/pipelines', { id: 'q-mine', source, query: 'SELECT 1 AS x', output: { container: 'landing' } });
    expect(reserved.status).toBe(400);
    expect(reserved.body!.errors).toEqual([expect.objectContaining({ path: 'id' })]);
    // maxRows is a query job's: a pipeline would have nowhere to say its copy was cut short.
    const capped = await env.api.post('/api/pipelines', { id: 'capped', source, query: 'SELECT 1 AS x', output: { container: 'landing' }, maxRows: 5 });
    expect(capped.status).toBe(400);
    expect(capped.body!.errors).toEqual([expect.objectContaining({ path: 'maxRows' })]);
  });
});
