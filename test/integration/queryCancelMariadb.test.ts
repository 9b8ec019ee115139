import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { waitFor } from '../support/waitFor.js';

/**
 * A query job on MariaDB, through the HTTP API: it succeeds and pages back, and a cancel or a
 * timeout ends the statement on the server (KILL QUERY from a second connection), not only the
 * reading of it: PROCESSLIST no longer shows it.
 */
let env: TestEnvironment<TestMysqlDatabase>;

beforeAll(async () => {
  env = await startTestEnvironment('query_cancel_mariadb', async (db) => {
    await db.query('CREATE TABLE items (id int NOT NULL PRIMARY KEY, name varchar(40) NOT NULL)');
    await db.query(`INSERT INTO items VALUES ${Array.from({ length: 50 }, (_, i) => `(${i + 1}, 'item ${i + 1}')`).join(', ')}`);
    // The query check refuses SLEEP by name; a function of the database's own is the DBA's business.
    await db.query('CREATE FUNCTION slow_row(seconds double) RETURNS int NO SQL RETURN SLEEP(seconds)');
  }, { createDatabase: createTestMysqlDatabase });
});

afterAll(async () => {
  await env?.stop();
});

const source = { engine: 'mysql', connectionSetting: testSourceSetting };
const ended = ['succeeded', 'failed', 'cancelled', 'timed_out'];

async function submit(body: Record<string, unknown>): Promise<string> {
  const submitted = await env.api.post('/api/queries', { source, ...body });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  return submitted.headers.get('location')!;
}

const waitForEnd = async (url: string) => (await waitFor(() => env.api.get(url), (r) => ended.includes(r.body!.status), `query ${url} to end`, 90_000)).body!;

/** Statements of the test database still running whose text holds `marker`. */
const running = async (marker: string) =>
  Number((await env.database.query<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND = 'Query' AND INFO LIKE CONCAT('%', ?, '%') AND ID <> CONNECTION_ID()`, [env.database.name, marker]))[0]!.n);

describe('a MariaDB query job', () => {
  it('succeeds and pages back', async () => {
    const url = await submit({ query: 'SELECT id, name FROM items ORDER BY id', format: 'parquet' });
    const done = await waitForEnd(url);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const page = await fetch(`${env.runtime.url}${url}/result?format=csv&offset=10&limit=3`);
    expect(await page.text()).toBe('id,name\r\n11,item 11\r\n12,item 12\r\n13,item 13\r\n');
  });

  it('cancel kills the statement on the server', async () => {
    const marker = 'slow_row(60.01)';
    const url = await submit({ query: `SELECT id, ${marker} AS slept FROM items WHERE id <= 2`, format: 'jsonl' });
    await waitFor(() => running(marker), (n) => n === 1, 'the slow statement to run', 60_000, 200);
    const cancelled = await env.api.post(`${url}/cancel`);
    expect(cancelled.status).toBe(200);
    // Without KILL QUERY the statement would sleep its full two minutes after the copy gave up.
    await waitFor(() => running(marker), (n) => n === 0, 'the statement to be killed', 15_000, 200);
    expect((await env.api.get(url)).body!.status).toBe('cancelled');
  });

  it('a timeout kills the statement the same way and ends timed_out', async () => {
    const marker = 'slow_row(60.02)';
    const url = await submit({ query: `SELECT id, ${marker} AS slept FROM items WHERE id <= 2`, format: 'jsonl', timeoutSeconds: 4 });
    await waitFor(() => running(marker), (n) => n === 1, 'the slow statement to run', 60_000, 200);
    expect((await waitForEnd(url)).status).toBe('timed_out');
    await waitFor(() => running(marker), (n) => n === 0, 'the timed-out statement to be killed', 15_000, 200);
  });
});
