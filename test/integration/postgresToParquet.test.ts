import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { runIdTime } from '../../src/jobs/runId.js';

/**
 * The whole path on a real PostgreSQL server: HTTP trigger, job queue, orchestrator, activities,
 * Parquet in blob storage; DuckDB reads the files the manifest lists and every row must equal
 * the source row.
 */
const rowCount = 6_000;

/** Deterministic values with the awkward cases: skew, NULLs, 16+4 digit decimals, offsets, astral Unicode. */
function sourceRows() {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const labels = ['plain', 'Zoë', '🚀 rocket', '👩‍👩‍👧 family', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '', 'quote " comma , newline \n end', '中文'];
  const offsets = ['+00:00', '+05:30', '-08:00', '+13:45'];
  return Array.from({ length: rowCount }, (_, i) => {
    const id = i + 1;
    // 90% of the split key values sit in 1..5400, the rest spread up to a trillion; every 97th is NULL.
    const seq = i % 97 === 0 ? null : i < rowCount * 0.9 ? String(i + 1) : String(1_000_000 + Math.floor(random() * 1e12));
    const integerDigits = Math.floor(random() * 1e16).toString();
    const amount = i % 11 === 0 ? null : i === 1 ? '9999999999999999.9999' : i === 2 ? '-9999999999999999.9999' : `${random() < 0.5 ? '-' : ''}${integerDigits}.${String(Math.floor(random() * 10_000)).padStart(4, '0')}`;
    const label = i % 13 === 0 ? null : `${labels[i % labels.length]} ${i}`;
    const micros = String(Math.floor(random() * 1_000_000)).padStart(6, '0');
    const createdAt = i % 17 === 0 ? null : `2024-0${1 + (i % 9)}-1${i % 10} 0${i % 10}:1${i % 6}:2${i % 10}.${micros}${offsets[i % offsets.length]}`;
    const flag = i % 19 === 0 ? null : i % 2 === 0;
    return [id, seq, amount, label, createdAt, flag] as const;
  });
}

describe('a PostgreSQL table copied to Parquet through the functions', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment('e2e', async (db) => {
      await db.query(`CREATE SCHEMA shop; CREATE TABLE shop.events (
        id bigint PRIMARY KEY, seq bigint, amount numeric(20,4), label text, created_at timestamptz, flag boolean)`);
      const rows = sourceRows();
      const column = (index: number) => rows.map((row) => row[index]);
      await db.query(
        `INSERT INTO shop.events SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::numeric[], $4::text[], $5::timestamptz[], $6::boolean[])`,
        [column(0), column(1), column(2), column(3), column(4), column(5)],
      );
    });
  });

  afterAll(async () => {
    await env?.stop();
  });

  const pipeline = {
    id: 'shop-events',
    source: { engine: 'postgres', connectionSetting: testSourceSetting },
    table: { schema: 'shop', name: 'events' },
    chunking: { column: 'seq', chunks: 6, maxParallel: 3 },
    output: { container: 'landing', maxRowsPerFile: 1_000, rowGroupRows: 1_000 },
  };

  it('copies every row exactly, readable by DuckDB from the manifest', async () => {
    const created = await env.api.post('/api/pipelines', pipeline);
    expect(created.status).toBe(201);

    const triggered = await env.api.post('/api/pipelines/shop-events/runs');
    expect(triggered.status).toBe(202);
    const runUrl = triggered.headers.get('location')!;
    expect(runUrl).toMatch(/^\/api\/pipelines\/shop-events\/runs\/\d{8}T\d{6}Z-[0-9a-f]{8}$/);

    const run = await env.api.waitForRun(runUrl);
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(rowCount);
    // 6 key ranges plus the chunk for NULL keys.
    expect(run.progress.chunksDone).toBe(7);

    const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
    expect(manifest.rows).toBe(rowCount);
    expect(manifest.files.every((file) => file.rows <= 1_000)).toBe(true);

    const expected = await env.database.query(`
      SELECT id::text AS id, seq::text AS seq, amount::text AS amount, label,
             (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us, flag
        FROM shop.events ORDER BY id`);
    const actual = await queryManifestFiles(env.azurite.connectionString, 'landing', manifest, `
      SELECT id::VARCHAR AS id, seq::VARCHAR AS seq, amount::VARCHAR AS amount, label,
             epoch_us(created_at)::VARCHAR AS created_us, flag
        FROM {files} ORDER BY id`);
    expect(actual.length).toBe(expected.length);
    expect(actual).toEqual(expected);

    const types = await queryManifestFiles(env.azurite.connectionString, 'landing', manifest, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {files})`);
    expect(Object.fromEntries(types.map((row) => [row.column_name, row.column_type]))).toEqual({
      id: 'BIGINT', seq: 'BIGINT', amount: 'DECIMAL(20,4)', label: 'VARCHAR', created_at: 'TIMESTAMP WITH TIME ZONE', flag: 'BOOLEAN',
    });
  });

  it('lists a pipeline and its runs newest first', async () => {
    // Run ids carry whole seconds: two runs in one second have no order between them. Start the
    // second run in a later second than the first, as any two runs a person compares would be.
    const [first] = (await env.api.get('/api/pipelines/shop-events/runs')).body!.runs as Array<{ runId: string }>;
    const nextSecond = runIdTime(first!.runId).getTime() + 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextSecond - Date.now())));
    const second = await env.api.post('/api/pipelines/shop-events/runs');
    await env.api.waitForRun(second.headers.get('location')!);
    const listed = await env.api.get('/api/pipelines/shop-events/runs');
    expect(listed.status).toBe(200);
    const ids: string[] = listed.body!.runs.map((run: { runId: string }) => run.runId);
    expect(ids.length).toBe(2);
    expect(ids[0]).toBe(second.body!.runId);
    expect([...ids].sort().reverse()).toEqual(ids);

    const pipelines = await env.api.get('/api/pipelines');
    expect(pipelines.body!.pipelines.map((p: { id: string }) => p.id)).toEqual(['shop-events']);
    const one = await env.api.get('/api/pipelines/shop-events');
    expect(one.body!.chunking).toEqual({ column: 'seq', chunks: 6, maxParallel: 3, strategy: 'statistics' });
  });

  describe('bad input gets a clear error and changes nothing', () => {
    const tables = () => {
      const connection = env.azurite.connectionString;
      return {
        pipelines: TableClient.fromConnectionString(connection, 'siphonPipelines', { allowInsecureConnection: true }),
        runs: TableClient.fromConnectionString(connection, 'siphonRuns', { allowInsecureConnection: true }),
        queue: new QueueClient(connection, 'siphon-jobs'),
      };
    };
    const snapshot = async () => {
      const { pipelines, runs, queue } = tables();
      const count = async (table: TableClient) => {
        let n = 0;
        for await (const _ of table.listEntities()) n++;
        return n;
      };
      return { pipelines: await count(pipelines), runs: await count(runs), queued: (await queue.getProperties()).approximateMessagesCount };
    };

    it('rejects an invalid spec with 400 naming the field', async () => {
      const before = await snapshot();
      const response = await env.api.post('/api/pipelines', { ...pipeline, id: 'Bad Id!', chunking: { column: 'seq', chunks: 0 } });
      expect(response.status).toBe(400);
      const paths = response.body!.errors.map((issue: { path: string }) => issue.path);
      expect(paths).toContain('id');
      expect(paths).toContain('chunking.chunks');
      expect(await snapshot()).toEqual(before);
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await env.api.post('/api/pipelines', '{"id": ');
      expect(response.status).toBe(400);
      expect(response.body!.title).toMatch(/not valid JSON/);
    });

    it('rejects a spec carrying a password or a full connection string with 400', async () => {
      const before = await snapshot();
      const withPassword = await env.api.post('/api/pipelines', { ...pipeline, id: 'leaky-one', source: { ...pipeline.source, password: 'hunter2' } });
      expect(withPassword.status).toBe(400);
      expect(withPassword.body!.errors.map((i: { path: string }) => i.path)).toContain('source.password');

      const withConnectionString = await env.api.post('/api/pipelines', {
        ...pipeline,
        id: 'leaky-two',
        source: { engine: 'postgres', connectionSetting: 'postgres://admin:s3cret@db.example.com/sales' },
      });
      expect(withConnectionString.status).toBe(400);
      expect(withConnectionString.body!.errors.map((i: { path: string }) => i.path)).toContain('source.connectionSetting');
      // The answer must not echo the secret back.
      expect(JSON.stringify(withConnectionString.body)).not.toContain('s3cret');
      expect(JSON.stringify(withPassword.body)).not.toContain('hunter2');
      expect(await snapshot()).toEqual(before);
    });

    it('answers 404 for an unknown pipeline and queues nothing', async () => {
      const before = await snapshot();
      expect((await env.api.get('/api/pipelines/no-such-pipeline')).status).toBe(404);
      expect((await env.api.post('/api/pipelines/no-such-pipeline/runs')).status).toBe(404);
      expect((await env.api.get('/api/pipelines/no-such-pipeline/runs')).status).toBe(404);
      expect(await snapshot()).toEqual(before);
    });

    it('answers 409 to a create of an existing pipeline and 412 to an update with a stale ETag', async () => {
      const before = await snapshot();
      expect((await env.api.post('/api/pipelines', pipeline)).status).toBe(409);
      const stale = await env.api.put('/api/pipelines/shop-events', { ...pipeline, description: 'changed' }, { 'if-match': 'W/"datetime\'2000-01-01T00%3A00%3A00.0000000Z\'"' });
      expect(stale.status).toBe(412);
      expect(await snapshot()).toEqual(before);
      expect((await env.api.get('/api/pipelines/shop-events')).body!.description).toBeUndefined();
    });
  });
});
