import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readManifest, queryManifestFiles } from '../../src/local/manifestReader.js';

/**
 * A plan of 400 chunks on a real table runs to the end through 20 sub-orchestrations of 20
 * (SIPHON_CHUNKS_PER_ORCHESTRATION): every row arrives once, and no orchestration history holds
 * more than one slice's tasks. The slice size is what the property is about, so it is shrunk
 * rather than the chunk count grown: 5,000 chunks in slices of 100 proved the same and took 410 s
 * here, 2,000 took 85 s, because Azurite's in-memory tables scan on every query and its time
 * grows with the square of what a run has written (Table Storage's partition queries do not).
 */
const chunkCount = 400;
const chunksPerOrchestration = 20;
const rowCount = 10_000;
let env: TestEnvironment;

/** The test's own host.json lives here; removed when the file is done. */
let hostFolder: string | undefined;

beforeAll(async () => {
  // Chunks this small spend their time waiting on round trips, not on the CPU: more of them at
  // once (as a host with more cores would run) keeps the test short.
  const host = JSON.parse(readFileSync(join(process.cwd(), 'host.json'), 'utf8'));
  host.extensions.durableTask.maxConcurrentActivityFunctions = 16;
  hostFolder = mkdtempSync(join(tmpdir(), 'siphon-host-'));
  const hostJsonPath = join(hostFolder, 'host.json');
  writeFileSync(hostJsonPath, JSON.stringify(host));
  process.env.SIPHON_CHUNKS_PER_ORCHESTRATION = String(chunksPerOrchestration);
  env = await startTestEnvironment('fanout', async (db) => {
    await db.query(`CREATE TABLE readings (id int PRIMARY KEY, value double precision)`);
    await db.query(`INSERT INTO readings SELECT i, i / 7.0 FROM generate_series(1, ${rowCount}) i`);
  }, { hostJsonPath });
});

afterAll(async () => {
  await env?.stop();
  if (hostFolder) rmSync(hostFolder, { recursive: true, force: true });
});

it('copies 400 chunks through 20 sub-orchestrations with bounded histories', { timeout: 600_000 }, async () => {
  const created = await env.api.post('/api/pipelines', {
    id: 'many-chunks',
    // As many sessions as chunks in flight: this measures the fan-out, not the source's cap
    // (sourceSessions.test.ts does that).
    source: { engine: 'postgres', connectionSetting: testSourceSetting, maxSessions: 16 },
    table: { name: 'readings' },
    chunking: { column: 'id', chunks: chunkCount, maxParallel: 16, strategy: 'equalWidth' },
    output: { container: 'fanout', format: 'csv' },
  });
  expect(created.status).toBe(201);
  const triggered = await env.api.post('/api/pipelines/many-chunks/runs');
  // Polled through the run list, which does not read the run's chunk records each time.
  for (let status = 'queued'; !['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'].includes(status);) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    status = (await env.api.get('/api/pipelines/many-chunks/runs?limit=1')).body!.runs[0].status;
  }
  const run = (await env.api.get(triggered.headers.get('location')!)).body!;
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  expect(run.chunksPlanned).toBe(chunkCount);
  expect(run.progress.chunksDone).toBe(chunkCount);
  expect(run.rows).toBe(rowCount);

  const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
  expect(manifest.files).toHaveLength(chunkCount);
  const [counts] = await queryManifestFiles(env.azurite.connectionString, 'fanout', manifest, 'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, min(id) AS lo, max(id) AS hi FROM {files}');
  expect(counts).toEqual({ n: rowCount, ids: rowCount, lo: 1, hi: rowCount });

  // Events per orchestration instance, read from the local runtime's history table.
  const history = TableClient.fromConnectionString(env.azurite.connectionString, 'SiphonHubHistory', { allowInsecureConnection: true });
  const perInstance = new Map<string, number>();
  for await (const entity of history.listEntities<{ partitionKey: string }>({ queryOptions: { select: ['PartitionKey'] } })) {
    perInstance.set(entity.partitionKey, (perInstance.get(entity.partitionKey) ?? 0) + 1);
  }
  const parent = perInstance.get(run.runId)!;
  const slices = [...perInstance].filter(([id]) => id.startsWith(`${run.runId}:chunks-`));
  expect(slices).toHaveLength(20);
  // The parent holds a handful of events per slice, never one per chunk.
  expect(parent).toBeLessThan(10 * slices.length + 20);
  for (const [, events] of slices) expect(events).toBeLessThan(chunksPerOrchestration * 4 + 20);
});
