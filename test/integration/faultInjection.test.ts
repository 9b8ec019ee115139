import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { TableClient, odata } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { readHostJson } from '../../src/local/hostSettings.js';
import { freePort } from '../../src/local/freePort.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { azuriteAccount } from '../../src/settings.js';
import { ChunkStore } from '../../src/store/chunkStore.js';
import type { Manifest } from '../../src/sink/manifest.js';
import { runPaths } from '../../src/sink/blobPaths.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { apiClient } from '../support/api.js';
import { quietLog, testSourceSetting } from '../support/testEnvironment.js';
import { endpointOf, startFaultProxy, withEndpoints, type FaultProxy, type FaultRule } from '../support/faultProxy.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Exactly-once output under faults: a dropped source connection, blob uploads that keep failing
 * past the Azure SDK's own retries, and the process SIGKILLed between a chunk's upload and its
 * record, and during finalize. Every faulted run must end with exactly the files of an
 * undisturbed run of the same pipeline over the same data: the same names (relative to the run
 * folder), rows, bytes and MD5 in the manifest, no other blob in the run folder, and every id
 * once when DuckDB reads the files.
 *
 * Faults are injected from outside the code under test: pg_terminate_backend on the source, and
 * HTTP proxies in front of Azurite's blob and table endpoints whose rules answer errors, reset
 * connections, or kill the runtime process before (or after) forwarding a chosen request.
 */
const rows = 240_000;
const container = 'faults';
const pipeline = {
  id: 'orders',
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'orders' },
  chunking: { column: 'id', chunks: 6, maxParallel: 2, strategy: 'equalWidth' },
  output: { container, rowGroupRows: 10_000 },
  retry: { maxAttempts: 4, firstDelaySeconds: 0.2 },
};
const startScript = fileURLToPath(new URL('../../dist/src/local/start.js', import.meta.url));
const hub = readHostJson(join(process.cwd(), 'host.json')).extensions.durableTask.hubName;

let azurite: AzuriteHandle;
let database: TestDatabase;
let blobProxy: FaultProxy;
let tableProxy: FaultProxy;
/** The undisturbed run every faulted run is compared with. */
let baseline: Manifest;

beforeAll(async () => {
  [azurite, database] = await Promise.all([startAzurite(), createTestDatabase('faults')]);
  await database.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, amount numeric(12,2), note text)`);
  await database.query(`INSERT INTO public.orders SELECT g, (g % 100000) / 100.0, 'order ' || g || repeat('x', g % 40) FROM generate_series(1, ${rows}) g`);
  [blobProxy, tableProxy] = await Promise.all([
    startFaultProxy(endpointOf(azurite.connectionString, 'BlobEndpoint')),
    startFaultProxy(endpointOf(azurite.connectionString, 'TableEndpoint')),
  ]);
});

afterAll(async () => {
  await Promise.all([blobProxy?.close(), tableProxy?.close()]);
  await azurite?.stop();
  await database?.drop();
});

afterEach(() => {
  blobProxy.rule = undefined;
  tableProxy.rule = undefined;
});

// ---------------------------------------------------------------------------------------------
// What "the same output" means

type Finished = { run: Record<string, any>; manifest: Manifest };

/** The run folder of a manifest path (`<container>/<folder>/_manifest.json`), without the container. */
function runFolder(manifestPath: string): string {
  return manifestPath.slice(container.length + 1, -'_manifest.json'.length);
}

/** The manifest's files with paths relative to the run folder, and its totals: what two runs must share. */
function comparable(manifestPath: string, manifest: Manifest) {
  const folder = runFolder(manifestPath);
  for (const file of manifest.files) expect(file.path.startsWith(folder), file.path).toBe(true);
  return {
    rows: manifest.rows,
    bytes: manifest.bytes,
    columns: manifest.columns,
    files: manifest.files.map((file) => ({ ...file, path: file.path.slice(folder.length) })),
  };
}

function blobs(): ReturnType<BlobServiceClient['getContainerClient']> {
  return BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
}

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of blobs().listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

async function exists(path: string): Promise<boolean> {
  return blobs().getBlobClient(path).exists();
}

/** The faulted run ended with exactly the files and rows of the undisturbed one. */
async function expectSameOutputAsBaseline({ run, manifest }: Finished): Promise<void> {
  expect(run.status).toBe('succeeded');
  expect(comparable(run.manifestPath, manifest)).toEqual(comparable(baselinePath, baseline));
  expect(manifest.files.length).toBe(6);
  expect(run.rows).toBe(rows);
  // Nothing else in the run folder: no stray or duplicate file a reader listing it could take.
  const folder = runFolder(run.manifestPath);
  expect(await blobNames(folder)).toEqual([...manifest.files.map((file) => file.path), `${folder}_SUCCESS`, `${folder}_manifest.json`].sort());
  const [counts] = await queryManifestFiles(azurite.connectionString, container, manifest,
    `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS distinct_ids, min(id)::INTEGER AS min_id, max(id)::INTEGER AS max_id, sum(id)::VARCHAR AS id_sum FROM {files}`);
  expect(counts).toEqual({ n: rows, distinct_ids: rows, min_id: 1, max_id: rows, id_sum: String((rows * (rows + 1)) / 2) });
}

let baselinePath: string;

/** Reasons of the activity failures the orchestration recorded (TaskFailed events in its history). */
async function failedActivities(runId: string): Promise<string[]> {
  const history = TableClient.fromConnectionString(azurite.connectionString, `${hub}History`, { allowInsecureConnection: true });
  const reasons: string[] = [];
  for await (const entity of history.listEntities<{ event: string }>({ queryOptions: { filter: odata`PartitionKey eq ${runId}` } })) {
    const event = JSON.parse(entity.event) as { EventType: number; Reason?: string };
    if (event.EventType === 6) reasons.push(String(event.Reason));
  }
  return reasons;
}

const chunkStore = () => new ChunkStore(TableClient.fromConnectionString(azurite.connectionString, 'siphonChunks', { allowInsecureConnection: true }));

// ---------------------------------------------------------------------------------------------

describe('in one process, with data storage behind the blob proxy', () => {
  let runtime: LocalRuntime;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    process.env.AzureWebJobsStorage = azurite.connectionString;
    process.env.SIPHON_DATA_STORAGE = withEndpoints(azurite.connectionString, { BlobEndpoint: blobProxy.endpoint(azuriteAccount.name) });
    process.env[testSourceSetting] = database.url;
    runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
    api = apiClient(runtime.url);
    expect((await api.post('/api/pipelines', pipeline)).status).toBe(201);
    const undisturbed = await run();
    expect(undisturbed.run.status).toBe('succeeded');
    expect(await failedActivities(undisturbed.run.runId)).toEqual([]);
    baseline = undisturbed.manifest;
    baselinePath = undisturbed.run.manifestPath;
    await expectSameOutputAsBaseline(undisturbed);
  });

  afterAll(async () => {
    await runtime?.stop();
    delete process.env.SIPHON_DATA_STORAGE;
  });

  async function trigger(): Promise<{ url: string; runId: string }> {
    const triggered = await api.post(`/api/pipelines/${pipeline.id}/runs`);
    expect(triggered.status).toBe(202);
    return { url: triggered.headers.get('location')!, runId: String(triggered.body!.runId) };
  }

  async function finish(url: string): Promise<Finished> {
    const finished = await api.waitForRun(url);
    expect(finished.error).toBeUndefined();
    return { run: finished, manifest: await readManifest(azurite.connectionString, finished.manifestPath) };
  }

  async function run(): Promise<Finished> {
    return finish((await trigger()).url);
  }

  it('retries a chunk whose source connection is terminated mid-copy, and writes the same files', async () => {
    const { url, runId } = await trigger();
    // One chunk's range read is cut while its COPY streams: found and terminated in one
    // statement, so it cannot finish in between. The pattern is the COPY a chunk runs (not its
    // LIMIT 0 description), so this also shows which read path pipelines take.
    const terminate = `SELECT pg_terminate_backend(pid) AS ok FROM (
        SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'siphon'
          AND state = 'active' AND query LIKE 'COPY (SELECT %FROM "public"."orders" WHERE "id" >=%' LIMIT 1) AS victim`;
    const [terminated] = await waitFor(() => database.query<{ ok: boolean }>(terminate), (found) => found.length > 0, 'a chunk reading from PostgreSQL', 30_000, 5);
    expect(terminated!.ok).toBe(true);

    const finished = await finish(url);
    const failures = await failedActivities(runId);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/terminating connection due to administrator command|connection to PostgreSQL was lost/);
    await expectSameOutputAsBaseline(finished);
  });

  it('retries chunks whose uploads fail past the Azure SDK\'s own retries (503s, 500s, resets), and writes the same files', async () => {
    let runId = '';
    const injected = { commit: 0, stage: 0 };
    const seen = { commit: 0, stage: 0 };
    // Chunk 1's commits (Put Block List) answer 503 and chunk 2's block uploads (Put Block)
    // alternate a reset connection and a 500, four times each: the SDK tries a request four
    // times, so each chunk's activity fails once and Siphon's retry (0.2 s later) must finish it.
    blobProxy.rule = (request) => {
      if (request.method !== 'PUT' || !runId || !request.path.includes(`/run=${runId}/`)) return undefined;
      const comp = request.query.get('comp');
      if (comp === 'blocklist' && request.path.includes('/part-00001-')) {
        seen.commit++;
        if (injected.commit < 4) return (injected.commit++, { action: 'status', status: 503 });
      }
      if (comp === 'block' && request.path.includes('/part-00002-')) {
        seen.stage++;
        if (injected.stage < 4) return injected.stage++ % 2 ? { action: 'status', status: 500 } : { action: 'reset' };
      }
      return undefined;
    };
    const triggered = await trigger();
    runId = triggered.runId;
    const finished = await finish(triggered.url);

    expect(injected).toEqual({ commit: 4, stage: 4 });
    // Four refused tries by the SDK, then one by Siphon's retry of the activity.
    expect(seen).toEqual({ commit: 5, stage: 5 });
    const failures = await failedActivities(runId);
    expect(failures).toHaveLength(2);
    expect(failures.join('\n')).toMatch(/chunk 1: .*(ServerBusy|503|Injected)/);
    expect(failures.join('\n')).toMatch(/chunk 2: /);
    await expectSameOutputAsBaseline(finished);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a runtime process killed at the worst moments', () => {
  /** Host storage's blobs and tables behind the proxies; queues direct. */
  let childStorage: string;
  let child: ChildProcess | undefined;
  let childApi: ReturnType<typeof apiClient>;
  let childOutput = '';
  /** Set while a kill is under way: the proxies reset whatever the dying process still sends. */
  let crashing = false;

  beforeAll(() => {
    childStorage = withEndpoints(azurite.connectionString, {
      BlobEndpoint: blobProxy.endpoint(azuriteAccount.name),
      TableEndpoint: tableProxy.endpoint(azuriteAccount.name),
    });
  });

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  async function startChild(): Promise<void> {
    crashing = false;
    const port = await freePort();
    const started = spawn(process.execPath, [startScript], {
      env: {
        ...process.env,
        AzureWebJobsStorage: childStorage,
        SIPHON_DATA_STORAGE: childStorage,
        SIPHON_TABLE_PREFIX: 'siphon',
        SIPHON_JOB_QUEUE: 'siphon-jobs',
        [testSourceSetting]: database.url,
        SIPHON_LOCAL_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    childOutput = '';
    const keep = (data: Buffer) => (childOutput = (childOutput + data.toString()).slice(-20_000));
    started.stderr!.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      started.stdout!.on('data', (data: Buffer) => {
        keep(data);
        if (data.toString().includes('ready on')) resolve();
      });
      started.once('exit', (code) => reject(new Error(`child runtime exited with ${code}: ${childOutput}`)));
    });
    child = started;
    childApi = apiClient(`http://127.0.0.1:${port}`);
  }

  /** SIGKILL, as a host that dies: no shutdown code runs. Resolves once the process is gone. */
  async function crash(): Promise<void> {
    crashing = true;
    const dying = child!;
    child = undefined;
    const exited = new Promise((resolve) => dying.once('exit', resolve));
    dying.kill('SIGKILL');
    await exited;
  }

  /** A rule that resets everything while a crash is under way, and otherwise asks `rule`. */
  const unlessCrashing = (rule: FaultRule): FaultRule => (request) => (crashing ? { action: 'reset' } : rule(request));

  async function triggerOnChild(): Promise<{ url: string; runId: string }> {
    const triggered = await childApi.post(`/api/pipelines/${pipeline.id}/runs`);
    expect(triggered.status).toBe(202);
    return { url: triggered.headers.get('location')!, runId: String(triggered.body!.runId) };
  }

  async function waitForCrash(): Promise<void> {
    await waitFor(async () => crashing && child === undefined, Boolean, 'the runtime to be killed', 60_000);
  }

  async function finishOnChild(url: string): Promise<Finished> {
    const finished = await childApi.waitForRun(url);
    expect(finished.error, childOutput).toBeUndefined();
    return { run: finished, manifest: await readManifest(azurite.connectionString, finished.manifestPath) };
  }

  it('resumes a run killed between a chunk\'s upload and the record of its completion, and writes the same files', async () => {
    await startChild();
    // The pipeline was created by the first runtime, in the same tables.
    expect((await childApi.get(`/api/pipelines/${pipeline.id}`)).status).toBe(200);
    let doneWrites = 0;
    let killedAt: { chunk: number } | undefined;
    tableProxy.rule = unlessCrashing(async (request) => {
      const isDoneWrite = ['PUT', 'PATCH', 'MERGE'].includes(request.method) && request.path.includes('/siphonChunks(') && request.body.toString('utf8').includes('"status":"done"');
      if (!isDoneWrite || killedAt || ++doneWrites < 2) return undefined;
      // The second chunk to finish: its files are committed, its record is about to say so.
      killedAt = { chunk: Number(/RowKey='(\d+)'/.exec(request.path)![1]) };
      await crash();
      return { action: 'reset' };
    });
    const { url, runId } = await triggerOnChild();
    await waitForCrash();
    tableProxy.rule = undefined;

    // The chunk's files are in storage, but its record does not say done.
    const chunk = killedAt!.chunk;
    const records = await chunkStore().list(runId);
    expect(records.filter((record) => record.status === 'done').map((record) => record.index)).toHaveLength(1);
    expect(records[chunk]!.status).not.toBe('done');
    const uploaded = await blobNames(folderOf(runId));
    expect(uploaded.some((name) => name.includes(`/part-${String(chunk).padStart(5, '0')}-`))).toBe(true);
    expect(uploaded.some((name) => name.endsWith('_manifest.json'))).toBe(false);

    const restartedAt = new Date();
    await startChild();
    const finished = await finishOnChild(url);
    // The killed chunk was copied again by the new process (its record written after the restart).
    expect(Date.parse((await chunkStore().get(runId, chunk))!.endedAt!)).toBeGreaterThanOrEqual(restartedAt.getTime());
    await expectSameOutputAsBaseline(finished);
  });

  it('finishes a run killed during finalize, before the manifest reached storage', async () => {
    if (!child) await startChild();
    let runId = '';
    blobProxy.rule = unlessCrashing(async (request) => {
      if (request.method !== 'PUT' || !runId || !request.path.endsWith(`/run=${runId}/_manifest.json`)) return undefined;
      await crash();
      return { action: 'reset' };
    });
    const triggered = await triggerOnChild();
    runId = triggered.runId;
    await waitForCrash();
    blobProxy.rule = undefined;

    const folder = folderOf(runId);
    expect(await exists(`${folder}_manifest.json`)).toBe(false);
    expect(await exists(`${folder}_SUCCESS`)).toBe(false);
    expect((await childlessRun(runId)).status).toBe('running');

    await startChild();
    const finished = await finishOnChild(triggered.url);
    expect(await exists(`${folder}_SUCCESS`)).toBe(true);
    await expectSameOutputAsBaseline(finished);
  });

  it('finishes a run killed during finalize, after the manifest was written, with the same manifest bytes', async () => {
    if (!child) await startChild();
    let runId = '';
    let written: Buffer | undefined;
    blobProxy.rule = unlessCrashing((request) => {
      if (request.method !== 'PUT' || !runId || !request.path.endsWith(`/run=${runId}/_manifest.json`)) return undefined;
      // Forwarded: the manifest is in storage; the process dies before it hears so.
      return { action: 'forward', afterResponse: async (response) => {
        expect(response.status).toBe(201);
        written = request.body;
        await crash();
      } };
    });
    const triggered = await triggerOnChild();
    runId = triggered.runId;
    await waitForCrash();
    blobProxy.rule = undefined;

    const folder = folderOf(runId);
    expect(written).toBeDefined();
    expect(await exists(`${folder}_manifest.json`)).toBe(true);
    expect(await exists(`${folder}_SUCCESS`)).toBe(false);
    expect((await childlessRun(runId)).status).toBe('running');

    await startChild();
    const finished = await finishOnChild(triggered.url);
    expect(await exists(`${folder}_SUCCESS`)).toBe(true);
    // Finalize ran again and wrote the manifest again: byte for byte the one written before the crash.
    expect((await blobs().getBlobClient(`${folder}_manifest.json`).downloadToBuffer()).equals(written!)).toBe(true);
    await expectSameOutputAsBaseline(finished);
  });
});

/** The run folder of a run of the pipeline, with its trailing slash. */
function folderOf(runId: string): string {
  return `${runPaths({ pipelineId: pipeline.id, runId, table: pipeline.table.name }).folder}/`;
}

/** A run record read straight from the table, while no runtime is up. */
async function childlessRun(runId: string): Promise<Record<string, any>> {
  const runs = TableClient.fromConnectionString(azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true });
  for await (const entity of runs.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${pipeline.id}` } })) {
    if (entity.runId === runId) return entity;
  }
  throw new Error(`run ${runId} not found`);
}
