import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { createTableIfNotExists } from '../../src/store/tableErrors.js';
import { WatermarkStore, type Watermark } from '../../src/store/watermarkStore.js';
import { RunStore, type RunRecord } from '../../src/store/runStore.js';
import { RunEventStore } from '../../src/store/runEventStore.js';
import { ChunkStore, type ChunkRecord } from '../../src/store/chunkStore.js';
import { LeaseStore } from '../../src/store/leaseStore.js';
import { failRun } from '../../src/orchestration/failRun.js';
import type { Services } from '../../src/services.js';

/**
 * Concurrent writers against Azurite's Table service: a stale attempt (a retried activity, a
 * late failure, a host that lost its lease) can never overwrite a newer state. Each writer has
 * its own TableClient, as two hosts would; interleavings that matter are forced, not hoped for,
 * by letting the other writer finish between one writer's read and its write.
 */
let azurite: AzuriteHandle;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

async function table(name: string): Promise<TableClient> {
  const client = TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
  await createTableIfNotExists(client);
  return client;
}

/** A second client on the same table, as another process would have. */
const otherClient = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

/**
 * A TableClient whose next write (update or create) first lets `meanwhile` run to the end: the
 * writer has read the entity and its ETag, and another writer gets in before it writes.
 */
function interleaved(client: TableClient, meanwhile: () => Promise<unknown>): { client: TableClient; writes: () => number } {
  let pending: (() => Promise<unknown>) | undefined = meanwhile;
  let writes = 0;
  const beforeWrite = async () => {
    writes++;
    const run = pending;
    pending = undefined;
    if (run) await run();
  };
  const wrapped = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'updateEntity' || property === 'createEntity' || property === 'upsertEntity') {
        return async (...args: unknown[]) => {
          await beforeWrite();
          return (target[property] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client: wrapped, writes: () => writes };
}

const runId = '20261121T163000Z-1a2b3c4d';

function watermark(value: string, run = runId): Watermark {
  return { column: 'updated_at', kind: 'integer', value, runId: run, updatedAt: new Date().toISOString() };
}

describe('WatermarkStore.advance', () => {
  it('never moves a watermark backwards, by a late call or a stale reader', async () => {
    const store = new WatermarkStore(await table('fenceWatermarksA'));
    expect((await store.advance('orders', watermark('1000'))).value).toBe('1000');
    // A repeated or late finalize of an older run: the newer value stays.
    expect((await store.advance('orders', watermark('999'))).value).toBe('1000');
    expect((await store.advance('orders', watermark('1000'))).value).toBe('1000');
    expect((await store.get('orders'))!.value).toBe('1000');

    // A stale writer that read 1000, then lost the race to 5000, must not write 2000 over it.
    const faster = new WatermarkStore(otherClient('fenceWatermarksA'));
    const slow = interleaved(otherClient('fenceWatermarksA'), () => faster.advance('orders', watermark('5000')));
    const stale = new WatermarkStore(slow.client);
    expect((await stale.advance('orders', watermark('2000'))).value).toBe('5000');
    expect(slow.writes()).toBe(1); // its write was refused (412), and the re-read found a higher value
    expect((await store.get('orders'))!.value).toBe('5000');
  });

  it('keeps digits beyond 2^53 exact, comparing them as integers, not text', async () => {
    const store = new WatermarkStore(await table('fenceWatermarksB'));
    await store.advance('big', watermark('9007199254740993'));
    expect((await store.advance('big', watermark('9007199254740992'))).value).toBe('9007199254740993');
    await store.advance('big', watermark('10000000000000000000'));
    expect((await store.advance('big', watermark('9999999999999999999'))).value).toBe('10000000000000000000');
  });

  it('ends two (and many) concurrent advances at the highest value, whatever the order', async () => {
    await table('fenceWatermarksC');
    for (let round = 0; round < 5; round++) {
      const pipeline = `race-${round}`;
      const [low, high] = [String(100 + round), String(200 + round)];
      const a = new WatermarkStore(otherClient('fenceWatermarksC'));
      const b = new WatermarkStore(otherClient('fenceWatermarksC'));
      await Promise.all(round % 2 ? [a.advance(pipeline, watermark(low)), b.advance(pipeline, watermark(high))] : [b.advance(pipeline, watermark(high)), a.advance(pipeline, watermark(low))]);
      expect((await a.get(pipeline))!.value).toBe(high);
    }
    // Both creating the first watermark at once: one create wins (409 for the other), the higher value ends up stored.
    const values = [7, 3, 9, 1, 8, 2, 6, 4, 5].map(String);
    await Promise.all(values.map((value) => new WatermarkStore(otherClient('fenceWatermarksC')).advance('many', watermark(value))));
    expect((await new WatermarkStore(otherClient('fenceWatermarksC')).get('many'))!.value).toBe('9');
  });
});

function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return { pipelineId: 'orders', runId, status: 'running', reason: 'manual', requestedAt: '2026-11-21T16:30:00.000Z', startedAt: '2026-11-21T16:30:01.000Z', rows: 0, bytes: 0, files: 0, chunksPlanned: 8, attempt: 0, ...overrides };
}

describe('RunStore.update', () => {
  it('applies a writer that lost the ETag race again on top of the winner, losing neither update', async () => {
    const name = 'fenceRunsA';
    await new RunStore(await table(name)).create(runRecord());
    const winner = new RunStore(otherClient(name));
    const slow = interleaved(otherClient(name), () => winner.update('orders', runId, (run) => ({ ...run, files: run.files + 3 })));
    let calls = 0;
    const updated = await new RunStore(slow.client).update('orders', runId, (run) => {
      calls++;
      return { ...run, rows: run.rows + 100 };
    });
    expect(calls).toBe(2); // read, refused with 412, read again
    expect(slow.writes()).toBe(2);
    expect(updated).toMatchObject({ rows: 100, files: 3 });
    expect(await new RunStore(otherClient(name)).get('orders', runId)).toMatchObject({ rows: 100, files: 3, etag: updated.etag });
  });

  it('loses no update among many concurrent writers', async () => {
    const name = 'fenceRunsB';
    await new RunStore(await table(name)).create(runRecord());
    const writers = 8;
    await Promise.all(Array.from({ length: writers }, (_, writer) =>
      new RunStore(otherClient(name)).update('orders', runId, (run) => ({ ...run, rows: run.rows + 1, bytes: run.bytes + 2 ** writer }))));
    const run = await new RunStore(otherClient(name)).get('orders', runId);
    expect(run).toMatchObject({ rows: writers, bytes: 2 ** writers - 1 });
  });
});

describe('failRun', () => {
  let leases: LeaseStore;
  beforeAll(async () => {
    leases = new LeaseStore(await table('fenceLeases'));
  });
  // The timeline table is created by the test that ends a run (the others end none).
  // failRun also queues the run's notifications; a run without a spec snapshot asks its pipeline (none here).
  const servicesWith = (runs: RunStore) => ({ runs, leases, pipelines: { get: async () => undefined }, runEvents: new RunEventStore(otherClient('fenceRunEvents')), now: () => new Date() }) as unknown as Services;

  it('leaves a run that succeeded as it is: no write at all', async () => {
    const name = 'fenceRunsC';
    const runs = new RunStore(await table(name));
    await runs.create(runRecord({ status: 'succeeded', endedAt: '2026-11-21T16:31:00.000Z', rows: 10, manifestPath: 'c/orders/_manifest.json' }));
    const before = (await runs.get('orders', runId))!;
    await failRun(servicesWith(runs), { pipelineId: 'orders', runId, error: 'a late failure', chunk: 3 });
    await failRun(servicesWith(runs), { pipelineId: 'orders', runId, error: 'a late timeout', status: 'timed_out' });
    expect(await runs.get('orders', runId)).toEqual(before);
  });

  it('does not overwrite a success that lands between its read and its write', async () => {
    const name = 'fenceRunsD';
    await new RunStore(await table(name)).create(runRecord());
    const finalizer = new RunStore(otherClient(name));
    const succeed = () => finalizer.update('orders', runId, (run) => ({ ...run, status: 'succeeded', endedAt: new Date().toISOString(), rows: 42, manifestPath: 'c/orders/_manifest.json' }));
    const slow = interleaved(otherClient(name), succeed);
    await failRun(servicesWith(new RunStore(slow.client)), { pipelineId: 'orders', runId, error: 'chunk 3: connection reset', chunk: 3 });
    expect(slow.writes()).toBe(1); // its one write was refused; the re-read found the run ended
    const run = (await finalizer.get('orders', runId))!;
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(42);
    expect(run.error).toBeUndefined();
    expect(run.errorChunk).toBeUndefined();
  });

  it('fails a run still running, once', async () => {
    const name = 'fenceRunsE';
    const runs = new RunStore(await table(name));
    const events = new RunEventStore(await table('fenceRunEvents'));
    await runs.create(runRecord());
    await Promise.all([
      failRun(servicesWith(new RunStore(otherClient(name))), { pipelineId: 'orders', runId, error: 'first', chunk: 1 }),
      failRun(servicesWith(new RunStore(otherClient(name))), { pipelineId: 'orders', runId, error: 'second', chunk: 2 }),
    ]);
    const run = (await runs.get('orders', runId))!;
    expect(run.status).toBe('failed');
    // Exactly one of them wrote, whole: its error goes with its chunk.
    expect([{ error: 'first', errorChunk: 1 }, { error: 'second', errorChunk: 2 }]).toContainEqual({ error: run.error, errorChunk: run.errorChunk });
    // And its ending is on the run's timeline once, with the error that won.
    const { events: timeline } = await events.list(runId, { limit: 10 });
    expect(timeline).toEqual([expect.objectContaining({ type: 'finished', status: 'failed', error: run.error, chunk: run.errorChunk })]);
  });
});

describe('ChunkStore.replaceIfUnchanged', () => {
  const planned: ChunkRecord = { runId, index: 2, range: { kind: 'range', lower: '100', upper: '200', upperInclusive: false }, status: 'planned', rows: 0, bytes: 0, files: [] };
  const done: ChunkRecord = {
    ...planned,
    status: 'done',
    rows: 100,
    bytes: 4096,
    files: [{ path: `orders/2026/11/21/run=${runId}/part-00002-00000.parquet`, rows: 100, bytes: 4096, md5: 'q83vEjRWeJq83vEjRWeJqw==' }],
    startedAt: '2026-11-21T16:30:02.000Z',
    endedAt: '2026-11-21T16:30:03.000Z',
  };

  it('refuses a write with a stale ETag and leaves the newer record', async () => {
    const chunks = new ChunkStore(await table('fenceChunksA'));
    await chunks.savePlan([planned]);
    const { etag: staleEtag, ...read } = (await chunks.get(runId, 2))!;
    expect(read).toEqual(planned);
    // The newer attempt finishes the chunk...
    const newer = await new ChunkStore(otherClient('fenceChunksA')).replaceIfUnchanged(done, staleEtag);
    expect(newer).toBeTruthy();
    // ...then the stale one reports progress with the ETag it read before: refused.
    const staleStore = new ChunkStore(otherClient('fenceChunksA'));
    expect(await staleStore.replaceIfUnchanged({ ...planned, status: 'running', rows: 50, startedAt: '2026-11-21T16:30:01.000Z' }, staleEtag)).toBeUndefined();
    expect(await staleStore.replaceIfUnchanged({ ...done, rows: 1 }, staleEtag)).toBeUndefined();
    expect(await chunks.get(runId, 2)).toEqual({ ...done, etag: newer });
  });

  it('lets exactly one of two attempts holding the same ETag write', async () => {
    const chunks = new ChunkStore(await table('fenceChunksB'));
    await chunks.savePlan([planned]);
    const { etag } = (await chunks.get(runId, 2))!;
    const results = await Promise.all([
      new ChunkStore(otherClient('fenceChunksB')).replaceIfUnchanged({ ...planned, status: 'running', rows: 10 }, etag),
      new ChunkStore(otherClient('fenceChunksB')).replaceIfUnchanged(done, etag),
    ]);
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
    const stored = (await chunks.get(runId, 2))!;
    expect(stored.etag).toBe(results.find((result) => result !== undefined));
    expect(stored.status).toBe(results[0] ? 'running' : 'done');
  });
});
