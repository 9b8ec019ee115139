import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import { apiClient } from '../support/api.js';
import { endpointOf, startFaultProxy, withEndpoints, type FaultProxy } from '../support/faultProxy.js';
import { quietLog } from '../support/testEnvironment.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * SQL Server CDC (changeCapture {mode: "cdc"}) through the functions, on the TDS test double's
 * EMULATION of CDC over PostgreSQL (test/support/tds-server/cdc.ts). It proves Siphon against
 * that emulation only. On a real SQL Server (SIPHON_TEST_MSSQL) CDC's capture job harvests the
 * log asynchronously, which this test does not wait for, so there it does not run (said below,
 * not counted as passing). The files are read back with DuckDB: a snapshot; inserts, updates
 * (with before-images under rowFilter "all update old") and deletes in commit order, versions as
 * LSN hex text; a failed manifest retried writes the same changes once; a change committed after
 * prepare's maximum LSN is in the next run; a stored LSN below the instance's minimum makes a
 * snapshot saying why; a new capture instance after a schema change is followed without a gap
 * or an overlap, or fails the run naming both instances, by policy.
 */
const container = 'cdc-mssql';
const setting = 'SIPHON_SOURCE_CDC_MSSQL';
const table = 'orders';
const pipelineId = 'orders-cdc';
const strictId = 'orders-cdc-strict';

let azurite: AzuriteHandle;
let blobProxy: FaultProxy;
let runtime: LocalRuntime;
let sql: TestSqlServer;
let api: ReturnType<typeof apiClient>;
const onDouble = !process.env.SIPHON_TEST_MSSQL;

beforeAll(async () => {
  if (!onDouble) return;
  [azurite, sql] = await Promise.all([startAzurite(), createTestSqlServer('cdc')]);
  blobProxy = await startFaultProxy(endpointOf(azurite.connectionString, 'BlobEndpoint'));
  await sql.createTable({
    name: table,
    columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'item', type: 'nvarchar(40)', nullable: true }, { name: 'qty', type: 'int', nullable: false }],
  }, Array.from({ length: 10 }, (_, i) => [String(i + 1), `item ${i + 1}`, String(i + 1)]));
  await sql.enableCdc(table, 'dbo_orders');
  process.env.AzureWebJobsStorage = withEndpoints(azurite.connectionString, { BlobEndpoint: blobProxy.endpoint('devstoreaccount1') });
  process.env[setting] = sql.url;
  process.env.SIPHON_LOCAL_NO_SIGN_IN = 'true';
  runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
  api = apiClient(runtime.url);
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  await blobProxy?.close();
  await azurite?.stop();
  await sql?.drop();
});

async function change(build: (t: string) => string): Promise<void> {
  await sql.execute({ pg: build(`"${sql.schema}"."${table}"`), tsql: build(`[${sql.schema}].[${table}]`) });
}

type RunResult = { run: Record<string, unknown>; manifest: Manifest; changes: string[]; versions: string[] };

async function readRun(run: Record<string, unknown>, withNote = false): Promise<RunResult> {
  const manifest = await readManifest(azurite.connectionString, run.manifestPath as string);
  // In commit order: the version, then an update's before-image ahead of its after-image.
  const rows = await queryManifestFiles(azurite.connectionString, container, manifest,
    `SELECT id, _change_type AS type, item, qty, ${withNote ? 'note' : 'NULL AS note'}, _change_version AS version FROM {files} ORDER BY _change_version, _change_type = 'update', id`);
  return {
    run,
    manifest,
    changes: rows.map((row) => [row.id, row.type, row.item, row.qty, ...(withNote ? [row.note] : [])].map((value) => (value === null ? 'NULL' : String(value))).join(':')),
    versions: rows.map((row) => String(row.version)),
  };
}

async function trigger(id: string): Promise<Record<string, unknown>> {
  const triggered = await api.post(`/api/pipelines/${id}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return api.waitForRun(triggered.headers.get('location')!);
}

async function runOnce(id = pipelineId, withNote = false): Promise<RunResult> {
  const run = await trigger(id);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  return readRun(run, withNote);
}

async function retryUntilAccepted(runId: string): Promise<void> {
  let retried = await api.post(`/api/pipelines/${pipelineId}/runs/${runId}/retry`);
  for (let i = 0; retried.status === 409 && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    retried = await api.post(`/api/pipelines/${pipelineId}/runs/${runId}/retry`);
  }
  expect(retried.status, JSON.stringify(retried.body)).toBe(202);
}

const lsnVersion = /^0x[0-9A-F]{40}$/;

describe.skipIf(!onDouble)('cdc on SQL Server (the test double\'s emulation; skipped with SIPHON_TEST_MSSQL, see above)', () => {
  it('reads CDC: a snapshot, changes in commit order with before-images, a failed manifest, a concurrent writer, retention and a new capture instance', async () => {
    // The strict pipeline: rowFilter "all" (the default, no before-images), onNewCaptureInstance "fail".
    for (const [id, changeCapture] of [[pipelineId, { mode: 'cdc', rowFilter: 'all update old', onNewCaptureInstance: 'follow' }], [strictId, { mode: 'cdc', onNewCaptureInstance: 'fail' }]] as const) {
      const created = await api.post('/api/pipelines', {
        id,
        source: { engine: 'sqlserver', connectionSetting: setting, ...sql.source },
        table: { schema: sql.schema, name: table },
        changeCapture,
        output: { container, format: 'parquet' },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    // The strict pipeline's snapshot now; it is run again only once a new instance exists.
    await runOnce(strictId);

    // 1. The first run: a snapshot, every row an insert at the maximum LSN, saying why.
    const first = await runOnce();
    expect(first.changes).toHaveLength(10);
    expect(first.changes[0]).toBe('1:insert:item 1:1');
    expect(first.manifest.changes).toMatchObject({ mode: 'cdc', keys: ['id'], captureInstance: 'dbo_orders', snapshotReason: expect.stringMatching(/first cdc run/) });
    expect(first.run.statusReason).toMatch(/first cdc run/);
    expect(first.manifest.columns.find((column) => column.name === '_change_version')?.type).toEqual({ kind: 'string' });
    expect(new Set(first.versions)).toEqual(new Set([`${first.manifest.changes!.version}${'0'.repeat(20)}`]));

    // 2. An insert, an update and a delete: in commit order, the update with its before-image,
    //    the delete with the row it deleted.
    await change((t) => `INSERT INTO ${t} (id, item, qty) VALUES (11, 'item 11', 11)`);
    await change((t) => `UPDATE ${t} SET qty = 33, item = NULL WHERE id = 3`);
    await change((t) => `DELETE FROM ${t} WHERE id = 10`);
    const second = await runOnce();
    expect(second.changes).toEqual(['11:insert:item 11:11', '3:update_before:item 3:3', '3:update:NULL:33', '10:delete:item 10:10']);
    expect(second.versions.every((version) => lsnVersion.test(version))).toBe(true);
    expect(second.versions.every((version) => version > first.versions[0]!)).toBe(true);
    expect(second.versions[1]).toBe(second.versions[2]); // before- and after-image: one LSN and seqval
    expect(second.manifest.changes).toMatchObject({ mode: 'cdc', afterVersion: first.manifest.changes!.version, afterRun: first.manifest.runId, captureInstance: 'dbo_orders' });
    expect(second.versions.at(-1)!.slice(0, 22) <= second.manifest.changes!.version).toBe(true);

    // Row filter "all": the same changes without the before-image.
    expect((await runOnce(strictId)).changes).toEqual(['11:insert:item 11:11', '3:update:NULL:33', '10:delete:item 10:10']);

    // 3. Nothing changed: no rows (the empty LSN range is not asked of the function: error 313).
    expect((await runOnce()).changes).toEqual([]);

    // 4. The manifest write fails after the change files: the retry writes the same changes once.
    await change((t) => `UPDATE ${t} SET qty = 44 WHERE id = 4`);
    blobProxy.rule = (request) => (request.method === 'PUT' && request.path.includes(`/${container}/`) && request.path.endsWith('/_manifest.json') ? { action: 'status', status: 403, code: 'AuthorizationFailure' } : undefined);
    const crashing = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const crashed = await api.waitForRun(crashing.headers.get('location')!);
    blobProxy.rule = undefined;
    expect(crashed.status).toBe('failed');
    await change((t) => `UPDATE ${t} SET qty = 55 WHERE id = 5`);
    await retryUntilAccepted(crashed.runId as string);
    const retried = await readRun(await api.waitForRun(crashing.headers.get('location')!));
    expect(retried.run.status).toBe('succeeded');
    expect(retried.changes).toEqual(['4:update_before:item 4:4', '4:update:item 4:44']);
    expect((await runOnce()).changes).toEqual(['5:update_before:item 5:5', '5:update:item 5:55']);

    // 5. A writer commits after prepare fixed the maximum LSN: its change is in the next run.
    await change((t) => `UPDATE ${t} SET qty = 66 WHERE id = 6`);
    sql.server!.beforeStatement(/fn_cdc_get_all_changes_/i, async () => {
      await change((t) => `INSERT INTO ${t} (id, item, qty) VALUES (12, 'concurrent', 12)`);
    });
    expect((await runOnce()).changes).toEqual(['6:update_before:item 6:6', '6:update:item 6:66']);
    expect((await runOnce()).changes).toEqual(['12:insert:concurrent:12']);

    // 6. Retention cleaned up changes the stored LSN still needs: a snapshot, saying why.
    await change((t) => `UPDATE ${t} SET item = 'retained' WHERE id = 7`);
    await sql.cleanUpCdc('dbo_orders');
    const snapshot = await runOnce();
    expect(snapshot.run.statusReason).toMatch(/below capture instance dbo_orders's minimum LSN/);
    expect(snapshot.manifest.changes!.afterVersion).toBeUndefined();
    expect(snapshot.changes).toHaveLength(11); // 1 to 12 without 10
    expect(snapshot.changes).toContain('7:insert:retained:7');

    // 7. A schema change: a column added, a change only the old instance captures, a second
    //    capture instance with the new column, then a change both capture.
    await sql.addColumn(table, { name: 'note', type: 'nvarchar(40)' });
    await change((t) => `UPDATE ${t} SET qty = 22 WHERE id = 2`);
    await sql.enableCdc(table, 'dbo_orders_v2');
    await change((t) => `UPDATE ${t} SET note = 'n8' WHERE id = 8`);
    // "fail": the run fails naming both instances.
    const strict = await trigger(strictId);
    expect(strict.status).toBe('failed');
    expect(strict.error).toMatch(/newer CDC capture instance, dbo_orders_v2 .* after dbo_orders/);
    // "follow": the old instance up to where the new one starts (the new column NULL there),
    // then the new one from there: each change once.
    const old = await runOnce(pipelineId, true);
    expect(old.manifest.changes!.captureInstance).toBe('dbo_orders');
    expect(old.changes).toEqual(['2:update_before:item 2:2:NULL', '2:update:item 2:22:NULL']);
    const followed = await runOnce(pipelineId, true);
    expect(followed.manifest.changes!.captureInstance).toBe('dbo_orders_v2');
    expect(followed.changes).toEqual(['8:update_before:item 8:8:NULL', '8:update:item 8:8:n8']);
    expect((await runOnce(pipelineId, true)).changes).toEqual([]);
  }, 120_000);
});
