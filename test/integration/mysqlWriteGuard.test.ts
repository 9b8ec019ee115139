import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlConnector } from '../../src/sources/mysql/mysqlConnector.js';
import { readQueryRows } from '../support/readQuery.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';

/**
 * "Nothing Siphon does can write to a source", on a real MariaDB: the API refuses hostile
 * queries at create time; a query that got past that check still cannot write (one statement per
 * query text, and a read-only session); every session has statement and lock timeouts. After each
 * case the source is compared with a snapshot taken by a connection of its own.
 */
let env: TestEnvironment<TestMysqlDatabase>;

async function sourceSnapshot(): Promise<unknown> {
  const tables = await env.database.query<{ name: string; type: string }>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`);
  const sums: Record<string, unknown> = {};
  for (const table of tables.filter((t) => t.type === 'BASE TABLE')) {
    const [row] = await env.database.query<{ sum: string; n: string }>(`SELECT MD5(COALESCE(GROUP_CONCAT(CONCAT_WS('|', id, note) ORDER BY id SEPARATOR '\\n'), '')) AS sum, COUNT(*) AS n FROM \`${table.name}\``);
    sums[table.name] = row;
  }
  return { tables, sums };
}

beforeAll(async () => {
  env = await startTestEnvironment('mysql_write_guard', async (db) => {
    await db.query(`CREATE TABLE victim (id INT PRIMARY KEY, note VARCHAR(100))`);
    for (let n = 1; n <= 50; n++) await db.query(`INSERT INTO victim VALUES (?, ?)`, [n, `row ${n}`]);
    await db.query(`CREATE TABLE bystander (id INT PRIMARY KEY, note VARCHAR(10))`);
    await db.query(`INSERT INTO bystander VALUES (1, 'a'), (2, 'b')`);
    // A function that writes: no denylist can know it, only the read-only session stops it.
    await db.query(`CREATE FUNCTION bump() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO victim VALUES (1000, 'bumped'); RETURN 1; END`);
  }, { createDatabase: createTestMysqlDatabase });
});

afterAll(async () => {
  await env?.stop();
});

const pipeline = (id: string, query: string) => ({ id, source: { engine: 'mysql', connectionSetting: testSourceSetting }, query, output: { container: 'guard' } });

describe('the API refuses a hostile query at create time', () => {
  const hostile: Array<[string, string, RegExp]> = [
    ['breakout', 'SELECT 1 AS id) AS a; DROP TABLE victim; SELECT * FROM (SELECT 1 AS id', /cannot be parsed as MySQL\/MariaDB/],
    ['two-statements', 'SELECT 1 AS id; DELETE FROM victim', /exactly one statement, found 2/],
    ['load-file', `SELECT LOAD_FILE('/etc/passwd') AS f`, /must not call LOAD_FILE/],
    ['sleep', 'SELECT id, SLEEP(60) AS s FROM victim', /must not call SLEEP/],
    ['into-outfile', `SELECT * FROM victim INTO OUTFILE '/tmp/siphon-out.csv'`, /SELECT \.\.\. INTO OUTFILE/],
    ['for-update', 'SELECT * FROM victim FOR UPDATE', /must not lock rows \(FOR UPDATE\)/],
    ['share-mode', 'SELECT * FROM victim LOCK IN SHARE MODE', /must not lock rows \(LOCK IN SHARE MODE\)/],
    ['executable-comment', `SELECT id FROM victim /*!50000 INTO OUTFILE '/tmp/x' */`, /executable comments/],
    ['delete', 'DELETE FROM victim', /must be a SELECT, not DELETE/],
  ];

  it.each(hostile)('%s: 400 naming query, nothing stored, source untouched', async (id, query, reason) => {
    const before = await sourceSnapshot();
    const response = await env.api.post('/api/pipelines', pipeline(`my-${id}`, query));
    expect(response.status).toBe(400);
    const issues = response.body!.errors as Array<{ path: string; message: string }>;
    expect(issues.map((issue) => issue.path)).toEqual(['query']);
    expect(issues[0]!.message).toMatch(reason);
    expect((await env.api.get(`/api/pipelines/my-${id}`)).status).toBe(404);
    expect(await sourceSnapshot()).toEqual(before);
  });
});

describe('a hostile query that got past the check still cannot write', () => {
  let connector: MysqlConnector;
  beforeAll(async () => {
    connector = await MysqlConnector.connect(env.database.url);
  });
  afterAll(async () => {
    await connector?.close();
  });

  const readAll = (sql: string) => readQueryRows(connector, sql);

  it.each([
    // One query text is one statement (multipleStatements is off): the second is a syntax error.
    ['the breakout', 'SELECT 1 AS id) AS a; DROP TABLE victim; SELECT * FROM (SELECT 1 AS id', /You have an error in your SQL syntax/],
    ['a function that writes', 'SELECT bump() AS b', /Cannot execute statement in a READ ONLY transaction/],
  ])('%s is refused by the server and changes nothing', async (_, sql, error) => {
    const before = await sourceSnapshot();
    await expect(readAll(sql)).rejects.toThrow(error);
    expect(await sourceSnapshot()).toEqual(before);
  });
});

describe('every session has statement and lock timeouts', () => {
  let connector: MysqlConnector;
  beforeAll(async () => {
    connector = await MysqlConnector.connect(env.database.url, { statementTimeoutSeconds: 2, lockTimeoutSeconds: 1 });
  });
  afterAll(async () => {
    await connector?.close();
  });

  const readAll = (sql: string) => readQueryRows(connector, sql, 10);

  it('reports the settings the source spec asked for, read-only included', async () => {
    const rows = await readAll('SELECT CAST(@@max_statement_time AS CHAR) AS st, CAST(@@lock_wait_timeout AS CHAR) AS lw, CAST(@@innodb_lock_wait_timeout AS CHAR) AS ilw, CAST(@@tx_read_only + 0 AS CHAR) AS ro');
    expect(rows).toEqual([['2.000000', '1', '1', '1']]);
  });

  it('ends a statement that runs past the statement timeout', async () => {
    await expect(readAll('SELECT SLEEP(5) AS slept')).rejects.toThrow(/max_statement_time exceeded/);
  });
});
