import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * hashDiff on SQL Server, through the functions, from the TDS test double (or a real SQL Server
 * with SIPHON_TEST_MSSQL): a snapshot, then one round of an insert, an update and a delete (of
 * the highest key), read back with DuckDB.
 */
let env: TestEnvironment<TestSqlServer>;
const table = 'accounts';
const container = 'hashdiff-mssql';

beforeAll(async () => {
  env = await startTestEnvironment('mssql_hashdiff', async (sql) => {
    await sql.createTable({
      name: table,
      columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'owner', type: 'nvarchar(40)', nullable: true }, { name: 'balance', type: 'decimal(12,2)', nullable: false }],
    }, Array.from({ length: 50 }, (_, i) => [String(i + 1), `owner ${i + 1}`, `${i + 1}.50`]));
  }, { createDatabase: createTestSqlServer });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

async function change(build: (table: string) => string): Promise<void> {
  await env.database.execute({ pg: build(`"${env.database.schema}"."${table}"`), tsql: build(`[${env.database.schema}].[${table}]`) });
}

async function runChanges(): Promise<string[]> {
  const triggered = await env.api.post('/api/pipelines/accounts-diff/runs');
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const run = await env.api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  // Split on the key, as the spec asked: two chunks of id.
  expect(run.chunksPlanned).toBe(2);
  const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
  const rows = await queryManifestFiles(env.azurite.connectionString, container, manifest, `SELECT id, _change_type AS type, owner, balance::VARCHAR AS balance FROM {files} ORDER BY id`);
  return rows.map((row) => `${String(row.id)}:${String(row.type)}:${row.owner === null ? 'NULL' : String(row.owner)}:${row.balance === null ? 'NULL' : String(row.balance)}`);
}

describe('hashDiff on SQL Server', () => {
  it('writes a snapshot, then the insert, the update and the delete', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'accounts-diff',
      source: { engine: 'sqlserver', connectionSetting: testSourceSetting, ...env.database.source },
      table: { schema: env.database.schema, name: table },
      // No chunking.column: a hashDiff pipeline splits on its first key (the primary key here).
      chunking: { chunks: 2, strategy: 'equalWidth' },
      changeCapture: { mode: 'hashDiff' },
      output: { container, format: 'jsonl' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The plan says where the key came from: not from a chunking.column the spec does not have.
    const plan = (await env.api.get('/api/pipelines/accounts-diff/plan')).body!;
    expect(plan.chunks.splitKey).toMatchObject({ source: 'primaryKey', columns: ['id'], reason: expect.stringMatching(/change-capture keys \(the primary key\)/) });
    const snapshot = await runChanges();
    expect(snapshot).toHaveLength(50);
    expect(snapshot[0]).toBe('1:insert:owner 1:1.50');

    await change((t) => `INSERT INTO ${t} (id, owner, balance) VALUES (51, 'owner 51', 0.00)`);
    await change((t) => `UPDATE ${t} SET balance = 99.99 WHERE id = 7`);
    await change((t) => `DELETE FROM ${t} WHERE id = 50`);
    expect(await runChanges()).toEqual(['7:update:owner 7:99.99', '50:delete:NULL:NULL', '51:insert:owner 51:0.00']);
  }, 60_000);
});
