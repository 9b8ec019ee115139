import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresConnector } from '../../src/sources/postgres/postgresConnector.js';
import type { ReadTarget } from '../../src/sources/sourceConnector.js';
import { readQueryRows } from '../support/readQuery.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';

/**
 * "Nothing Siphon does can write to a source", on a real PostgreSQL, layer by layer: the API
 * refuses hostile queries at create time (400 naming query); a query that got past that check
 * (the connector called directly) still cannot write, because every statement is one Parse of the
 * extended protocol in a read-only session; and every session has statement and lock timeouts.
 * After each case the source is compared with a snapshot taken by a connection of its own.
 */
let env: TestEnvironment;

/** Every relation outside the system schemas, each table's rows as an md5, the sequence and large objects. */
async function sourceSnapshot(): Promise<unknown> {
  const relations = await env.database.query<{ name: string; kind: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`);
  const tables: Record<string, string> = {};
  for (const relation of relations.filter((r) => r.kind === 'r')) {
    const [row] = await env.database.query<{ sum: string }>(`SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) || ':' || count(*) AS sum FROM ${relation.name} t`);
    tables[relation.name] = row!.sum;
  }
  const [sequence] = await env.database.query(`SELECT last_value::text, is_called FROM public.victim_seq`);
  const [largeObjects] = await env.database.query(`SELECT count(*)::int AS n FROM pg_largeobject_metadata`);
  return { relations, tables, sequence, largeObjects };
}

beforeAll(async () => {
  env = await startTestEnvironment('pg_write_guard', async (db) => {
    await db.query(`CREATE TABLE victim (id int PRIMARY KEY, note text)`);
    await db.query(`INSERT INTO victim SELECT n, 'row ' || n FROM generate_series(1, 50) n`);
    await db.query(`CREATE TABLE bystander (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO bystander SELECT generate_series(1, 5)`);
    await db.query(`CREATE SEQUENCE victim_seq`);
    // A function that writes: no denylist can know it, only the read-only session stops it.
    await db.query(`CREATE FUNCTION bump() RETURNS int LANGUAGE sql AS 'INSERT INTO victim VALUES (1000, ''bumped'') RETURNING 1'`);
  });
});

afterAll(async () => {
  await env?.stop();
});

const pipeline = (id: string, query: string) => ({ id, source: { engine: 'postgres', connectionSetting: testSourceSetting }, query, output: { container: 'guard' } });

describe('the API refuses a hostile query at create time', () => {
  const hostile: Array<[string, string, RegExp]> = [
    ['breakout', 'SELECT 1 AS id) AS a; DROP TABLE victim; SELECT * FROM (SELECT 1 AS id', /cannot be parsed as PostgreSQL: syntax error at or near "\)"/],
    ['two-statements', 'SELECT 1 AS id; DELETE FROM victim', /exactly one statement, found 2/],
    ['dml-in-cte', 'WITH gone AS (DELETE FROM victim RETURNING *) SELECT * FROM gone', /must not change data: it holds DELETE/],
    ['read-file', `SELECT pg_read_file('/etc/passwd') AS f`, /must not call pg_read_file/],
    ['qualified-read-file', `SELECT pg_catalog.pg_read_file('/etc/passwd') AS f`, /must not call pg_catalog\.pg_read_file/],
    ['select-into', 'SELECT * INTO stolen FROM victim', /SELECT \.\.\. INTO/],
    ['for-update', 'SELECT * FROM victim FOR UPDATE', /must not lock rows \(FOR UPDATE\)/],
    ['copy-program', `COPY (SELECT 1) TO PROGRAM 'touch /tmp/siphon-pwned'`, /must be a SELECT, not COPY/],
    ['sequence', `SELECT nextval('victim_seq') AS n`, /must not call nextval/],
    ['sleep', 'SELECT id, pg_sleep(60) FROM victim', /must not call pg_sleep/],
    ['trailing-semicolon', 'SELECT id FROM victim;', /semicolon/],
  ];

  it.each(hostile)('%s: 400 naming query, nothing stored, source untouched', async (id, query, reason) => {
    const before = await sourceSnapshot();
    const response = await env.api.post('/api/pipelines', pipeline(`pg-${id}`, query));
    expect(response.status).toBe(400);
    const issues = response.body!.errors as Array<{ path: string; message: string }>;
    expect(issues.map((issue) => issue.path)).toEqual(['query']);
    expect(issues[0]!.message).toMatch(reason);
    expect((await env.api.get(`/api/pipelines/pg-${id}`)).status).toBe(404);
    expect(await sourceSnapshot()).toEqual(before);
  });

  it('still accepts a legitimate analytic query', async () => {
    const response = await env.api.post('/api/pipelines', pipeline('pg-legit', `WITH v AS (SELECT id, note FROM victim) SELECT id, note, lag(id) OVER (ORDER BY id) AS prev FROM v WHERE note::text LIKE 'row%'`));
    expect(response.status).toBe(201);
  });
});

describe('a hostile query that got past the check still cannot write', () => {
  let connector: PostgresConnector;
  beforeAll(async () => {
    connector = await PostgresConnector.connect(env.database.url);
  });
  afterAll(async () => {
    await connector?.close();
  });

  const readAll = (sql: string) => readQueryRows(connector, sql);

  it.each([
    // The simple protocol ran all three statements; Parse takes one.
    ['the breakout', 'SELECT 1 AS id) AS a; DROP TABLE victim; SELECT * FROM (SELECT 1 AS id', /cannot insert multiple commands into a prepared statement/],
    // Inside the derived table PostgreSQL refuses it outright; at the top level the read-only
    // session would (see the function that writes).
    ['DML in a WITH clause', 'WITH gone AS (DELETE FROM victim RETURNING *) SELECT * FROM gone', /WITH clause containing a data-modifying statement must be at the top level/],
    ['a sequence', `SELECT nextval('victim_seq') AS n`, /cannot execute nextval\(\) in a read-only transaction/],
    ['a function that writes', 'SELECT bump() AS b', /cannot execute INSERT in a read-only transaction/],
    ['turning read-only off', `SELECT set_config('transaction_read_only', 'off', true) AS s`, /transaction read-write mode must be set before any query/],
  ])('%s is refused by the server and changes nothing', async (_, sql, error) => {
    const before = await sourceSnapshot();
    await expect(readAll(sql)).rejects.toThrow(error);
    expect(await sourceSnapshot()).toEqual(before);
  });
});

describe('every session has statement and lock timeouts', () => {
  let connector: PostgresConnector;
  beforeAll(async () => {
    connector = await PostgresConnector.connect(env.database.url, { statementTimeoutSeconds: 2, lockTimeoutSeconds: 1 });
  });
  afterAll(async () => {
    await connector?.close();
  });

  it('reports the settings the source spec asked for, read-only included', async () => {
    const target: ReadTarget = { kind: 'query', sql: `SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt, current_setting('default_transaction_read_only') AS ro, current_setting('transaction_read_only') AS tro` };
    const { columns } = await connector.describe(target);
    const rows: unknown[][] = [];
    for await (const batch of connector.readChunk({ target, columns, orderBy: [], range: { kind: 'all' }, batchRows: 10 })) rows.push(...batch);
    expect(rows).toEqual([['2s', '1s', 'on', 'on']]);
  });

  it('ends a statement that runs past the statement timeout', async () => {
    const target: ReadTarget = { kind: 'query', sql: 'SELECT pg_sleep(5) IS NULL AS slept' };
    const { columns } = await connector.describe(target);
    const read = async () => {
      for await (const batch of connector.readChunk({ target, columns, orderBy: [], range: { kind: 'all' }, batchRows: 10 })) void batch;
    };
    await expect(read()).rejects.toThrow(/canceling statement due to statement timeout/);
  });

  it('gives up waiting for a lock after the lock timeout instead of queueing behind a writer', async () => {
    const holder = new pg.Client({ connectionString: env.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE victim IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(connector.describe({ kind: 'table', table: { name: 'victim' } }).then(() => connector.keyBounds({ kind: 'table', table: { name: 'victim' } }, 'id'))).rejects.toThrow(/canceling statement due to lock timeout/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});
