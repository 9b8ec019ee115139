import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';

/**
 * GET /api/pipelines/{id}/runs/{runId}/files: the files a run's manifest lists, paged, checked
 * against what is really in the container (listed with a blob client of the test's own), and the
 * 404s and 400s around it.
 */
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment('runfiles', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, note text)`);
    await db.query(`INSERT INTO orders SELECT i, 'order ' || i FROM generate_series(1, 7500) i`);
    // One row holds a value no output type can hold: a run over this table fails in its chunk.
    await db.query(`CREATE TABLE broken (id int PRIMARY KEY, at timestamptz)`);
    await db.query(`INSERT INTO broken SELECT i, CASE WHEN i = 7 THEN 'infinity'::timestamptz ELSE timestamptz '2024-01-01' + i * interval '1 hour' END FROM generate_series(1, 10) i`);
  });
});

afterAll(async () => {
  await env?.stop();
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };

async function runToEnd(spec: Record<string, unknown>): Promise<Record<string, any>> {
  const created = await env.api.post('/api/pipelines', { source, ...spec, output: { container: 'runfiles', ...(spec.output as object | undefined) } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const triggered = await env.api.post(`/api/pipelines/${String(spec.id)}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return env.api.waitForRun(triggered.headers.get('location')!);
}

/** Every blob under `prefix` with its size, read with a fresh client, not through Siphon. */
async function blobsUnder(prefix: string): Promise<Map<string, number>> {
  const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('runfiles');
  const blobs = new Map<string, number>();
  for await (const blob of container.listBlobsFlat({ prefix })) blobs.set(blob.name, blob.properties.contentLength ?? -1);
  return blobs;
}

describe('the files of a run', () => {
  it('lists every file of the manifest, paged, matching the blobs in the container', async () => {
    // 3 chunks of about 2,500 rows, at most 1,000 rows a file: 3 files a chunk, 9 in all.
    const run = await runToEnd({ id: 'files-ok', table: { name: 'orders' }, chunking: { column: 'id', chunks: 3, strategy: 'equalWidth' }, output: { maxRowsPerFile: 1000 } });
    expect(run.status).toBe('succeeded');
    const url = `/api/pipelines/files-ok/runs/${run.runId}/files`;

    const files: Array<{ path: string; rows: number; bytes: number; chunk: number; md5: string }> = [];
    const tokens: string[] = [];
    let token: string | undefined;
    do {
      const page = await env.api.get(`${url}?limit=4${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body!.files.length).toBeLessThanOrEqual(4);
      expect(page.body!.manifest).toMatchObject({ path: run.manifestPath, container: 'runfiles', format: 'parquet', rows: 7500, files: 9 });
      files.push(...page.body!.files);
      token = page.body!.continuationToken;
      if (token) tokens.push(token);
    } while (token);
    // 9 files in pages of 4: two tokens, and no file twice.
    expect(tokens).toHaveLength(2);
    expect(new Set(files.map((file) => file.path)).size).toBe(9);
    expect(files.map((file) => file.chunk)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(files.reduce((sum, file) => sum + file.rows, 0)).toBe(7500);

    // The container holds exactly these files (beside the manifest and _SUCCESS), each of the size listed.
    const folder = run.manifestPath.slice('runfiles/'.length, -'/_manifest.json'.length);
    const blobs = await blobsUnder(`${folder}/`);
    expect([...blobs.keys()].sort()).toEqual([...files.map((file) => file.path), `${folder}/_SUCCESS`, `${folder}/_manifest.json`].sort());
    for (const file of files) expect(blobs.get(file.path), file.path).toBe(file.bytes);
    expect(files.reduce((sum, file) => sum + file.bytes, 0)).toBe(run.bytes);

    // The default page holds them all and no token.
    const all = await env.api.get(url);
    expect(all.body!.files).toEqual(files);
    expect(all.body!.continuationToken).toBeUndefined();
  });

  it('answers 404 for a run without a manifest, an unknown run and an unknown pipeline', async () => {
    const failed = await runToEnd({ id: 'files-failed', table: { name: 'broken' }, retry: { maxAttempts: 1 } });
    expect(failed.status).toBe('failed');
    const noManifest = await env.api.get(`/api/pipelines/files-failed/runs/${failed.runId}/files`);
    expect(noManifest.status).toBe(404);
    expect(noManifest.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(noManifest.body!.title).toBe(`Run ${failed.runId} of pipeline files-failed has no manifest`);
    expect(noManifest.body!.detail).toMatch(/the run is failed/);

    const unknownRun = await env.api.get('/api/pipelines/files-failed/runs/20200101T000000Z-00000000/files');
    expect(unknownRun.status).toBe(404);
    expect(unknownRun.body!.title).toMatch(/does not exist/);
    const unknownPipeline = await env.api.get(`/api/pipelines/nope/runs/${failed.runId}/files`);
    expect(unknownPipeline.status).toBe(404);
  });

  it('refuses bad paging and ids with a 400 naming the parameter', async () => {
    const base = '/api/pipelines/files-ok/runs/20200101T000000Z-00000000/files';
    for (const [query, name] of [['?limit=0', 'limit'], ['?limit=abc', 'limit'], ['?continuationToken=zz', 'continuationToken'], ['?after=3', 'after'], ['?limit=1&limit=2', 'limit']] as const) {
      const refused = await env.api.get(`${base}${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body!.detail, query).toMatch(new RegExp(`^${name}:`));
    }
    expect((await env.api.get('/api/pipelines/files-ok/runs/not-a-run/files')).status).toBe(400);
  });
});
