import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { waitFor } from '../support/waitFor.js';

/**
 * A query job on SQL Server (the TDS test double, or a real server with SIPHON_TEST_MSSQL),
 * through the HTTP API: it succeeds and pages back, and a cancel sends ATTENTION for a statement
 * that has not produced its first row yet, instead of waiting for rows that would tell the copy
 * its run had ended. The double counts the ATTENTIONs it receives.
 */
let env: TestEnvironment<TestSqlServer>;

beforeAll(async () => {
  env = await startTestEnvironment('query_cancel_mssql', async (sql) => {
    await sql.createTable({ name: 'items', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'name', type: 'nvarchar(40)', nullable: false }] },
      Array.from({ length: 20 }, (_, i) => [String(i + 1), `item ${i + 1}`]));
    // A view whose rows take a minute each: on the double, a PostgreSQL view over pg_sleep; on a
    // real server, WAITFOR is not allowed in a view, so this test needs the double.
    await sql.execute({
      pg: `CREATE VIEW dbo.slow_items AS SELECT id, CASE WHEN pg_sleep(60) IS NULL THEN 1 ELSE 0 END AS slept FROM dbo.items`,
      tsql: 'SELECT 1',
    });
  }, { createDatabase: createTestSqlServer });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const ended = ['succeeded', 'failed', 'cancelled', 'timed_out'];

async function submit(body: Record<string, unknown>): Promise<string> {
  const submitted = await env.api.post('/api/queries', { source: { engine: 'sqlserver', connectionSetting: testSourceSetting, ...env.database.source }, ...body });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
  return submitted.headers.get('location')!;
}

describe('a SQL Server query job', () => {
  it('succeeds and pages back', async () => {
    const url = await submit({ query: 'SELECT id, name FROM dbo.items', format: 'jsonl' });
    const done = (await waitFor(() => env.api.get(url), (r) => ended.includes(r.body!.status), 'the query to end', 90_000)).body!;
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const page = await fetch(`${env.runtime.url}${url}/result?format=jsonl&offset=18&limit=5`);
    expect(await page.text()).toBe('{"id":19,"name":"item 19"}\n{"id":20,"name":"item 20"}\n');
  });

  // A real server allows no WAITFOR in a view; ATTENTION on it is covered by sqlServerConnector.
  it.skipIf(Boolean(process.env.SIPHON_TEST_MSSQL))('cancel sends ATTENTION for a statement still waiting for its first row', async () => {
    const server = env.database.server!;
    let slowStarted = false;
    const onStatement = (statement: { text: string }) => {
      if (/slow_items/.test(statement.text) && !/WHERE 1 = 0|TOP \(0\)/i.test(statement.text)) slowStarted = true;
    };
    server.on('statement', onStatement);
    const url = await submit({ query: 'SELECT id, slept FROM dbo.slow_items', format: 'jsonl' });
    await waitFor(() => env.api.get(url), (r) => r.body!.status === 'running', 'the query to run', 60_000, 200);
    await waitFor(async () => slowStarted, (started) => started, 'the slow statement to start', 60_000, 100);
    server.off('statement', onStatement);
    const attentions = server.stats.attentions;
    const cancelled = await env.api.post(`${url}/cancel`);
    expect(cancelled.status).toBe(200);
    // The chunk's status check runs every 2 s; the ATTENTION follows at once, not after the minute
    // the first row takes.
    await waitFor(async () => server.stats.attentions, (n) => n > attentions, 'ATTENTION for the cancelled statement', 10_000, 100);
  });
});
