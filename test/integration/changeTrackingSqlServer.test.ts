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
 * SQL Server Change Tracking (changeCapture {mode: "changeTracking"}) through the functions, on
 * the TDS test double's EMULATION of Change Tracking over PostgreSQL (test/support/tds-server/
 * changeTracking.ts), or a real SQL Server with SIPHON_TEST_MSSQL (the retention and concurrent
 * writer steps use hooks only the double has, and are left out there). The run's files are read
 * back with DuckDB: a database without ALLOW_SNAPSHOT_ISOLATION fails prepare saying so; the
 * first run is a snapshot; inserts, updates and deletes between runs come as exactly those
 * changes, each at its SYS_CHANGE_VERSION; a run whose manifest write fails (after its change
 * files) and is retried writes the same changes once; a change committed after prepare's high
 * version is in the next run, not this one; a stored version older than the minimum valid
 * version (retention) makes a snapshot, saying why.
 */
const container = 'ct-mssql';
const setting = 'SIPHON_SOURCE_CT_MSSQL';
const table = 'accounts';
const pipelineId = 'accounts-ct';

let azurite: AzuriteHandle;
let blobProxy: FaultProxy;
let runtime: LocalRuntime;
let sql: TestSqlServer;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  [azurite, sql] = await Promise.all([startAzurite(), createTestSqlServer('ct')]);
  blobProxy = await startFaultProxy(endpointOf(azurite.connectionString, 'BlobEndpoint'));
  await sql.createTable({
    name: table,
    columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'owner', type: 'nvarchar(40)', nullable: true }, { name: 'balance', type: 'decimal(12,2)', nullable: false }],
  }, Array.from({ length: 20 }, (_, i) => [String(i + 1), `owner ${i + 1}`, `${i + 1}.50`]));
  await sql.enableChangeTracking(table);
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

type RunResult = { run: Record<string, unknown>; manifest: Manifest; changes: string[]; versions: bigint[] };

async function readRun(run: Record<string, unknown>): Promise<RunResult> {
  const manifest = await readManifest(azurite.connectionString, run.manifestPath as string);
  const rows = await queryManifestFiles(azurite.connectionString, container, manifest,
    `SELECT id, _change_type AS type, owner, balance::VARCHAR AS balance, _change_version::VARCHAR AS version FROM {files} ORDER BY id`);
  return {
    run,
    manifest,
    changes: rows.map((row) => `${String(row.id)}:${String(row.type)}:${row.owner === null ? 'NULL' : String(row.owner)}:${row.balance === null ? 'NULL' : String(row.balance)}`),
    versions: rows.map((row) => BigInt(String(row.version))),
  };
}

async function runOnce(): Promise<RunResult> {
  const triggered = await api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const run = await api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  return readRun(run);
}

async function retryUntilAccepted(runId: string): Promise<void> {
  let retried = await api.post(`/api/pipelines/${pipelineId}/runs/${runId}/retry`);
  for (let i = 0; retried.status === 409 && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    retried = await api.post(`/api/pipelines/${pipelineId}/runs/${runId}/retry`);
  }
  expect(retried.status, JSON.stringify(retried.body)).toBe(202);
}

describe('changeTracking on SQL Server', () => {
  it('refuses the mode on another engine, naming the field', async () => {
    const refused = await api.post('/api/pipelines', {
      id: 'ct-on-postgres',
      source: { engine: 'postgres', connectionSetting: setting },
      table: { name: table },
      changeCapture: { mode: 'changeTracking' },
      output: { container, format: 'jsonl' },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('changeCapture.mode');
  });

  it('reads Change Tracking: a snapshot, then exactly the changes, through a failed manifest, a concurrent writer and retention', async () => {
    const created = await api.post('/api/pipelines', {
      id: pipelineId,
      source: { engine: 'sqlserver', connectionSetting: setting, ...sql.source },
      table: { schema: sql.schema, name: table },
      changeCapture: { mode: 'changeTracking' },
      output: { container, format: 'jsonl' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // 0. SNAPSHOT isolation not allowed: prepare fails saying what to turn on, and stores nothing.
    await sql.allowSnapshotIsolation(false);
    const blocked = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const blockedRun = await api.waitForRun(blocked.headers.get('location')!);
    expect(blockedRun.status).toBe('failed');
    expect(blockedRun.error).toContain('ALLOW_SNAPSHOT_ISOLATION');
    await sql.allowSnapshotIsolation(true);

    // 1. The first run: a snapshot of every row as an insert, at the high version, saying why.
    const first = await runOnce();
    expect(first.changes).toHaveLength(20);
    expect(first.changes[0]).toBe('1:insert:owner 1:1.50');
    expect(first.manifest.changes).toMatchObject({ mode: 'changeTracking', keys: ['id'], snapshotReason: expect.stringMatching(/first changeTracking run/) });
    expect(first.manifest.changes!.afterVersion).toBeUndefined();
    expect(first.run.statusReason).toMatch(/first changeTracking run/);
    const v1 = BigInt(first.manifest.changes!.version);
    expect(new Set(first.versions)).toEqual(new Set([v1]));

    // 2. An insert, an update (to NULL) and a delete: exactly those, each at its own version.
    await change((t) => `INSERT INTO ${t} (id, owner, balance) VALUES (21, 'owner 21', 0.00)`);
    await change((t) => `UPDATE ${t} SET owner = NULL, balance = 99.99 WHERE id = 7`);
    await change((t) => `DELETE FROM ${t} WHERE id = 20`);
    const second = await runOnce();
    expect(second.changes).toEqual(['7:update:NULL:99.99', '20:delete:NULL:NULL', '21:insert:owner 21:0.00']);
    expect(second.manifest.changes).toMatchObject({ mode: 'changeTracking', afterVersion: String(v1), afterRun: first.manifest.runId });
    expect(second.manifest.changes!.snapshotReason).toBeUndefined();
    expect(second.run.statusReason).toBeUndefined();
    const v2 = BigInt(second.manifest.changes!.version);
    // Each row at its SYS_CHANGE_VERSION: above the last run's, at most this run's high version, in the order made.
    const [update, del, insert] = second.versions;
    expect(v1 < insert! && insert! < update! && update! < del! && del! <= v2).toBe(true);

    // 3. Nothing changed: no change rows, the same version.
    const third = await runOnce();
    expect(third.changes).toEqual([]);
    expect(third.manifest.changes!.version).toBe(String(v2));

    // 4. The manifest write fails after the change files are written: the run fails, the
    //    version stays, and its retry writes the same changes, once.
    await change((t) => `UPDATE ${t} SET balance = 1.25 WHERE id = 3`);
    await change((t) => `DELETE FROM ${t} WHERE id = 4`);
    blobProxy.rule = (request) => (request.method === 'PUT' && request.path.includes(`/${container}/`) && request.path.endsWith('/_manifest.json') ? { action: 'status', status: 403, code: 'AuthorizationFailure' } : undefined);
    const crashing = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const crashed = await api.waitForRun(crashing.headers.get('location')!);
    blobProxy.rule = undefined;
    expect(crashed.status).toBe('failed');
    await change((t) => `UPDATE ${t} SET owner = 'after the crash' WHERE id = 10`);
    await retryUntilAccepted(crashed.runId as string);
    const retried = await readRun(await api.waitForRun(crashing.headers.get('location')!));
    expect(retried.run.status).toBe('succeeded');
    // The window fixed at prepare: the update made after it waits for the next run.
    expect(retried.changes).toEqual(['3:update:owner 3:1.25', '4:delete:NULL:NULL']);
    // Read from the version the second run stored (the third read nothing and left it there).
    expect(retried.manifest.changes).toMatchObject({ afterVersion: String(v2), afterRun: second.manifest.runId });
    const fifth = await runOnce();
    expect(fifth.changes).toEqual(['10:update:after the crash:10.50']);
    expect(fifth.manifest.changes!.afterVersion).toBe(retried.manifest.changes!.version);

    // 4b. A failed run retried after a later run succeeded: its window overlaps the later run's,
    //     so finalize refuses it, saying why, and writes no manifest.
    await change((t) => `UPDATE ${t} SET owner = 'stale' WHERE id = 11`);
    blobProxy.rule = (request) => (request.method === 'PUT' && request.path.includes(`/${container}/`) && request.path.endsWith('/_manifest.json') ? { action: 'status', status: 403, code: 'AuthorizationFailure' } : undefined);
    const stale = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const staleRun = await api.waitForRun(stale.headers.get('location')!);
    blobProxy.rule = undefined;
    expect(staleRun.status).toBe('failed');
    const later = await runOnce();
    expect(later.changes).toEqual(['11:update:stale:11.50']);
    await retryUntilAccepted(staleRun.runId as string);
    const refused = await api.waitForRun(stale.headers.get('location')!);
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain(`the change-table position moved to run ${later.manifest.runId}`);

    if (!sql.server) return; // The steps below use the double's hooks.

    // 5. A writer commits after prepare fixed the high version, before the read's snapshot: its
    //    changes (to 5, and to 6 again) are not in this run, which still has 8's; the next has them.
    await change((t) => `UPDATE ${t} SET balance = 6.66 WHERE id = 6`);
    await change((t) => `UPDATE ${t} SET balance = 8.88 WHERE id = 8`);
    let hookRan = false;
    sql.server.beforeStatement(/CHANGETABLE/i, async () => {
      await change((t) => `UPDATE ${t} SET owner = 'concurrent' WHERE id IN (5, 6)`);
      hookRan = true;
    });
    const concurrent = await runOnce();
    expect(hookRan).toBe(true);
    expect(concurrent.changes).toEqual(['8:update:owner 8:8.88']);
    const next = await runOnce();
    expect(next.changes).toEqual(['5:update:concurrent:5.50', '6:update:concurrent:6.66']);
    expect(next.versions.every((version) => version > BigInt(concurrent.manifest.changes!.version))).toBe(true);

    // 6. Retention cleaned up changes the stored version still needs: a snapshot, saying why.
    await change((t) => `UPDATE ${t} SET owner = 'retained' WHERE id = 9`);
    await change((t) => `DELETE FROM ${t} WHERE id = 1`);
    const cut = await sql.cleanUpChangeTracking(table);
    expect(cut).toBeGreaterThan(BigInt(next.manifest.changes!.version));
    const snapshot = await runOnce();
    expect(snapshot.run.statusReason).toMatch(/older than the table's Change Tracking minimum valid version/);
    expect(snapshot.manifest.changes!.snapshotReason).toMatch(/retention cleaned up changes/);
    expect(snapshot.manifest.changes!.afterVersion).toBeUndefined();
    expect(snapshot.changes).toHaveLength(18); // 1 to 21 without 1, 4 and 20
    expect(snapshot.changes.every((row) => row.split(':')[1] === 'insert')).toBe(true);
    expect(snapshot.changes).toContain('9:insert:retained:9.50');
    expect(snapshot.changes.some((row) => row.startsWith('1:'))).toBe(false);
    // And changes again from there.
    await change((t) => `DELETE FROM ${t} WHERE id = 2`);
    const after = await runOnce();
    expect(after.changes).toEqual(['2:delete:NULL:NULL']);

    // 7. Retention cleans up while a chunk reads (after prepare checked): the chunk's own check of
    //    the minimum valid version fails the run, with no manifest and the version unmoved; the
    //    next run takes a snapshot.
    await change((t) => `UPDATE ${t} SET owner = 'lost?' WHERE id = 13`);
    await change((t) => `UPDATE ${t} SET owner = 'cleaned' WHERE id = 12`);
    sql.server.beforeStatement(/CHANGETABLE/i, async () => {
      await sql.cleanUpChangeTracking(table);
    });
    const racing = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const raced = await api.waitForRun(racing.headers.get('location')!);
    expect(raced.status).toBe('failed');
    expect(raced.error).toContain('minimum valid version rose');
    expect(raced.manifestPath).toBeUndefined();
    const resnapshot = await runOnce();
    expect(resnapshot.manifest.changes!.afterVersion).toBeUndefined();
    expect(resnapshot.run.statusReason).toMatch(/retention cleaned up changes/);
    expect(resnapshot.changes).toContain('12:insert:cleaned:12.50');
  }, 120_000);
});
