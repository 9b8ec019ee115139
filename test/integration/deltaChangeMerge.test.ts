import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { azuriteAccount } from '../../src/settings.js';
import { getServices, type Services } from '../../src/services.js';
import { newRunId } from '../../src/jobs/runId.js';
import { acquireRunLease } from '../../src/jobs/runLease.js';
import { RunStatus } from '../../src/spec/runStatus.js';
import { prepareRun } from '../../src/orchestration/prepareRun.js';
import { copyChunkActivity } from '../../src/orchestration/copyChunkActivity.js';
import { finalizeRun } from '../../src/orchestration/finalizeRun.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import { ParquetFileWriter } from '../../src/formats/parquet/parquetFileWriter.js';
import { StagedBlobWriter } from '../../src/sink/stagedBlobWriter.js';
import { deltaTableLayout } from '../../src/sink/delta/deltaPaths.js';
import { applyChanges } from '../../src/sink/delta/applyChanges.js';
import { commitToTable } from '../../src/sink/delta/commitToTable.js';
import type { StagedFile } from '../../src/sink/delta/chunkFiles.js';
import type { Column } from '../../src/spec/columns.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { askPythonReader, azuriteStorageOptions } from '../support/pythonReader.js';

/**
 * A change-capture pipeline (hashDiff) into a Delta table in mode "merge", on real PostgreSQL
 * and MariaDB: the first run is a snapshot; after inserts, updates and deletes at the source the
 * next run's change files (in its `_changes/` folder beside the table) hold exactly those, the
 * manifest counts them, and the table, read by delta-rs, equals the source table read with a
 * fresh client. A run stopped between its copy and its commit leaves the table as it was, and
 * finalize run three times (twice at once) commits once. The fold itself (highest version wins,
 * the last row of a version within it) is checked on change files written by hand.
 */
const mysqlSetting = 'SIPHON_SOURCE_DELTA_CHANGES_MYSQL';
const container = 'lake';

let env: TestEnvironment;
let maria: TestMysqlDatabase;
let lake: ContainerClient;

type Row = { id: string; name: string | null; price: string };

beforeAll(async () => {
  maria = await createTestMysqlDatabase('deltachanges');
  await maria.query(`CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40), price decimal(10,2) NOT NULL)`);
  await maria.query(`INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 4.0 FROM seq_1_to_120`);
  process.env[mysqlSetting] = maria.url;
  env = await startTestEnvironment('deltachanges', async (db) => {
    await db.query(`CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(10,2) NOT NULL)`);
    await db.query(`INSERT INTO items SELECT i, 'item ' || i, i / 4.0 FROM generate_series(1, 120) i`);
    await db.query(`CREATE TABLE members (id bigint PRIMARY KEY, version bigint NOT NULL, name text NOT NULL, deleted_at timestamptz)`);
    await db.query(`INSERT INTO members SELECT i, i, 'member ' || i, CASE WHEN i = 3 THEN timestamptz '2024-01-01' END FROM generate_series(1, 20) i`);
  });
  lake = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container);
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await maria?.drop();
});

const readTable = (table: string) => askPythonReader({ kind: 'delta', uri: `az://${container}/${table}`, storage_options: azuriteStorageOptions(env.azurite.endpoints.blob, azuriteAccount) });

/** The Delta table's rows as delta-rs reads them, in key order. */
async function tableRows(table: string): Promise<{ version: number; rows: Row[]; columns: string[]; operations: string[] }> {
  const read = await readTable(table);
  expect(read.error).toBeUndefined();
  const rows = (read.rows as Array<Record<string, string | null>>).map((row) => ({ id: row.id!, name: row.name ?? null, price: row.price! })).sort((a, b) => Number(a.id) - Number(b.id));
  return { version: read.version as number, rows, columns: (read.arrowSchema as Array<{ name: string }>).map((field) => field.name), operations: (read.history as Array<{ operation: string }>).map((entry) => entry.operation) };
}

/** The run's change rows, read by DuckDB from the files its manifest lists. */
async function changeRows(manifest: Manifest): Promise<string[]> {
  const rows = await queryManifestFiles(env.azurite.connectionString, container, manifest, 'SELECT id::VARCHAR AS id, _change_type AS type, _change_version::VARCHAR AS version FROM {files} ORDER BY CAST(id AS BIGINT)');
  for (const row of rows) expect(row.version).toBe(manifest.changes!.version);
  return rows.map((row) => `${String(row.id)}:${String(row.type)}`);
}

async function runOnce(pipelineId: string): Promise<{ runId: string; manifest: Manifest }> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const run = await env.api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  return { runId: run.runId as string, manifest: await readManifest(env.azurite.connectionString, run.manifestPath as string) };
}

/** A run driven activity by activity, stopped before its finalize: a crash between the copy and the commit. */
async function copyWithoutFinalize(services: Services, pipelineId: string, options: { fullRefresh?: true } = {}): Promise<string> {
  const runId = newRunId(services.now());
  expect((await acquireRunLease(services, pipelineId, { runId, attempt: 0 })).acquired).toBe(true);
  const pipeline = await services.pipelines.get(pipelineId);
  await services.runs.create({ pipelineId, pipelineGeneration: pipeline!.generation, runId, status: RunStatus.queued, reason: 'manual', options, attempt: 0, requestedAt: services.now().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0 });
  const plan = await prepareRun(services, { pipelineId, runId });
  for (let chunk = 0; chunk < plan.chunkCount; chunk++) expect((await copyChunkActivity(services, { pipelineId, runId, chunk })).outcome).toBe('done');
  return runId;
}

type Engine = { label: string; engine: 'postgres' | 'mysql'; setting: string; exec: (sql: string) => Promise<void>; rows: () => Promise<Row[]> };

const engines: Engine[] = [
  {
    label: 'PostgreSQL', engine: 'postgres', setting: testSourceSetting,
    exec: async (sql) => { await env.database.query(sql); },
    rows: () => env.database.query<Row>(`SELECT id::text AS id, name, price::text AS price FROM items ORDER BY items.id`),
  },
  {
    label: 'MariaDB', engine: 'mysql', setting: mysqlSetting,
    exec: async (sql) => { await maria.query(sql); },
    rows: async () => (await maria.query<Row>(`SELECT CAST(id AS CHAR) AS id, name, CAST(price AS CHAR) AS price FROM items ORDER BY items.id`)).map((row) => ({ id: String(row.id), name: row.name, price: String(row.price) })),
  },
];

describe.each(engines)('hashDiff into a Delta merge on $label', (source) => {
  const pipelineId = `items-${source.engine}`;

  it('applies each run\'s changes so the table equals the source; the change files and the manifest hold exactly the changes', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: pipelineId,
      source: { engine: source.engine, connectionSetting: source.setting },
      table: { name: 'items' },
      chunking: { column: 'id', chunks: 3, strategy: 'equalWidth', maxParallel: 2 },
      changeCapture: { mode: 'hashDiff' },
      // No keys: the merge takes the keys the changes are captured by (the primary key).
      output: { container, format: 'delta', mode: 'merge' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // 1. The snapshot: every row an insert; the table is the source, without the change columns.
    const first = await runOnce(pipelineId);
    expect(first.manifest.changes).toMatchObject({ mode: 'hashDiff', keys: ['id'], inserted: 120, updated: 0, deleted: 0 });
    let table = await tableRows(pipelineId);
    expect(table.columns).toEqual(['id', 'name', 'price']);
    expect(table.rows).toEqual(await source.rows());
    expect(table.version).toBe(0);

    // 2. Deletes (the lowest and highest keys among them), updates (one to NULL), inserts.
    await source.exec(`DELETE FROM items WHERE id IN (1, 60, 120)`);
    await source.exec(`UPDATE items SET price = price + 1 WHERE id IN (10, 90)`);
    await source.exec(`UPDATE items SET name = NULL WHERE id = 50`);
    await source.exec(`INSERT INTO items (id, name, price) VALUES (121, 'new 121', 1), (200, 'new 200', 2)`);
    const second = await runOnce(pipelineId);
    expect(await changeRows(second.manifest)).toEqual(['1:delete', '10:update', '50:update', '60:delete', '90:update', '120:delete', '121:insert', '200:insert']);
    expect(second.manifest.changes).toMatchObject({ inserted: 2, updated: 3, deleted: 3 });
    // The change files are the run's audit trail, in its _changes/ folder beside the table, and the manifest lists them.
    expect(second.manifest.files.length).toBeGreaterThan(0);
    for (const file of second.manifest.files) expect(file.path).toMatch(new RegExp(`^_siphon_runs/${pipelineId}/run=${second.runId}/_changes/part-c\\d{5}-\\d{4}\\.snappy\\.parquet$`));
    const kept = new Set<string>();
    for await (const blob of lake.listBlobsFlat({ prefix: `_siphon_runs/${pipelineId}/run=${second.runId}/_changes/` })) kept.add(blob.name);
    expect([...kept].sort()).toEqual(second.manifest.files.map((file) => file.path).sort());
    expect(second.manifest.delta).toMatchObject({ mode: 'merge', readVersion: 0, version: 1, committed: true });
    table = await tableRows(pipelineId);
    expect(table.version).toBe(1);
    expect(table.rows).toEqual(await source.rows());
    // Newest first: the first run, a snapshot, replaced the (empty) table; the second merged.
    expect(table.operations).toEqual(['MERGE', 'WRITE']);

    // 3. Nothing changed: no change rows, and nothing to commit.
    const third = await runOnce(pipelineId);
    expect(third.manifest.changes).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    expect((await tableRows(pipelineId)).version).toBe(1);
  });

  it('leaves the table as it was when a run stops before its commit, and commits once however often finalize runs', async () => {
    const services = await getServices();
    await source.exec(`DELETE FROM items WHERE id IN (2, 3)`);
    await source.exec(`UPDATE items SET name = 'renamed' WHERE id = 4`);
    const runId = await copyWithoutFinalize(services, pipelineId);
    const before = await tableRows(pipelineId);
    expect(before.version).toBe(1);
    expect(before.rows.find((row) => row.id === '4')!.name).toBe('item 4');

    await finalizeRun(services, { pipelineId, runId });
    await Promise.all([finalizeRun(services, { pipelineId, runId }), finalizeRun(services, { pipelineId, runId })]);
    const commits: string[] = [];
    for await (const blob of lake.listBlobsFlat({ prefix: `${pipelineId}/_delta_log/` })) if (blob.name.endsWith('.json')) commits.push(blob.name);
    expect(commits.sort()).toEqual([0, 1, 2].map((version) => `${pipelineId}/_delta_log/${String(version).padStart(20, '0')}.json`));
    const after = await tableRows(pipelineId);
    expect(after.version).toBe(2);
    expect(after.rows).toEqual(await source.rows());
    const manifest = await readManifest(env.azurite.connectionString, (await services.runs.get(pipelineId, runId))!.manifestPath!);
    expect(manifest.changes).toMatchObject({ inserted: 0, updated: 1, deleted: 2 });
    expect(manifest.delta).toMatchObject({ version: 2, committed: true });

    // A full refresh (no state to compare with: every row an insert) replaces the table's
    // contents: a merge of it would keep 5, deleted at the source since the last run.
    await source.exec(`DELETE FROM items WHERE id = 5`);
    const refresh = await copyWithoutFinalize(services, pipelineId, { fullRefresh: true });
    await finalizeRun(services, { pipelineId, runId: refresh });
    const refreshed = await readManifest(env.azurite.connectionString, (await services.runs.get(pipelineId, refresh))!.manifestPath!);
    expect(refreshed.changes).toMatchObject({ inserted: (await source.rows()).length, updated: 0, deleted: 0 });
    const replaced = await tableRows(pipelineId);
    expect(replaced.version).toBe(3);
    expect(replaced.operations[0]).toBe('WRITE');
    expect(replaced.rows).toEqual(await source.rows());
  });
});

describe('soft deletes into a Delta merge', () => {
  it('removes the rows soft-deleted at the source and upserts the others, keyed by the primary key', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'members-soft',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'members' },
      incremental: { column: 'version' },
      softDelete: { column: 'deleted_at' },
      output: { container, format: 'delta', mode: 'merge' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const live = async () => (await env.database.query<{ id: string; name: string }>(`SELECT id::text AS id, name FROM members WHERE deleted_at IS NULL ORDER BY members.id`));
    const table = async () => {
      const read = await readTable('members-soft');
      expect(read.error).toBeUndefined();
      expect((read.rows as Array<Record<string, unknown>>).every((row) => row.deleted_at === null)).toBe(true);
      return (read.rows as Array<{ id: string; name: string }>).map((row) => ({ id: row.id, name: row.name })).sort((a, b) => Number(a.id) - Number(b.id));
    };
    const first = await runOnce('members-soft');
    expect(first.manifest.changes).toMatchObject({ mode: 'softDelete', keys: ['id'], inserted: 19, updated: 0, deleted: 1 });
    expect(await table()).toEqual(await live());

    await env.database.query(`UPDATE members SET version = 21, name = 'renamed' WHERE id = 5`);
    await env.database.query(`UPDATE members SET version = 22, deleted_at = now() WHERE id = 6`);
    await env.database.query(`INSERT INTO members VALUES (21, 23, 'member 21', NULL)`);
    const second = await runOnce('members-soft');
    expect(second.manifest.changes).toMatchObject({ inserted: 0, updated: 2, deleted: 1 });
    const rows = await table();
    expect(rows).toEqual(await live());
    expect(rows.find((row) => row.id === '6')).toBeUndefined();
  });

  it('refuses, at prepare, merge keys other than the primary key a hashDiff captures by', async () => {
    const spec = {
      id: 'items-other-keys',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'items' },
      changeCapture: { mode: 'hashDiff' },
      output: { container, format: 'delta', mode: 'merge', keys: ['name'] },
    };
    // Validate names the field before any run (the spec alone cannot tell: the keys are the table's primary key).
    const validated = await env.api.post('/api/pipelines/validate', spec);
    expect(validated.status, JSON.stringify(validated.body)).toBe(200);
    expect(validated.body).toMatchObject({ valid: false, refusals: [{ path: 'output.keys', reason: expect.stringContaining('differ from the keys the changes are captured by') }] });
    const created = await env.api.post('/api/pipelines', spec);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const triggered = await env.api.post('/api/pipelines/items-other-keys/runs');
    const run = await env.api.waitForRun(triggered.headers.get('location')!);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('output.keys (name) differ from the keys the changes are captured by (id, the primary key)');
  });
});

describe('folding change rows', () => {
  const columns: Column[] = [
    { name: 'id', sourceType: 'bigint', nullable: true, type: { kind: 'int64' } },
    { name: 'name', sourceType: 'text', nullable: true, type: { kind: 'string' } },
    { name: '_change_type', sourceType: 'change type', nullable: false, type: { kind: 'string' } },
    { name: '_change_version', sourceType: 'change version', nullable: false, type: { kind: 'int64' } },
  ];
  const tableColumns = columns.slice(0, 2).map((column) => (column.name === 'id' ? { ...column, nullable: false } : column));

  it('upserts the highest version of each key, the last row within a version, and removes keys whose latest change is a delete', async () => {
    const layout = deltaTableLayout('folded/items', 'folded', 'items');
    const now = () => new Date();
    const write = async (runId: string, chunk: number, rows: unknown[][]): Promise<StagedFile> => {
      const path = layout.changeFile(runId, chunk, 0);
      const blob = new StagedBlobWriter(lake.getBlockBlobClient(path), { contentType: 'application/vnd.apache.parquet' });
      const writer = new ParquetFileWriter(columns, 'snappy', (bytes) => blob.write(bytes));
      await writer.writeRows(rows);
      await writer.finish();
      return { path, rows: rows.length, bytes: (await blob.commit()).bytes, partitionValues: {}, stats: '{}', modificationTime: 0 };
    };
    const commit = async (runId: string, files: StagedFile[], readVersion: number) => {
      const applied = await applyChanges(lake, { layout, runId, files, changeColumns: columns, tableColumns, keys: ['id'], compression: 'snappy', now, where: 'test' });
      return commitToTable(lake, { layout, mode: 'merge', keys: ['id'], partitionBy: [], retentionHours: 1, provenance: { pipelineId: 'folded', runId, attempt: 0 }, readVersion, writtenColumns: tableColumns, files: applied.files, deletes: applied.deletes, now, where: 'test' });
    };
    // A table of keys 1 to 4.
    const runA = 'r20240101000000000a';
    expect((await commit(runA, [await write(runA, 0, [1n, 2n, 3n, 4n].map((id) => [id, `v1 ${id}`, 'insert', 1n]))], -1)).version).toBe(0);
    // Several changes per key, over two files, versions out of order across them, as a log-based capture writes.
    const runB = 'r20240101000000000b';
    const files = [
      await write(runB, 0, [
        [1n, 'v3 1', 'update', 3n], [1n, 'v2 1', 'update', 2n], // version 3 wins though written first
        [2n, null, 'delete', 2n], [2n, 'v3 2', 'update', 3n], // deleted, then back
        [3n, 'v2 3', 'update', 2n], [3n, null, 'delete', 3n], // updated, then deleted
        [5n, 'v2 5 first', 'insert', 2n], [5n, 'v2 5 last', 'update', 2n], // one version: the last row written wins
      ]),
      await write(runB, 1, [[6n, 'v2 6', 'insert', 2n], [6n, null, 'delete', 2n], [4n, 'v4 4', 'update', 4n]]),
    ];
    expect((await commit(runB, files, 0)).version).toBe(1);
    const table = await tableRows('folded/items');
    expect(table.rows.map((row) => `${row.id}:${row.name}`)).toEqual(['1:v3 1', '2:v3 2', '4:v4 4', '5:v2 5 last']);
    expect(table.columns).toEqual(['id', 'name']);
  });
});
