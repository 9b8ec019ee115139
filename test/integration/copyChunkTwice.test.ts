import { afterAll, beforeAll, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { TableClient, odata } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { getServices, resetServices, type Services } from '../../src/services.js';
import { enqueueRun } from '../../src/jobs/enqueueRun.js';
import { newRunId } from '../../src/jobs/runId.js';
import { prepareRun } from '../../src/orchestration/prepareRun.js';
import { copyChunkActivity } from '../../src/orchestration/copyChunkActivity.js';
import { runPaths } from '../../src/sink/blobPaths.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { testSourceSetting } from '../support/testEnvironment.js';

/**
 * At-least-once execution: the host may run an activity twice with the same input (a restart, a
 * lost completion). The second run must leave exactly the blobs and chunk record of the first.
 */
let azurite: AzuriteHandle;
let database: TestDatabase;
let services: Services;

beforeAll(async () => {
  [azurite, database] = await Promise.all([startAzurite(), createTestDatabase('twice')]);
  await database.query(`CREATE TABLE public.readings (id int PRIMARY KEY, value double precision, note text)`);
  await database.query(`INSERT INTO public.readings SELECT g, g * 1.5, 'note ' || g FROM generate_series(1, 4500) g`);
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env[testSourceSetting] = database.url;
  resetServices();
  services = await getServices();
});

afterAll(async () => {
  await azurite?.stop();
  await database?.drop();
});

async function blobsUnder(prefix: string) {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('twice');
  const blobs: Array<{ name: string; md5: string; length: number; content: string }> = [];
  for await (const blob of container.listBlobsFlat({ prefix })) {
    const content = (await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString('base64');
    blobs.push({ name: blob.name, md5: Buffer.from(blob.properties.contentMD5 ?? []).toString('base64'), length: blob.properties.contentLength ?? 0, content });
  }
  return blobs;
}

it('leaves the same blobs and the same chunk record when run twice with the same input', async () => {
  const spec = pipelineSpecSchema.parse({
    id: 'readings',
    source: { engine: 'postgres', connectionSetting: testSourceSetting },
    table: { schema: 'public', name: 'readings' },
    chunking: { column: 'id', chunks: 1, maxParallel: 1 },
    // Small files so one chunk rolls over several of them.
    output: { container: 'twice', maxRowsPerFile: 1_000, rowGroupRows: 1_000 },
  });
  const created = await services.pipelines.create(spec, new Date());
  const runId = newRunId(new Date());
  await enqueueRun(services, { runId, pipelineId: 'readings', reason: 'manual', options: {}, attempt: 0 }, created!.generation);
  const plan = await prepareRun(services, { pipelineId: 'readings', runId });
  expect(plan.chunkCount).toBe(1);

  const input = { pipelineId: 'readings', runId, chunk: 0 };
  const first = await copyChunkActivity(services, input);
  const blobsAfterFirst = await blobsUnder(runPaths({ pipelineId: 'readings', runId, table: 'x' }).folder);
  const recordAfterFirst = await services.chunks.get(runId, 0);

  const second = await copyChunkActivity(services, input);
  const blobsAfterSecond = await blobsUnder(runPaths({ pipelineId: 'readings', runId, table: 'x' }).folder);
  const recordAfterSecond = await services.chunks.get(runId, 0);

  expect(blobsAfterFirst.map((blob) => blob.name)).toEqual([0, 1, 2, 3, 4].map((file) => `${runPaths({ pipelineId: 'readings', runId, table: 'x' }).folder}/part-00000-000${file}.parquet`));
  expect(blobsAfterSecond).toEqual(blobsAfterFirst);
  // Timings are when the attempt ran, so they differ by design; everything else is identical.
  const { startedAt: _s1, endedAt: _e1, ...firstRecord } = recordAfterFirst!;
  const { startedAt: _s2, endedAt: _e2, ...secondRecord } = recordAfterSecond!;
  expect(secondRecord).toEqual(firstRecord);
  expect(firstRecord.rows).toBe(4500);
  expect(firstRecord.files.map((file) => file.md5)).toEqual(blobsAfterFirst.map((blob) => blob.md5));
  expect({ ...second, durationInMs: 0 }).toEqual({ ...first, durationInMs: 0 });
});

it('writes each timeline event once when prepare and a chunk\'s copy run twice at the same time', async () => {
  // A pipeline of its own: the run above still holds its pipeline's run lease.
  const spec = pipelineSpecSchema.parse({
    id: 'readings-timeline',
    source: { engine: 'postgres', connectionSetting: testSourceSetting },
    table: { schema: 'public', name: 'readings' },
    output: { container: 'twice' },
  });
  const created = await services.pipelines.create(spec, new Date());
  const runId = newRunId(new Date());
  await enqueueRun(services, { runId, pipelineId: 'readings-timeline', reason: 'manual', options: {}, attempt: 0 }, created!.generation);
  await enqueueRun(services, { runId, pipelineId: 'readings-timeline', reason: 'manual', options: {}, attempt: 0 }, created!.generation);
  const [plan] = await Promise.all([prepareRun(services, { pipelineId: 'readings-timeline', runId }), prepareRun(services, { pipelineId: 'readings-timeline', runId })]);
  expect(plan.chunkCount).toBe(1);
  const input = { pipelineId: 'readings-timeline', runId, chunk: 0, attempt: 1 };
  const [first, second] = await Promise.all([copyChunkActivity(services, input), copyChunkActivity(services, input)]);
  expect(first.outcome).toBe('done');
  expect(second.outcome).toBe('done');
  // And once more after it is done: nothing new.
  await copyChunkActivity(services, input);

  // Read back with a fresh client: the event rows, not the markers beside them.
  const table = TableClient.fromConnectionString(azurite.connectionString, 'siphonRunEvents', { allowInsecureConnection: true });
  const types: string[] = [];
  for await (const entity of table.listEntities<{ type: string; rowKey: string }>({ queryOptions: { filter: odata`PartitionKey eq ${runId}` } })) {
    if (!entity.rowKey.startsWith('key:')) types.push(entity.type);
  }
  expect(types).toEqual(['queued', 'started', 'prepared', 'chunkStarted', 'chunkDone']);
  const chunk = await services.chunks.get(runId, 0);
  expect(chunk!.attempts).toHaveLength(1);
  expect(chunk!.status).toBe('done');
});
