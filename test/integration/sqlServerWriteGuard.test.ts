import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlServerConnector } from '../../src/sources/sqlserver/sqlServerConnector.js';
import type { ReadTarget } from '../../src/sources/sourceConnector.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { serverUrl } from '../support/testPostgres.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * "Nothing Siphon does can write to a source", on SQL Server (the TDS test double, or a real
 * server with SIPHON_TEST_MSSQL). SQL Server has no read-only session: a batch runs every
 * statement it holds. So the create-time check is the guard, with the login's rights; this file
 * proves the check refuses the hostile queries, and that every batch carries the session's lock
 * timeout and the driver its statement timeout. The source is compared with a snapshot taken
 * outside Siphon after each case.
 */
let env: TestEnvironment<TestSqlServer>;

type Mssql = { ConnectionPool: new (config: unknown) => { connect(): Promise<unknown>; close(): Promise<void>; request(): { query(text: string): Promise<{ recordset: Array<Record<string, unknown>> }> } } };

/** Tables and per-table row checksums, read on the PostgreSQL behind the double or with T-SQL on a real server. */
async function sourceSnapshot(): Promise<unknown> {
  if (!env.database.real) {
    const database = /Database=([^;]+)/i.exec(env.database.url)![1]!;
    const client = new pg.Client({ connectionString: serverUrl.replace(/\/[^/]*$/, `/${database}`) });
    await client.connect();
    try {
      const tables = (await client.query<{ name: string }>(`SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema = 'dbo' ORDER BY 1`)).rows;
      const sums: Record<string, string> = {};
      for (const { name } of tables) {
        sums[name] = (await client.query<{ sum: string }>(`SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) || ':' || count(*) AS sum FROM ${name} t`)).rows[0]!.sum;
      }
      return { tables, sums };
    } finally {
      await client.end();
    }
  }
  const { sqlServerConfig } = await import('../../src/sources/sqlserver/sqlServerConnector.js');
  const mssql = createRequire(import.meta.url)('mssql') as Mssql;
  const pool = new mssql.ConnectionPool(sqlServerConfig(env.database.url, env.database.source));
  await pool.connect();
  try {
    const tables = (await pool.request().query(`SELECT s.name + '.' + t.name AS name FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id WHERE s.name = '${env.database.schema}' ORDER BY 1`)).recordset;
    const sums: Record<string, unknown> = {};
    for (const { name } of tables) sums[String(name)] = (await pool.request().query(`SELECT CHECKSUM_AGG(BINARY_CHECKSUM(*)) AS sum, COUNT_BIG(*) AS n FROM ${String(name)}`)).recordset[0];
    return { tables, sums };
  } finally {
    await pool.close();
  }
}

beforeAll(async () => {
  env = await startTestEnvironment('mssql_write_guard', async (sql) => {
    await sql.createTable({ name: 'victim', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'note', type: 'nvarchar(100)' }] }, []);
    await sql.generateRows('victim', 50, [{ pg: 'n', tsql: 'n' }, { pg: `'row ' || n`, tsql: `CONCAT(N'row ', n)` }]);
  }, { createDatabase: createTestSqlServer });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const source = () => ({ engine: 'sqlserver', connectionSetting: testSourceSetting, ...env.database.source });

describe('the API refuses a hostile query at create time', () => {
  const hostile: Array<[string, string, RegExp]> = [
    ['breakout', 'SELECT 1 AS id) AS a; DROP TABLE victim; SELECT * FROM (SELECT 1 AS id', /cannot be parsed as T-SQL/],
    ['two-statements', 'SELECT 1 AS id; DELETE FROM victim', /exactly one statement, found 2/],
    ['openrowset', `SELECT * FROM OPENROWSET('SQLNCLI', 'Server=evil;Trusted_Connection=yes;', 'SELECT 1') AS r`, /must not call OPENROWSET/],
    ['openquery', `SELECT * FROM OPENQUERY(linked, 'DELETE FROM victim') AS r`, /must not call OPENQUERY/],
    ['xp-cmdshell', `SELECT * FROM victim WHERE 1 = (SELECT master.dbo.xp_cmdshell('dir'))`, /must not call xp_cmdshell/],
    ['exec', `EXEC xp_cmdshell 'dir'`, /must be a SELECT, not EXEC/],
    ['select-into', 'SELECT * INTO stolen FROM victim', /SELECT \.\.\. INTO/],
    ['updlock', 'SELECT * FROM victim WITH (UPDLOCK)', /table hint UPDLOCK/],
    ['waitfor', `WAITFOR DELAY '00:01:00'`, /must not use WAITFOR/],
    ['sequence', 'SELECT NEXT VALUE FOR dbo.victim_seq AS n', /NEXT VALUE FOR/],
  ];

  it.each(hostile)('%s: 400 naming query, nothing stored, source untouched', async (id, query, reason) => {
    const before = await sourceSnapshot();
    const response = await env.api.post('/api/pipelines', { id: `ms-${id}`, source: source(), query, output: { container: 'guard' } });
    expect(response.status).toBe(400);
    const issues = response.body!.errors as Array<{ path: string; message: string }>;
    expect(issues.map((issue) => issue.path)).toEqual(['query']);
    expect(issues[0]!.message).toMatch(reason);
    expect((await env.api.get(`/api/pipelines/ms-${id}`)).status).toBe(404);
    expect(await sourceSnapshot()).toEqual(before);
  });
});

describe('every batch carries the session limits', () => {
  const table: ReadTarget = { kind: 'table', table: { schema: 'dbo', name: 'victim' } };

  it('sends SET LOCK_TIMEOUT ahead of every statement', async () => {
    const server = env.database.server;
    if (!server) throw new Error('This case watches the statements the test double receives; run it without SIPHON_TEST_MSSQL');
    const seen: string[] = [];
    const listener = (statement: { text: string }) => seen.push(statement.text);
    server.on('statement', listener);
    const connector = await SqlServerConnector.connect(env.database.url, { ...env.database.source, lockTimeoutSeconds: 7 });
    try {
      const { columns } = await connector.describe(table);
      for await (const batch of connector.readChunk({ target: table, columns, orderBy: ['id'], range: { kind: 'all' }, batchRows: 100 })) void batch;
    } finally {
      await connector.close();
      server.off('statement', listener);
    }
    // mssql's pool checks a connection with a bare `SELECT 1` before lending it; every statement of
    // the connector's own comes right after the lock timeout, in the same batch.
    const own = seen.map((text, index) => ({ text, index })).filter(({ text }) => /^\s*SELECT/i.test(text) && text.trim() !== 'SELECT 1');
    expect(own.length).toBe(3);
    for (const { index } of own) expect(seen[index - 1]).toBe('SET LOCK_TIMEOUT 7000');
  });

  it('gives up waiting for a lock after the lock timeout, and the driver after the statement timeout', async () => {
    if (env.database.real) throw new Error('This case locks the table through the PostgreSQL behind the test double; run it without SIPHON_TEST_MSSQL');
    const database = /Database=([^;]+)/i.exec(env.database.url)![1]!;
    const holder = new pg.Client({ connectionString: serverUrl.replace(/\/[^/]*$/, `/${database}`) });
    await holder.connect();
    const lockBound = await SqlServerConnector.connect(env.database.url, { ...env.database.source, lockTimeoutSeconds: 1 });
    const timeBound = await SqlServerConnector.connect(env.database.url, { ...env.database.source, lockTimeoutSeconds: 60, statementTimeoutSeconds: 2 });
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE dbo.victim IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(lockBound.keyBounds(table, 'id')).rejects.toThrow(/Lock request time out period exceeded/);
      await expect(timeBound.keyBounds(table, 'id')).rejects.toThrow(/Timeout: Request failed to complete in 2000ms/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await lockBound.close();
      await timeBound.close().catch(() => undefined);
    }
  });
});
