import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import { azuriteAccount } from '../../src/settings.js';
import { apiClient } from '../support/api.js';
import { askPythonReader, azuriteStorageOptions } from '../support/pythonReader.js';
import { quietLog } from '../support/testEnvironment.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * SQL Server Change Tracking and CDC (rowFilter "all update old": before-images in the change
 * files) into a Delta table in mode "merge", on the TDS test double's emulations: the first run
 * is a snapshot; after inserts, updates (one key twice, one value set to NULL) and deletes the
 * next run merges exactly those; a snapshot forced by retention replaces the table's contents,
 * so a row deleted at the source while its change was cleaned up is gone from the table too.
 * After each run the table, read by delta-rs, equals the source table read through a fresh
 * mssql connection.
 */
const container = 'ct-delta';
const setting = 'SIPHON_SOURCE_CHANGE_TABLES_DELTA';

let azurite: AzuriteHandle;
let runtime: LocalRuntime;
let sql: TestSqlServer;
let api: ReturnType<typeof apiClient>;

type Row = { id: string; owner: string | null; balance: string };

type Mode = {
  label: string;
  table: string;
  changeCapture: Record<string, unknown>;
  enable: (table: string) => Promise<void>;
  /** Retention's cleanup: the stored version or LSN is no longer enough to read changes from. */
  cleanUp: (table: string) => Promise<void>;
  /** The run's counts for the changes made below: CT's net change per key, CDC's every update. */
  counts: { inserted: number; updated: number; deleted: number };
};

const modes: Mode[] = [
  {
    label: 'changeTracking', table: 'accounts_ct', changeCapture: { mode: 'changeTracking' },
    enable: (table) => sql.enableChangeTracking(table),
    cleanUp: async (table) => { await sql.cleanUpChangeTracking(table); },
    counts: { inserted: 2, updated: 2, deleted: 2 },
  },
  {
    label: 'cdc', table: 'accounts_cdc', changeCapture: { mode: 'cdc', rowFilter: 'all update old' },
    enable: (table) => sql.enableCdc(table, `dbo_${table}`),
    cleanUp: (table) => sql.cleanUpCdc(`dbo_${table}`),
    counts: { inserted: 2, updated: 3, deleted: 2 },
  },
];

beforeAll(async () => {
  [azurite, sql] = await Promise.all([startAzurite(), createTestSqlServer('ctdelta')]);
  for (const mode of modes) {
    await sql.createTable({
      name: mode.table,
      columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'owner', type: 'nvarchar(40)', nullable: true }, { name: 'balance', type: 'decimal(12,2)', nullable: false }],
    }, Array.from({ length: 10 }, (_, i) => [String(i + 1), `owner ${i + 1}`, `${i + 1}.50`]));
    await mode.enable(mode.table);
  }
  await sql.allowSnapshotIsolation(true);
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env[setting] = sql.url;
  process.env.SIPHON_LOCAL_NO_SIGN_IN = 'true';
  runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
  api = apiClient(runtime.url);
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  await azurite?.stop();
  await sql?.drop();
});

/** The source table through an mssql connection of its own (not Siphon's connector), in key order. */
async function sourceRows(table: string): Promise<Row[]> {
  const mssql = createRequire(import.meta.url)('mssql') as { connect(config: string): Promise<{ query(text: string): Promise<{ recordset: Array<Record<string, unknown>> }>; close(): Promise<void> }> };
  const pool = await mssql.connect(sql.url);
  try {
    const { recordset } = await pool.query(`SELECT id, owner, balance FROM ${sql.schema}.${table} ORDER BY id`);
    return recordset.map((row) => ({ id: String(row.id), owner: row.owner === null ? null : String(row.owner), balance: Number(row.balance).toFixed(2) }));
  } finally {
    await pool.close();
  }
}

/** The Delta table as delta-rs reads it, in key order, with its version and operations. */
async function deltaRows(pipelineId: string): Promise<{ version: number; rows: Row[]; columns: string[]; operations: string[] }> {
  const read = await askPythonReader({ kind: 'delta', uri: `az://${container}/${pipelineId}`, storage_options: azuriteStorageOptions(azurite.endpoints.blob, azuriteAccount) });
  expect(read.error).toBeUndefined();
  const rows = (read.rows as Array<Record<string, string | null>>)
    .map((row) => ({ id: row.id!, owner: row.owner ?? null, balance: Number(row.balance).toFixed(2) }))
    .sort((a, b) => Number(a.id) - Number(b.id));
  return { version: read.version as number, rows, columns: (read.arrowSchema as Array<{ name: string }>).map((field) => field.name), operations: (read.history as Array<{ operation: string }>).map((entry) => entry.operation) };
}

async function runOnce(pipelineId: string): Promise<{ run: Record<string, unknown>; manifest: Manifest }> {
  const triggered = await api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const run = await api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  return { run, manifest: await readManifest(azurite.connectionString, run.manifestPath as string) };
}

describe.skipIf(!!process.env.SIPHON_TEST_MSSQL)('SQL Server change tables into a Delta merge (the test double\'s emulations; retention needs its hooks)', () => {
  it.each(modes)('$label: the table equals the source after a snapshot, a run of changes, and a snapshot forced by retention', async (mode) => {
    const pipelineId = `${mode.table.replace('_', '-')}-delta`;
    const change = (build: (t: string) => string) => sql.execute({ pg: build(`"${sql.schema}"."${mode.table}"`), tsql: build(`[${sql.schema}].[${mode.table}]`) });
    const created = await api.post('/api/pipelines', {
      id: pipelineId,
      source: { engine: 'sqlserver', connectionSetting: setting, ...sql.source },
      table: { schema: sql.schema, name: mode.table },
      changeCapture: mode.changeCapture,
      // No keys: the merge takes the primary key the changes name rows by.
      output: { container, format: 'delta', mode: 'merge' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // 1. The snapshot: every row an insert; the table is the source, without the change columns.
    const first = await runOnce(pipelineId);
    expect(first.manifest.changes).toMatchObject({ mode: mode.label, keys: ['id'], inserted: 10, updated: 0, deleted: 0 });
    let table = await deltaRows(pipelineId);
    expect(table.columns).toEqual(['id', 'owner', 'balance']);
    expect(table.rows).toEqual(await sourceRows(mode.table));

    // 2. Inserts, updates (5 twice, 3's owner to NULL) and deletes, merged by the next run.
    await change((t) => `INSERT INTO ${t} (id, owner, balance) VALUES (11, 'owner 11', 11.00), (12, NULL, 12.00)`);
    await change((t) => `UPDATE ${t} SET owner = NULL WHERE id = 3`);
    await change((t) => `UPDATE ${t} SET balance = 55.55 WHERE id = 5`);
    await change((t) => `UPDATE ${t} SET owner = 'twice' WHERE id = 5`);
    await change((t) => `DELETE FROM ${t} WHERE id IN (7, 9)`);
    const second = await runOnce(pipelineId);
    expect(second.manifest.changes).toMatchObject({ afterVersion: first.manifest.changes!.version, ...mode.counts });
    table = await deltaRows(pipelineId);
    expect(table.rows).toEqual(await sourceRows(mode.table));
    expect(table.rows.find((row) => row.id === '5')).toEqual({ id: '5', owner: 'twice', balance: '55.55' });
    expect(table.operations).toEqual(['MERGE', 'WRITE']); // newest first: the snapshot replaced the (empty) table

    // 3. Retention cleaned up a delete (of 1) and an update (of 2) before any run read them: the
    //    snapshot replaces the table's contents, so 1 is gone from it as from the source.
    await change((t) => `DELETE FROM ${t} WHERE id = 1`);
    await change((t) => `UPDATE ${t} SET owner = 'retained' WHERE id = 2`);
    await mode.cleanUp(mode.table);
    const snapshot = await runOnce(pipelineId);
    expect(snapshot.manifest.changes!.snapshotReason).toMatch(/retention cleaned up changes|minimum LSN/);
    expect(snapshot.manifest.changes).toMatchObject({ inserted: 9, updated: 0, deleted: 0 });
    table = await deltaRows(pipelineId);
    expect(table.rows).toEqual(await sourceRows(mode.table));
    expect(table.rows.some((row) => row.id === '1')).toBe(false);
    expect(table.operations[0]).toBe('WRITE');

    // 4. And changes are merged again from there.
    await change((t) => `DELETE FROM ${t} WHERE id = 2`);
    await change((t) => `UPDATE ${t} SET balance = 0.01 WHERE id = 4`);
    const fourth = await runOnce(pipelineId);
    expect(fourth.manifest.changes).toMatchObject({ inserted: 0, updated: 1, deleted: 1 });
    table = await deltaRows(pipelineId);
    expect(table.rows).toEqual(await sourceRows(mode.table));
    expect(table.operations[0]).toBe('MERGE');
  }, 90_000);
});
