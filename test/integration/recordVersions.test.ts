import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { PipelineStore } from '../../src/store/pipelineStore.js';
import { RunStore, runRowKey } from '../../src/store/runStore.js';
import { ChunkStore, chunkRowKey } from '../../src/store/chunkStore.js';
import { currentSchemaVersion, migrateOnRead } from '../../src/store/recordVersions.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';

/**
 * Stored records carry a schema version and are migrated on read. Entities are written here
 * raw, with a table client of the test's own, in the shape version 1 of the code wrote (no
 * schemaVersion), and read back through the stores; what the stores write is read back raw.
 */
let azurite: AzuriteHandle;
const table = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

beforeAll(async () => {
  azurite = await startAzurite();
  await Promise.all(['versionPipelines', 'versionRuns', 'versionChunks'].map((name) => table(name).createTable()));
});

afterAll(async () => {
  await azurite?.stop();
});

const spec = pipelineSpecSchema.parse({ id: 'old-orders', source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' }, table: { name: 'orders' }, output: { container: 'landing' } });

describe('pipelines', () => {
  it('reads a version 1 entity migrated, and writes the current version', async () => {
    const raw = table('versionPipelines');
    // As version 1 wrote it: no schemaVersion, no schedulePaused (never paused), no output.readers.
    const { readers: _readers, ...oldOutput } = spec.output;
    await raw.createEntity({ partitionKey: 'pipeline', rowKey: 'old-orders', spec: JSON.stringify({ ...spec, output: oldOutput }), createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z' });
    const store = new PipelineStore(raw);
    const read = await store.get('old-orders');
    // Without the readers step its Parquet files would change encodings at the next run.
    expect(read).toMatchObject({ spec: { ...spec, output: { ...oldOutput, readers: ['exact'] } }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z', schedulePaused: false });
    const migrated = migrateOnRead('pipeline', await raw.getEntity('pipeline', 'old-orders'), 'test');
    // Without this the scheduler could enqueue a fire time from before the schedule last changed.
    expect(migrated).toMatchObject({ schemaVersion: currentSchemaVersion('pipeline'), scheduleChangedAt: '2026-02-01T00:00:00.000Z', schedulePaused: false });

    await store.setSchedulePaused('old-orders', true, read!.etag, new Date('2026-03-01T00:00:00Z'));
    const written = await raw.getEntity<Record<string, unknown>>('pipeline', 'old-orders');
    expect(written.schemaVersion).toBe(currentSchemaVersion('pipeline'));
    expect(written.schedulePaused).toBe(true);

    await store.create({ ...spec, id: 'new-orders' }, new Date());
    expect((await raw.getEntity<Record<string, unknown>>('pipeline', 'new-orders')).schemaVersion).toBe(currentSchemaVersion('pipeline'));
  });

  it('gives a version 2 pipeline the legacy generation, whose scheduled run ids are the ones it always had', async () => {
    const raw = table('versionPipelines');
    await raw.createEntity({ partitionKey: 'pipeline', rowKey: 'v2-orders', spec: JSON.stringify({ ...spec, id: 'v2-orders' }), createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z', schedulePaused: false, scheduleChangedAt: '2026-01-15T00:00:00.000Z', schemaVersion: 2 });
    const store = new PipelineStore(raw);
    const read = await store.get('v2-orders');
    // Without this a tick after the deploy would name a different id for an already-recorded fire time and run it again.
    expect(read).toMatchObject({ generation: '0', scheduleChangedAt: '2026-01-15T00:00:00.000Z' });
    await store.setSchedulePaused('v2-orders', true, read!.etag, new Date('2026-03-01T00:00:00Z'));
    expect(await raw.getEntity<Record<string, unknown>>('pipeline', 'v2-orders')).toMatchObject({ schemaVersion: currentSchemaVersion('pipeline'), generation: '0' });
    // A new pipeline gets a generation of its own, never the legacy one.
    const created = await store.create({ ...spec, id: 'v3-orders' }, new Date());
    expect(created!.generation).toMatch(/^[0-9a-f]{12}$/);
    expect((await store.get('v3-orders'))!.generation).toBe(created!.generation);
  });

  it('refuses an entity written by a newer version instead of misreading it', async () => {
    const raw = table('versionPipelines');
    await raw.createEntity({ partitionKey: 'pipeline', rowKey: 'from-the-future', spec: JSON.stringify({ ...spec, id: 'from-the-future' }), createdAt: 'x', updatedAt: 'x', schemaVersion: 99 });
    await expect(new PipelineStore(raw).get('from-the-future')).rejects.toThrow('Pipeline from-the-future was written by a newer Siphon (pipeline schema version 99; this code reads up to 4)');
  });
});

describe('runs', () => {
  const runId = '20250601T120000Z-0ld0ld00';

  it('reads a version 1 entity migrated, and writes the current version', async () => {
    const raw = table('versionRuns');
    // A run from before retries existed: no attempt, no schemaVersion.
    await raw.createEntity({ partitionKey: 'old-orders', rowKey: runRowKey(runId), pipelineId: 'old-orders', runId, status: 'failed', reason: 'manual', requestedAt: '2025-06-01T12:00:00.000Z', endedAt: '2025-06-01T12:01:00.000Z', rows: 10, bytes: 100, files: 1, chunksPlanned: 2, error: 'boom' });
    const store = new RunStore(raw);
    const read = await store.get('old-orders', runId);
    expect(read).toMatchObject({ runId, status: 'failed', attempt: 0, error: 'boom', rows: 10 });
    expect(read).not.toHaveProperty('schemaVersion');
    expect(read?.cleanedAt).toBeUndefined();

    await store.update('old-orders', runId, (run) => ({ ...run, cleanedAt: '2026-12-07T10:00:00.000Z' }));
    const written = await raw.getEntity<Record<string, unknown>>('old-orders', runRowKey(runId));
    expect(written).toMatchObject({ schemaVersion: currentSchemaVersion('run'), attempt: 0, cleanedAt: '2026-12-07T10:00:00.000Z' });
  });

  it('finds runs that ended unsuccessfully before a time with one partition query', async () => {
    const raw = table('versionRuns');
    const store = new RunStore(raw);
    const base = { pipelineId: 'sweep-me', reason: 'manual' as const, requestedAt: '2026-12-07T09:00:00.000Z', rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0 };
    await store.create({ ...base, runId: '20261207T090000Z-0000000a', status: 'failed', endedAt: '2026-12-07T09:10:00.000Z' });
    await store.create({ ...base, runId: '20261207T090000Z-0000000b', status: 'cancelled', endedAt: '2026-12-07T09:20:00.000Z', sweptAt: '2026-12-07T09:40:00.000Z' });
    await store.create({ ...base, runId: '20261207T090000Z-0000000c', status: 'succeeded', endedAt: '2026-12-07T09:10:00.000Z' });
    await store.create({ ...base, runId: '20261207T090000Z-0000000d', status: 'timed_out', endedAt: '2026-12-07T09:50:00.000Z' });
    await store.create({ ...base, runId: '20261207T090000Z-0000000e', status: 'running' });
    const ended = await store.listEndedBefore('sweep-me', ['failed', 'cancelled', 'timed_out'], new Date('2026-12-07T09:30:00.000Z'));
    expect(ended.sort((a, b) => a.runId.localeCompare(b.runId))).toEqual([
      { runId: '20261207T090000Z-0000000a', status: 'failed', endedAt: '2026-12-07T09:10:00.000Z', sweptAt: undefined, cleaningSince: undefined },
      { runId: '20261207T090000Z-0000000b', status: 'cancelled', endedAt: '2026-12-07T09:20:00.000Z', sweptAt: '2026-12-07T09:40:00.000Z', cleaningSince: undefined },
    ]);
  });
});

describe('chunks', () => {
  it('reads a version 1 entity, and writes the current version', async () => {
    const raw = table('versionChunks');
    await raw.createEntity({ partitionKey: '20250601T120000Z-0ld0ld00', rowKey: chunkRowKey(0), runId: '20250601T120000Z-0ld0ld00', index: 0, range: JSON.stringify({ kind: 'all' }), status: 'done', rows: 5, bytes: 50, files: JSON.stringify([{ path: 'a/b.parquet', rows: 5, bytes: 50, md5: 'x' }]) });
    const store = new ChunkStore(raw);
    const read = await store.get('20250601T120000Z-0ld0ld00', 0);
    expect(read).toMatchObject({ index: 0, status: 'done', rows: 5, files: [{ path: 'a/b.parquet', rows: 5, bytes: 50, md5: 'x' }] });

    expect(await store.resetToPlanned('20250601T120000Z-0ld0ld00')).toBe(1);
    const written = await raw.getEntity<Record<string, unknown>>('20250601T120000Z-0ld0ld00', chunkRowKey(0));
    expect(written).toMatchObject({ schemaVersion: currentSchemaVersion('chunk'), status: 'planned', rows: 0, files: '[]' });
  });
});
