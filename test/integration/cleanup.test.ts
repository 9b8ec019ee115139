import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { TableClient } from '@azure/data-tables';
import { RunStore } from '../../src/store/runStore.js';
import { readManifest } from '../../src/local/manifestReader.js';
import { getServices } from '../../src/services.js';
import { cleanupRun } from '../../src/orchestration/cleanupRun.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { waitFor } from '../support/waitFor.js';
import { waitForRunQuiet } from '../support/runQuiet.js';

/**
 * Files no manifest lists are deleted: a cancelled run's by its ending and by the sweep (for
 * chunk copies that commit late), a succeeded run's strays at finalize; files a manifest lists
 * are never touched. On the real path: PostgreSQL, Azurite, the local runtime; blobs are read
 * back with a blob client of the test's own.
 */
let env: TestEnvironment;
const containerName = 'cleanup';
const rowCount = 60_000;

beforeAll(async () => {
  // The sweep takes runs that ended at least this long ago: at once, so the test fires it instead of waiting.
  process.env.SIPHON_CLEANUP_GRACE_MINUTES = '0';
  env = await startTestEnvironment('cleanup', async (db) => {
    await db.query(`CREATE TABLE readings (id int PRIMARY KEY, bucket int, note text)`);
    await db.query(`INSERT INTO readings SELECT i, i % 3, 'reading ' || i FROM generate_series(1, ${rowCount}) i`);
    // A query may not call pg_sleep itself (it holds a session without reading); a function of the source's own may.
    await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(seconds) IS NULL'`);
  });
});

afterAll(async () => {
  await env?.stop();
  delete process.env.SIPHON_CLEANUP_GRACE_MINUTES;
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };

function container(): ContainerClient {
  return BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(containerName);
}

type BlobState = { etag: string; md5: string };

async function blobs(prefix = ''): Promise<Map<string, BlobState>> {
  const found = new Map<string, BlobState>();
  for await (const blob of container().listBlobsFlat({ prefix })) {
    found.set(blob.name, { etag: blob.properties.etag ?? '', md5: Buffer.from(blob.properties.contentMD5 ?? new Uint8Array()).toString('base64') });
  }
  return found;
}

async function createPipeline(spec: Record<string, unknown>): Promise<void> {
  const created = await env.api.post('/api/pipelines', { source, ...spec });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

async function trigger(pipelineId: string): Promise<string> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return triggered.headers.get('location')!;
}

/** The run's folder in the container, from its record (`<container>/<folder>`). */
const folderOf = (run: Record<string, any>) => String(run.outputFolder).slice(containerName.length + 1);

const quiet = (runId: string) => waitForRunQuiet(env, runId);

describe('a cancelled large run', () => {
  it('leaves no file of its own once ended and swept, and every file of another run\'s manifest as it was', { timeout: 300_000 }, async () => {
    // Another pipeline's succeeded run in the same container: its files must survive everything below.
    await createPipeline({ id: 'keeper', table: { name: 'readings' }, chunking: { column: 'id', chunks: 3, maxParallel: 3 }, output: { container: containerName, partitionBy: ['bucket'] } });
    const kept = await env.api.waitForRun(await trigger('keeper'));
    expect(kept.status).toBe('succeeded');
    const keeperManifest = await readManifest(env.azurite.connectionString, kept.manifestPath);
    const keeperBefore = await blobs(`${folderOf(kept)}/`);
    expect([...keeperBefore.keys()].sort()).toEqual([...keeperManifest.files.map((file) => file.path), `${folderOf(kept)}/_manifest.json`, `${folderOf(kept)}/_SUCCESS`].sort());
    for (const file of keeperManifest.files) expect(keeperBefore.get(file.path)?.md5).toBe(file.md5);

    // 300 chunks in three sub-orchestrations, each writing a file in each of three partition folders.
    await createPipeline({
      id: 'big-cancel',
      table: { name: 'readings' },
      chunking: { column: 'id', chunks: 300, maxParallel: 4, strategy: 'equalWidth' },
      output: { container: containerName, partitionBy: ['bucket'], format: 'csv' },
    });
    const runUrl = await trigger('big-cancel');
    const running = (await waitFor(() => env.api.get(runUrl), (r) => r.body!.progress?.chunksDone >= 12, 'a dozen chunks to be done')).body!;
    const folder = folderOf(running);
    expect(folder).toContain(running.runId);
    expect(running.progress.rowsCopied).toBeGreaterThanOrEqual(12 * (rowCount / 300));
    const written = await blobs(`${folder}/`);
    // Files in the partition folders, of several chunks: there is something to clean.
    expect(written.size).toBeGreaterThanOrEqual(12);
    expect([...written.keys()].every((name) => /\/bucket=\d\/part-\d{5}-\d{4}\.csv$/.test(name))).toBe(true);

    const cancelled = await env.api.post(`${runUrl}/cancel`);
    expect(cancelled.status).toBe(200);
    const ended = (await waitFor(() => env.api.get(runUrl), (r) => r.body!.cleanedAt !== undefined, 'the cancelled run\'s own cleanup')).body!;
    expect(ended.status).toBe('cancelled');
    expect(ended.progress.chunksDone).toBeLessThan(300);
    await quiet(running.runId);

    // A chunk copy of the cancelled run that commits after the ending's cleanup (as one in the
    // middle of its upload does): written here, so the test does not depend on the timing.
    await container().getBlockBlobClient(`${folder}/bucket=1/part-00297-0000.csv`).upload('id,bucket\n1,1\n', 12);
    expect((await blobs(`${folder}/`)).size).toBeGreaterThan(0);

    await env.runtime.fireTimer('cleanupSweep');
    const all = await blobs();
    expect([...all.keys()].filter((name) => name.includes(running.runId))).toEqual([]);
    const swept = (await env.api.get(runUrl)).body!;
    expect(swept.sweptAt).toBeDefined();
    expect(swept.progress.chunksDone).toBe(0);
    expect(swept.status).toBe('cancelled');

    // The other run's files: the same names, bytes (MD5) and ETags (never rewritten).
    const keeperAfter = await blobs(`${folderOf(kept)}/`);
    expect(keeperAfter).toEqual(keeperBefore);

    // A swept run is not listed and cleaned again on every tick.
    await env.runtime.fireTimer('cleanupSweep');
    expect((await env.api.get(runUrl)).body!.sweptAt).toBe(swept.sweptAt);
  });
});

describe('a succeeded run', () => {
  it('ends with exactly the files its manifest lists, leaving the folder beside it alone', async () => {
    await createPipeline({
      id: 'tidy',
      query: 'SELECT id, note, slow_row(0.05) AS slept FROM readings WHERE id <= 40',
      chunking: { column: 'id', chunks: 4, maxParallel: 1 },
      output: { container: containerName },
    });
    const runUrl = await trigger('tidy');
    const running = (await waitFor(() => env.api.get(runUrl), (r) => r.body!.status === 'running' && r.body!.outputFolder !== undefined, 'the run to be planned')).body!;
    const folder = folderOf(running);
    // What a superseded attempt leaves: a file of a chunk number this plan does not have, and one in a folder it does not write.
    await container().getBlockBlobClient(`${folder}/part-00099-0000.parquet`).upload('stale', 5);
    await container().getBlockBlobClient(`${folder}/region=x/part-00000-0009.parquet`).upload('stale', 5);
    // A folder whose name merely starts with this one's is not this run's.
    const neighbour = `${folder}x/keep.txt`;
    await container().getBlockBlobClient(neighbour).upload('keep', 4);

    const run = await env.api.waitForRun(runUrl);
    expect(run.status).toBe('succeeded');
    const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
    expect(manifest.files).toHaveLength(4);
    const left = await blobs(`${folder}/`);
    expect([...left.keys()].sort()).toEqual([...manifest.files.map((file) => file.path), `${folder}/_manifest.json`, `${folder}/_SUCCESS`].sort());
    for (const file of manifest.files) expect(left.get(file.path)?.md5).toBe(file.md5);
    expect(await container().getBlockBlobClient(neighbour).exists()).toBe(true);
  });
});

describe('retry and cleanup', () => {
  it('refuses a retry while a cleanup holds the run, and allows it once the cleanup is done', async () => {
    await createPipeline({ id: 'held', table: { name: 'readings' }, output: { container: containerName } });
    const runId = '20261207T080000Z-c1ea0000';
    const runs = new RunStore(TableClient.fromConnectionString(env.azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true }));
    // A run whose cleanup started and did not finish (its process died): it holds the claim.
    // A run of this pipeline (its generation), as the API would have recorded it.
    const pipelineGeneration = (await env.api.get('/api/pipelines/held')).body!.generation as string;
    await runs.create({ pipelineId: 'held', pipelineGeneration, runId, status: 'failed', reason: 'manual', requestedAt: '2026-12-07T08:00:00.000Z', endedAt: '2026-12-07T08:01:00.000Z', cleaningSince: '2026-12-07T08:01:01.000Z', rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0 });
    const runUrl = `/api/pipelines/held/runs/${runId}`;
    const refused = await env.api.post(`${runUrl}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body!.title).toBe(`Run ${runId}'s files are being deleted (cleanup since 2026-12-07T08:01:01.000Z); retry it once that is done`);
    expect((await runs.get('held', runId))?.status).toBe('failed');

    // The sweep finishes a cleanup left half-done.
    await env.runtime.fireTimer('cleanupSweep');
    const cleaned = await runs.get('held', runId);
    expect(cleaned?.cleaningSince).toBeUndefined();
    expect(cleaned?.sweptAt).toBeDefined();

    const retried = await env.api.post(`${runUrl}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body!.sweptAt).toBeUndefined();
    const run = await env.api.waitForRun(runUrl);
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(rowCount);
  });
});

describe('what cleanup never touches', () => {
  const runStore = () => new RunStore(TableClient.fromConnectionString(env.azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true }));

  it('keeps every file a manifest lists, even in a run that ended cancelled after its manifest was written', async () => {
    await createPipeline({ id: 'cut-short', table: { name: 'readings' }, chunking: { column: 'id', chunks: 2, maxParallel: 2 }, output: { container: containerName } });
    const runUrl = await trigger('cut-short');
    const done = await env.api.waitForRun(runUrl);
    expect(done.status).toBe('succeeded');
    // A cancel that reached the record while finalize was writing the manifest: the run says
    // cancelled, but its manifest exists and readers may already trust it.
    await runStore().update('cut-short', done.runId, (run) => ({ ...run, status: 'cancelled', statusReason: 'cancelled during finalize' }));
    const folder = folderOf(done);
    const listed = await blobs(`${folder}/`);
    await container().getBlockBlobClient(`${folder}/part-00007-0000.parquet`).upload('stray', 5);

    await env.runtime.fireTimer('cleanupSweep');
    const after = (await env.api.get(runUrl)).body!;
    expect(after.sweptAt).toBeDefined();
    // The stray went; the manifest's files, the manifest and _SUCCESS stayed as they were, and the chunks still say done.
    expect(await blobs(`${folder}/`)).toEqual(listed);
    expect(after.progress.chunksDone).toBe(2);
  });

  it('leaves a run to a later sweep when it ended again after the sweep\'s grace began', async () => {
    await createPipeline({ id: 'late-ender', table: { name: 'readings' }, output: { container: containerName } });
    const runId = '20261207T090000Z-1a7e0000';
    await runStore().create({ pipelineId: 'late-ender', runId, status: 'failed', reason: 'manual', requestedAt: '2026-12-07T09:00:00.000Z', endedAt: new Date().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 1 });
    const services = await getServices();
    const outcome = await cleanupRun(services, { pipelineId: 'late-ender', runId }, { sweep: true, endedBefore: new Date(Date.now() - 60_000) });
    expect(outcome).toEqual({ cleaned: false, status: 'failed', deleted: 0, chunksReset: 0 });
    expect((await runStore().get('late-ender', runId))?.sweptAt).toBeUndefined();
  });
});
