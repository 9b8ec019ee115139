import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import { apiClient } from '../support/api.js';
import { endpointOf, startFaultProxy, withEndpoints, type FaultProxy } from '../support/faultProxy.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { quietLog } from '../support/testEnvironment.js';

/**
 * Change capture by content hash (changeCapture {mode: "hashDiff"}) on real PostgreSQL and
 * MariaDB, through the functions: the first run is a snapshot; after inserts, updates (one to
 * NULL) and deletes (the lowest and highest keys among them, so equal-width chunk bounds move),
 * a run's files hold exactly those changes; a run with nothing changed holds none; a run whose
 * manifest write fails (after its change files and state were written) and is retried writes
 * the same changes once, unless a later run succeeded meanwhile (then it fails, saying why).
 * Every run's files folded with the README's DuckDB query equal the
 * source table. The files are read with DuckDB, the source with its own client.
 */
const container = 'hashdiff';
const pgSetting = 'SIPHON_SOURCE_HASHDIFF_PG';
const mysqlSetting = 'SIPHON_SOURCE_HASHDIFF_MYSQL';

let azurite: AzuriteHandle;
let blobProxy: FaultProxy;
let runtime: LocalRuntime;
let pg: TestDatabase;
let maria: TestMysqlDatabase;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  [azurite, pg, maria] = await Promise.all([startAzurite(), createTestDatabase('hashdiff'), createTestMysqlDatabase('hashdiff')]);
  blobProxy = await startFaultProxy(endpointOf(azurite.connectionString, 'BlobEndpoint'));
  await pg.query(`CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(10,2) NOT NULL, seen timestamptz)`);
  await pg.query(`INSERT INTO items SELECT i, 'item ' || i, i / 4.0, timestamptz '2024-01-01' + i * interval '1 minute' FROM generate_series(1, 300) i`);
  await pg.query(`CREATE TABLE members (id bigint PRIMARY KEY, version bigint NOT NULL, name text NOT NULL, deleted_at timestamptz)`);
  await pg.query(`INSERT INTO members SELECT i, i, 'member ' || i, CASE WHEN i = 3 THEN timestamptz '2024-01-01' END FROM generate_series(1, 20) i`);
  await maria.query(`CREATE TABLE items (id bigint PRIMARY KEY, name varchar(40), price decimal(10,2) NOT NULL, seen datetime(6))`);
  await maria.query(`INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 4.0, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE FROM seq_1_to_300`);
  // The runtime's blobs go through the proxy, so a test can fail one write.
  process.env.AzureWebJobsStorage = withEndpoints(azurite.connectionString, { BlobEndpoint: blobProxy.endpoint('devstoreaccount1') });
  process.env[pgSetting] = pg.url;
  process.env[mysqlSetting] = maria.url;
  process.env.SIPHON_LOCAL_NO_SIGN_IN = 'true';
  runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
  api = apiClient(runtime.url);
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await blobProxy?.close();
  await azurite?.stop();
  await pg?.drop();
  await maria?.drop();
});

type Change = { id: string; type: string; name: string | null; price: string | null };

async function runOnce(pipelineId: string): Promise<{ manifest: Manifest; changes: Change[] }> {
  const triggered = await api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const run = await api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  return readRun(run.manifestPath as string);
}

async function readRun(manifestPath: string): Promise<{ manifest: Manifest; changes: Change[] }> {
  const manifest = await readManifest(azurite.connectionString, manifestPath);
  const rows = await queryManifestFiles(azurite.connectionString, container, manifest, 'SELECT id::VARCHAR AS id, _change_type AS type, name, price::VARCHAR AS price, _change_version::VARCHAR AS version FROM {files} ORDER BY CAST(id AS BIGINT)');
  // One version per run, the manifest's.
  for (const row of rows) expect(row.version).toBe(manifest.changes!.version);
  return { manifest, changes: rows.map((row) => ({ id: String(row.id), type: String(row.type), name: row.name as string | null, price: row.price as string | null })) };
}

/** The README's fold: the latest change of each key, deletes dropped, over every run's files. */
async function fold(manifests: Manifest[]): Promise<Array<{ id: string; name: string | null; price: string }>> {
  const all: Manifest = { ...manifests.at(-1)!, files: manifests.flatMap((manifest) => manifest.files) };
  const rows = await queryManifestFiles(azurite.connectionString, container, all, `
    SELECT id::VARCHAR AS id, name, price::VARCHAR AS price FROM (
      SELECT * EXCLUDE (_change_type, _change_version) FROM {files}
      QUALIFY row_number() OVER (PARTITION BY id ORDER BY _change_version DESC) = 1 AND _change_type <> 'delete'
    ) ORDER BY CAST(id AS BIGINT)`);
  return rows.map((row) => ({ id: String(row.id), name: row.name as string | null, price: String(row.price) }));
}

type Engine = {
  label: string;
  engine: 'postgres' | 'mysql';
  setting: string;
  exec: (sql: string) => Promise<void>;
  rows: () => Promise<Array<{ id: string; name: string | null; price: string }>>;
};

const engines: Engine[] = [
  {
    label: 'PostgreSQL', engine: 'postgres', setting: pgSetting,
    exec: async (sql) => { await pg.query(sql); },
    rows: async () => (await pg.query<{ id: string; name: string | null; price: string }>(`SELECT id::text AS id, name, price::text AS price FROM items ORDER BY items.id`)),
  },
  {
    label: 'MariaDB', engine: 'mysql', setting: mysqlSetting,
    exec: async (sql) => { await maria.query(sql); },
    rows: async () => (await maria.query<{ id: string; name: string | null; price: string }>(`SELECT CAST(id AS CHAR) AS id, name, CAST(price AS CHAR) AS price FROM items ORDER BY items.id`)).map((row) => ({ ...row, id: String(row.id), price: String(row.price) })),
  },
];

describe.each(engines)('hashDiff on $label', (source) => {
  const pipelineId = `items-${source.engine}`;

  it('writes a snapshot, then exactly the inserts, updates and deletes, then nothing; a retried run after a failed manifest writes the same changes once', async () => {
    const created = await api.post('/api/pipelines', {
      id: pipelineId,
      source: { engine: source.engine, connectionSetting: source.setting },
      table: { name: 'items' },
      chunking: { column: 'id', chunks: 3, strategy: 'equalWidth', maxParallel: 2 },
      changeCapture: { mode: 'hashDiff' },
      output: { container, pathTemplate: '{pipeline}/run={runId}/part-{chunk}-{file}' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const manifests: Manifest[] = [];

    // 1. A snapshot: every row an insert, with its values; the change columns in the manifest.
    const first = await runOnce(pipelineId);
    manifests.push(first.manifest);
    expect(first.changes).toHaveLength(300);
    expect(first.changes.every((change) => change.type === 'insert')).toBe(true);
    expect(first.changes[0]).toEqual({ id: '1', type: 'insert', name: 'item 1', price: '0.25' });
    // Counted by the chunks as they wrote the rows.
    expect(first.manifest.changes).toMatchObject({ mode: 'hashDiff', keys: ['id'], inserted: 300, updated: 0, deleted: 0 });
    expect(first.manifest.changes!.afterVersion).toBeUndefined();
    expect(first.manifest.columns.map((column) => column.name)).toEqual(['id', 'name', 'price', 'seen', '_change_type', '_change_version']);

    // 2. Deletes of the lowest and highest keys and a few inside, updates (one to NULL, one of a
    //    timestamp only), inserts above the old maximum: the equal-width chunk bounds all move.
    await source.exec(`DELETE FROM items WHERE id IN (1, 2, 150, 299, 300)`);
    await source.exec(`UPDATE items SET price = price + 1 WHERE id IN (10, 100, 200)`);
    await source.exec(`UPDATE items SET name = NULL WHERE id = 50`);
    await source.exec(`UPDATE items SET name = '' WHERE id = 51`);
    await source.exec(source.engine === 'postgres' ? `UPDATE items SET seen = seen + interval '1 microsecond' WHERE id = 60` : `UPDATE items SET seen = seen + INTERVAL 1 MICROSECOND WHERE id = 60`);
    await source.exec(`INSERT INTO items (id, name, price) VALUES (301, 'new 301', 1), (350, 'new 350', 2), (400, 'new 400', 3)`);
    const second = await runOnce(pipelineId);
    manifests.push(second.manifest);
    expect(second.changes.map((change) => `${change.id}:${change.type}`)).toEqual([
      '1:delete', '2:delete', '10:update', '50:update', '51:update', '60:update', '100:update', '150:delete', '200:update', '299:delete', '300:delete', '301:insert', '350:insert', '400:insert',
    ]);
    // A delete holds its key and nothing else; an update the row as it is now.
    expect(second.changes.find((change) => change.id === '300')).toEqual({ id: '300', type: 'delete', name: null, price: null });
    expect(second.changes.find((change) => change.id === '50')).toEqual({ id: '50', type: 'update', name: null, price: '12.50' });
    expect(second.changes.find((change) => change.id === '51')).toEqual({ id: '51', type: 'update', name: '', price: '12.75' });
    expect(BigInt(second.manifest.changes!.version)).toBeGreaterThan(BigInt(first.manifest.changes!.version));
    expect(second.manifest.changes).toMatchObject({ afterVersion: first.manifest.changes!.version, afterRun: first.manifest.runId, inserted: 3, updated: 6, deleted: 5 });

    // 3. Nothing changed: no change rows.
    const third = await runOnce(pipelineId);
    manifests.push(third.manifest);
    expect(third.changes).toEqual([]);
    expect(third.manifest.changes).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });

    // 4. The manifest write fails after the change files and the state are written: the run fails,
    //    the pointer stays, and its retry writes the same changes, once.
    await source.exec(`DELETE FROM items WHERE id IN (3, 400)`);
    await source.exec(`UPDATE items SET name = 'again' WHERE id IN (4, 301)`);
    await source.exec(`INSERT INTO items (id, name, price) VALUES (0, 'zero', 0)`);
    blobProxy.rule = (request) => (request.method === 'PUT' && request.path.includes(`${pipelineId}/run=`) && request.path.endsWith('/_manifest.json') ? { action: 'status', status: 403, code: 'AuthorizationFailure' } : undefined);
    const triggered = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const failed = await api.waitForRun(triggered.headers.get('location')!);
    blobProxy.rule = undefined;
    expect(failed.status).toBe('failed');
    let retried = await api.post(`/api/pipelines/${pipelineId}/runs/${failed.runId}/retry`);
    for (let i = 0; retried.status === 409 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      retried = await api.post(`/api/pipelines/${pipelineId}/runs/${failed.runId}/retry`);
    }
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    const done = await api.waitForRun(triggered.headers.get('location')!);
    expect(done.status).toBe('succeeded');
    const fourth = await readRun(done.manifestPath as string);
    manifests.push(fourth.manifest);
    expect(fourth.changes.map((change) => `${change.id}:${change.type}`)).toEqual(['0:insert', '3:delete', '4:update', '301:update', '400:delete']);
    expect(fourth.manifest.changes!.afterRun).toBe(third.manifest.runId);
    expect(fourth.manifest.changes).toMatchObject({ inserted: 1, updated: 2, deleted: 2 });

    // 5. A failed run retried after a later run succeeded: its changes were computed against a
    //    state no longer current, so it fails again, saying why, and writes no manifest.
    await source.exec(`UPDATE items SET name = 'late' WHERE id = 5`);
    blobProxy.rule = (request) => (request.method === 'PUT' && request.path.includes(`${pipelineId}/run=`) && request.path.endsWith('/_manifest.json') ? { action: 'status', status: 403, code: 'AuthorizationFailure' } : undefined);
    const stale = await api.post(`/api/pipelines/${pipelineId}/runs`);
    const staleRun = await api.waitForRun(stale.headers.get('location')!);
    blobProxy.rule = undefined;
    expect(staleRun.status).toBe('failed');
    const later = await runOnce(pipelineId);
    manifests.push(later.manifest);
    expect(later.changes.map((change) => `${change.id}:${change.type}`)).toEqual(['5:update']);
    let staleRetry = await api.post(`/api/pipelines/${pipelineId}/runs/${staleRun.runId}/retry`);
    for (let i = 0; staleRetry.status === 409 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      staleRetry = await api.post(`/api/pipelines/${pipelineId}/runs/${staleRun.runId}/retry`);
    }
    expect(staleRetry.status).toBe(202);
    const refused = await api.waitForRun(stale.headers.get('location')!);
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain(`the change state moved to run ${later.manifest.runId}`);

    // Folded, every run's changes are the table as it is.
    expect(await fold(manifests)).toEqual(await source.rows());

    // 6. A full refresh through the API starts over: a snapshot, every row an insert, compared with no state.
    const refreshed = await api.post(`/api/pipelines/${pipelineId}/runs`, { options: { fullRefresh: true } });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(202);
    const snapshotRun = await api.waitForRun(refreshed.headers.get('location')!);
    expect(snapshotRun.status, snapshotRun.error).toBe('succeeded');
    const snapshot = await readRun(snapshotRun.manifestPath as string);
    expect(snapshot.manifest.changes!.afterRun).toBeUndefined();
    expect(new Set(snapshot.changes.map((change) => change.type))).toEqual(new Set(['insert']));
    expect(await fold([snapshot.manifest])).toEqual(await source.rows());
  }, 120_000);
});

describe('soft deletes', () => {
  it('writes rows read with the soft-delete column set as delete change rows, the others as inserts then updates', async () => {
    const created = await api.post('/api/pipelines', {
      id: 'members-soft',
      source: { engine: 'postgres', connectionSetting: pgSetting },
      table: { name: 'members' },
      incremental: { column: 'version' },
      softDelete: { column: 'deleted_at' },
      output: { container, format: 'jsonl' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const read = async () => {
      const triggered = await api.post('/api/pipelines/members-soft/runs');
      const run = await api.waitForRun(triggered.headers.get('location')!);
      expect(run.status).toBe('succeeded');
      const manifest = await readManifest(azurite.connectionString, run.manifestPath as string);
      const rows = await queryManifestFiles(azurite.connectionString, container, manifest, 'SELECT id, name, _change_type AS type FROM {files} ORDER BY id');
      return { manifest, changes: rows.map((row) => `${String(row.id)}:${String(row.type)}:${String(row.name)}`) };
    };
    const first = await read();
    expect(first.changes).toHaveLength(20);
    expect(first.changes.filter((change) => !change.includes(':insert:'))).toEqual(['3:delete:member 3']);
    expect(first.manifest.changes).toMatchObject({ mode: 'softDelete', keys: ['id'], inserted: 19, updated: 0, deleted: 1 });
    expect(first.manifest.window).toMatchObject({ column: 'version', upTo: '20' });

    await pg.query(`UPDATE members SET version = 21, name = 'renamed' WHERE id = 5`);
    await pg.query(`UPDATE members SET version = 22, deleted_at = now() WHERE id = 6`);
    const second = await read();
    expect(second.changes).toEqual(['5:update:renamed', '6:delete:member 6']);
    expect(second.manifest.changes).toMatchObject({ inserted: 0, updated: 1, deleted: 1 });
    expect(BigInt(second.manifest.changes!.version)).toBeGreaterThan(BigInt(first.manifest.changes!.version));
  }, 60_000);
});

describe('hashDiff refusals', () => {
  it('refuses a spec that cannot diff, naming the field', async () => {
    const base = { id: 'bad-capture', source: { engine: 'postgres', connectionSetting: pgSetting }, table: { name: 'items' }, output: { container } };
    const withIncremental = await api.post('/api/pipelines', { ...base, changeCapture: { mode: 'hashDiff' }, incremental: { column: 'id' } });
    expect(withIncremental.status).toBe(400);
    expect(JSON.stringify(withIncremental.body)).toContain('changeCapture');
    const offKey = await api.post('/api/pipelines', { ...base, changeCapture: { mode: 'hashDiff', keys: ['id'] }, chunking: { column: 'price' } });
    expect(offKey.status).toBe(400);
    expect(JSON.stringify(offKey.body)).toContain('chunking.column');
    const softWithout = await api.post('/api/pipelines', { ...base, softDelete: { column: 'seen' } });
    expect(softWithout.status).toBe(400);
    expect(JSON.stringify(softWithout.body)).toContain('softDelete');
    // A Delta merge applies change rows by the keys they are captured by.
    const otherKeys = await api.post('/api/pipelines', { ...base, changeCapture: { mode: 'hashDiff', keys: ['id'] }, output: { container, format: 'delta', mode: 'merge', keys: ['name'] } });
    expect(otherKeys.status).toBe(400);
    expect(JSON.stringify(otherKeys.body)).toContain('output.keys');
  });
});
