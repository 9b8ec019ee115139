import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime } from '../../src/local/localRuntime.js';
import { freePort } from '../../src/local/freePort.js';
import { ChunkStore } from '../../src/store/chunkStore.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { apiClient } from '../support/api.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { quietLog, testSourceSetting } from '../support/testEnvironment.js';

/**
 * Crash and resume: the local runtime runs in a child process that is SIGKILLed in the middle of
 * the fan-out; a new runtime on the same storage must finish the run with the same files and row
 * counts as an undisturbed run, and no row twice.
 */
const rows = 400_000;
const startScript = fileURLToPath(new URL('../../dist/src/local/start.js', import.meta.url));

let azurite: AzuriteHandle;
let database: TestDatabase;
let child: ChildProcess | undefined;

beforeAll(async () => {
  [azurite, database] = await Promise.all([startAzurite(), createTestDatabase('crash')]);
  // Statistics gathered once and left alone, so both runs cut the same chunks from them and
  // their files can be compared name for name.
  await database.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, amount numeric(12,2), note text) WITH (autovacuum_enabled = false)`);
  await database.query(`INSERT INTO public.orders SELECT g, (g % 100000) / 100.0, 'order ' || g FROM generate_series(1, ${rows}) g`);
  await database.query('ANALYZE public.orders');
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env[testSourceSetting] = database.url;
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await azurite?.stop();
  await database?.drop();
});

function startChildRuntime(port: number): Promise<ChildProcess> {
  const started = spawn(process.execPath, [startScript], {
    env: { ...process.env, SIPHON_LOCAL_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    started.stdout!.on('data', (data: Buffer) => {
      if (data.toString().includes('ready on')) resolve(started);
    });
    started.once('exit', (code) => reject(new Error(`child runtime exited with ${code}`)));
  });
}

it('finishes a run killed mid fan-out with the files of an undisturbed run', async () => {
  const port = await freePort();
  child = await startChildRuntime(port);
  const childApi = apiClient(`http://127.0.0.1:${port}`);
  expect((await childApi.post('/api/pipelines', {
    id: 'orders',
    source: { engine: 'postgres', connectionSetting: testSourceSetting },
    table: { schema: 'public', name: 'orders' },
    chunking: { column: 'id', chunks: 16, maxParallel: 2 },
    output: { container: 'crash', rowGroupRows: 10_000 },
  })).status).toBe(201);
  const triggered = await childApi.post('/api/pipelines/orders/runs');
  const crashedRunUrl = triggered.headers.get('location')!;
  const crashedRunId: string = triggered.body!.runId;

  // Kill for real once some chunks are done and others are not.
  const chunks = new ChunkStore(TableClient.fromConnectionString(azurite.connectionString, 'siphonChunks', { allowInsecureConnection: true }));
  let doneAtKill = 0;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const planned = await chunks.list(crashedRunId);
    doneAtKill = planned.filter((chunk) => chunk.status === 'done').length;
    if (doneAtKill >= 2) break;
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child!.once('exit', resolve));
  child = undefined;
  expect(doneAtKill).toBeGreaterThanOrEqual(2);
  expect(doneAtKill).toBeLessThan(16);

  // A new runtime on the same storage resumes the orchestration from its persisted history.
  const runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
  try {
    const api = apiClient(runtime.url);
    const crashed = await api.waitForRun(crashedRunUrl);
    expect(crashed.status).toBe('succeeded');

    const undisturbedUrl = (await api.post('/api/pipelines/orders/runs')).headers.get('location')!;
    const undisturbed = await api.waitForRun(undisturbedUrl);
    expect(undisturbed.status).toBe('succeeded');

    const crashedManifest = await readManifest(azurite.connectionString, crashed.manifestPath);
    const undisturbedManifest = await readManifest(azurite.connectionString, undisturbed.manifestPath);
    const comparable = (manifest: typeof crashedManifest) =>
      manifest.files.map((file) => ({ ...file, path: file.path.split('/').pop() }));
    expect(comparable(crashedManifest)).toEqual(comparable(undisturbedManifest));
    expect(crashedManifest.rows).toBe(rows);
    expect(crashedManifest.files.length).toBe(16);

    const [counts] = await queryManifestFiles(azurite.connectionString, 'crash', crashedManifest, `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS distinct_ids, sum(id)::VARCHAR AS id_sum FROM {files}`);
    expect(counts).toEqual({ n: rows, distinct_ids: rows, id_sum: String((rows * (rows + 1)) / 2) });
  } finally {
    await runtime.stop();
  }
});
