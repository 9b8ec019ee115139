import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment.js';
import { waitFor } from '../support/waitFor.js';
import { getServices } from '../../src/services.js';
import { sweepEndedRuns } from '../../src/jobs/sweepEndedRuns.js';

/**
 * A pipeline of many tables on PostgreSQL, end to end through the API and the local runtime:
 * patterns and excludes resolved from the catalog, a per-table override (one table incremental),
 * every table's rows read back with DuckDB from its own manifest and counted against the source,
 * the run manifest listing them; a table added between runs (drift) picked up by the next run
 * while the incremental table reads only its new rows; and a table that fails, failing the run
 * while the others succeed, then a retry that copies only it.
 */
let env: TestEnvironment;

const pathTemplate = '{pipeline}/{table}/run={runId}/part-{chunk}-{file}';
const spec = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_TEST' },
  tables: ['sales.*', { name: 'ops.audit', incremental: { column: 'id' } }],
  exclude: ['sales.tmp_%'],
  chunking: { maxParallel: 4 },
  output: { container: 'lake', format: 'parquet', pathTemplate },
  ...extra,
});

beforeAll(async () => {
  env = await startTestEnvironment('many_tables', async (db) => {
    await db.query('CREATE SCHEMA sales; CREATE SCHEMA ops');
    await db.query('CREATE TABLE sales.orders (id bigint PRIMARY KEY, amount numeric(12,2) NOT NULL)');
    await db.query("INSERT INTO sales.orders SELECT g, g * 1.25 FROM generate_series(1, 3000) g");
    await db.query('CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL)');
    await db.query("INSERT INTO sales.customers SELECT g, 'c' || g FROM generate_series(1, 500) g");
    await db.query('CREATE TABLE sales.events_no_key (at timestamptz NOT NULL, note text)');
    await db.query("INSERT INTO sales.events_no_key SELECT timestamptz '2024-01-01' + g * interval '1 minute', 'e' FROM generate_series(1, 700) g");
    await db.query('CREATE TABLE sales.empty_one (id int PRIMARY KEY)');
    await db.query('CREATE TABLE sales.tmp_scratch (id int PRIMARY KEY)');
    await db.query('INSERT INTO sales.tmp_scratch VALUES (1)');
    await db.query('CREATE TABLE ops.audit (id bigint PRIMARY KEY, what text NOT NULL)');
    await db.query("INSERT INTO ops.audit SELECT g, 'a' FROM generate_series(1, 200) g");
    await db.query('CREATE TABLE ops.unlisted (id int PRIMARY KEY)');
    await db.query('ANALYZE');
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

/** Rows of a table's run as DuckDB reads them from the files its manifest lists. */
async function rowsReadBack(manifestPath: string): Promise<number> {
  const manifest = await readManifest(env.azurite.connectionString, manifestPath);
  const [row] = await queryManifestFiles(env.azurite.connectionString, manifestPath.split('/')[0]!, manifest, 'SELECT count(*) AS n FROM {files}', 'typed');
  return Number((row as { n: bigint }).n);
}

async function sourceCount(table: string): Promise<number> {
  return Number((await env.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
}

async function trigger(id: string): Promise<Record<string, any>> {
  const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return env.api.waitForRun(triggered.headers.get('location')!, 120_000);
}

describe('a pipeline of many tables', () => {
  it('copies every table the patterns match, less the excluded, each into its own folder with its own manifest', async () => {
    expect((await env.api.post('/api/pipelines', spec('shop'))).status).toBe(201);
    const run = await trigger('shop');
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('succeeded');
    const tables = (run.tableRuns as Array<Record<string, any>>).map((table) => table.table);
    expect(tables).toEqual(['ops.audit', 'sales.customers', 'sales.empty_one', 'sales.events_no_key', 'sales.orders']);
    for (const table of run.tableRuns as Array<Record<string, any>>) {
      expect(table.status, table.table).toBe('succeeded');
      expect(table.manifestPath).toContain(`/shop/${table.table}/run=`);
      expect(await rowsReadBack(table.manifestPath), table.table).toBe(await sourceCount(table.table));
      // Each table's run is a run of its own, with its own chunks and timeline.
      const chunks = await env.api.get(`${String(table.url)}/chunks?limit=100`);
      expect(chunks.status).toBe(200);
      if (table.rows > 0) expect((chunks.body!.chunks as unknown[]).length, table.table).toBeGreaterThan(0);
    }
    expect(run.tables).toEqual({ count: 5, succeeded: 5, failed: 0 });
    expect(run.rows).toBe(3000 + 500 + 700 + 200);

    // The run manifest lists each table's manifest, read straight from the blob.
    const [container, ...rest] = String(run.manifestPath).split('/');
    const blob = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container!).getBlobClient(rest.join('/'));
    const runManifest = JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { tables: Array<{ table: string; manifest: string; rows: number }> };
    expect(runManifest.tables.map((table) => [table.table, table.manifest])).toEqual((run.tableRuns as Array<Record<string, any>>).map((table) => [table.table, table.manifestPath]));
    expect(await blob.getProperties().then(() => true)).toBe(true);
  }, 120_000);

  it('picks up a table added since the last run (drift), and each table keeps its own watermark', async () => {
    await env.database.query('CREATE TABLE sales.returns (id int PRIMARY KEY, order_id bigint NOT NULL)');
    await env.database.query('INSERT INTO sales.returns SELECT g, g FROM generate_series(1, 40) g');
    await env.database.query("INSERT INTO ops.audit SELECT g, 'b' FROM generate_series(201, 230) g");
    const run = await trigger('shop');
    expect(run.status, run.error).toBe('succeeded');
    const byTable = new Map((run.tableRuns as Array<Record<string, any>>).map((table) => [table.table, table]));
    expect(byTable.has('sales.returns')).toBe(true);
    expect(await rowsReadBack(byTable.get('sales.returns')!.manifestPath)).toBe(40);
    // The incremental table read only the rows above its own watermark.
    expect(await rowsReadBack(byTable.get('ops.audit')!.manifestPath)).toBe(30);
    expect(byTable.get('ops.audit')!.window).toMatchObject({ column: 'id', after: '200', upTo: '230' });
    const events = await waitFor(
      async () => (await env.api.get(`/api/pipelines/shop/runs/${String(run.runId)}/events?limit=100`)).body!.events as Array<Record<string, any>>,
      (listed) => listed.some((event) => event.type === 'finished'),
      'the run\'s finished event',
    );
    const drift = events.find((event) => event.type === 'drift');
    expect(drift?.fields?.message ?? drift?.message).toContain('tables added: sales.returns');
  }, 120_000);

  it('starts every table over when the pipeline is deleted and created again (no table keeps its old watermark)', async () => {
    const current = await env.api.get('/api/pipelines/shop');
    const deleted = await env.api.delete('/api/pipelines/shop', { 'if-match': current.headers.get('etag')! });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((await env.api.post('/api/pipelines', spec('shop'))).status).toBe(201);
    const run = await trigger('shop');
    expect(run.status, run.error).toBe('succeeded');
    const audit = (run.tableRuns as Array<Record<string, any>>).find((table) => table.table === 'ops.audit')!;
    expect(await rowsReadBack(audit.manifestPath)).toBe(230);
  }, 120_000);

  it('fails the run when a table fails, keeps the others, and a retry copies only that table', async () => {
    const created = await env.api.post('/api/pipelines', spec('shop-late', { tables: ['sales.orders', 'sales.customers', 'ops.late'], exclude: undefined }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const failed = await trigger('shop-late');
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('1 of 3 tables did not succeed: ops.late failed');
    const before = new Map((failed.tableRuns as Array<Record<string, any>>).map((table) => [table.table, table]));
    expect(before.get('sales.orders')!.status).toBe('succeeded');
    expect(before.get('ops.late')!.status).toBe('failed');

    await env.database.query('CREATE TABLE ops.late (id int PRIMARY KEY)');
    await env.database.query('INSERT INTO ops.late SELECT generate_series(1, 25)');
    const retried = await env.api.post(`/api/pipelines/shop-late/runs/${String(failed.runId)}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    const run = await env.api.waitForRun(retried.headers.get('location')!, 120_000);
    expect(run.status, run.error).toBe('succeeded');
    const after = new Map((run.tableRuns as Array<Record<string, any>>).map((table) => [table.table, table]));
    // The succeeded tables were not copied again: same attempt, same ending, same manifest.
    for (const table of ['sales.orders', 'sales.customers']) {
      expect(after.get(table)).toMatchObject({ attempt: 0, endedAt: before.get(table)!.endedAt, manifestPath: before.get(table)!.manifestPath });
    }
    expect(after.get('ops.late')!.attempt).toBe(1);
    expect(await rowsReadBack(after.get('ops.late')!.manifestPath)).toBe(25);
  }, 120_000);

  it('with failFast, stops the tables not yet copied at the first failure', async () => {
    const created = await env.api.post('/api/pipelines', spec('shop-fast', { tables: ['ops.missing', 'sales.orders'], exclude: undefined, failFast: true, chunking: { maxParallel: 1 } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await trigger('shop-fast');
    expect(run.status).toBe('failed');
    const byTable = new Map((run.tableRuns as Array<Record<string, any>>).map((table) => [table.table, table]));
    expect(byTable.get('ops.missing')!.status).toBe('failed');
    // One table at a time (maxParallel 1), in name order: sales.orders was never started.
    expect(byTable.get('sales.orders')).toMatchObject({ status: 'cancelled', rows: 0, statusReason: 'failFast: table 1 of the run ended failed' });
    expect(run.error).toContain('sales.orders cancelled');

    // The cleanup sweep reaches the tables' runs too (they live under their table pipelines).
    const services = await getServices();
    const swept = await sweepEndedRuns({ ...services, now: () => new Date(Date.now() + 86_400_000) });
    expect(swept.errors).toEqual([]);
    expect(swept.cleaned.map((entry) => entry.runId)).toEqual(expect.arrayContaining([byTable.get('ops.missing')!.runId, byTable.get('sales.orders')!.runId]));
  }, 120_000);

  it('cancels the tables still copying with the run, and their files go', async () => {
    await env.database.query('CREATE SCHEMA slow');
    await env.database.query('CREATE TABLE slow.a_small (id int PRIMARY KEY)');
    await env.database.query('INSERT INTO slow.a_small SELECT generate_series(1, 10)');
    await env.database.query("CREATE TABLE slow.b_large (id int PRIMARY KEY, pad text NOT NULL)");
    await env.database.query("INSERT INTO slow.b_large SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g");
    await env.database.query('ANALYZE slow.b_large');
    const created = await env.api.post('/api/pipelines', spec('slow', { tables: ['slow.*'], exclude: undefined, chunking: { maxParallel: 1, chunks: 40 } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const triggered = await env.api.post('/api/pipelines/slow/runs');
    const url = triggered.headers.get('location')!;
    // Cancelled once the large table's run is copying (its 40 chunks one at a time take seconds).
    const running = await waitFor(
      async () => (await env.api.get(url)).body!,
      (run) => (run.tableRuns as Array<Record<string, any>> | undefined)?.some((table) => table.table === 'slow.b_large' && table.status === 'running') ?? false,
      'the large table copying',
      60_000,
      50,
    );
    const large = (running.tableRuns as Array<Record<string, any>>).find((table) => table.table === 'slow.b_large')!;
    expect((await env.api.post(`${url}/cancel`)).status).toBe(200);
    const ended = await env.api.waitForRun(url);
    expect(ended.status).toBe('cancelled');
    const tableRun = await waitFor(async () => (await env.api.get(String(large.url))).body!, (run) => run.status !== 'running' && run.cleanedAt !== undefined, 'the large table\'s run cleaned up');
    expect(tableRun.status).toBe('cancelled');
    expect(tableRun.manifestPath).toBeUndefined();
    // Its folder holds nothing once its ending cleaned up: no file outlives a cancelled run.
    const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('lake');
    const left: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: `slow/slow.b_large/run=${String(tableRun.runId)}/` })) left.push(blob.name);
    expect(left).toEqual([]);
  }, 120_000);

  it('refuses a table run being retried or cancelled on its own, and specs that would mix tables in one folder', async () => {
    const run = (await env.api.get('/api/pipelines/shop/runs?limit=1')).body!.runs[0] as Record<string, any>;
    const detail = (await env.api.get(String(run.url))).body!;
    const tableRun = (detail.tableRuns as Array<Record<string, any>>)[0]!;
    const refused = await env.api.post(`${String(tableRun.url)}/retry`);
    expect(refused.status).toBe(409);
    expect(String(refused.body!.title)).toContain('that run is retried, not its tables');

    const mixed = await env.api.post('/api/pipelines', { ...spec('mixed'), output: { container: 'lake', format: 'parquet' } });
    expect(mixed.status).toBe(400);
    expect(JSON.stringify(mixed.body)).toContain('output.pathTemplate');
    const both = await env.api.post('/api/pipelines', { ...spec('both'), table: { name: 'orders' } });
    expect(both.status).toBe(400);
    const badOverride = await env.api.post('/api/pipelines', spec('bad-override', { tables: [{ name: 'sales.orders', chunking: { maxParallel: 0 } }] }));
    expect(badOverride.status).toBe(400);
    expect(JSON.stringify(badOverride.body)).toContain('tables.0.chunking.maxParallel');
  }, 60_000);
});
