import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { ChunkStore, type ChunkRecord } from '../../src/store/chunkStore.js';
import { createTableIfNotExists } from '../../src/store/tableErrors.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';

/** Chunk records against Azurite's Table service: long file lists (many partition folders) survive the 32K-character property limit. */
let azurite: AzuriteHandle;
let store: ChunkStore;
let table: TableClient;

beforeAll(async () => {
  azurite = await startAzurite();
  table = TableClient.fromConnectionString(azurite.connectionString, 'chunks', { allowInsecureConnection: true });
  await createTableIfNotExists(table);
  store = new ChunkStore(table);
});

afterAll(async () => {
  await azurite?.stop();
});

const runId = '20261121T163000Z-1a2b3c4d';

function chunkWithFiles(count: number): ChunkRecord {
  const files = Array.from({ length: count }, (_, i) => ({
    path: `orders/2026/11/21/run=${runId}/order_date=2024-05-${String(i % 31).padStart(2, '0')}/region=EU%2F${i}/part-00003-${String(i).padStart(4, '0')}.parquet`,
    rows: i,
    bytes: i * 10,
    md5: 'x'.repeat(24),
  }));
  return { runId, index: 3, range: { kind: 'all' }, status: 'done', rows: count, bytes: 0, files };
}

describe('ChunkStore', () => {
  it('keeps a file list longer than one table property, read back by a fresh client', async () => {
    const chunk = chunkWithFiles(2_000);
    expect(JSON.stringify(chunk.files).length).toBeGreaterThan(200_000);
    await store.save(chunk);
    const fresh = new ChunkStore(TableClient.fromConnectionString(azurite.connectionString, 'chunks', { allowInsecureConnection: true }));
    expect(await fresh.get(runId, 3)).toEqual({ ...chunk, etag: expect.any(String) });
  });

  it('leaves no parts of a longer earlier list behind when a shorter list replaces it', async () => {
    await store.save(chunkWithFiles(2_000));
    const shorter = chunkWithFiles(3);
    await store.save(shorter);
    expect(await store.get(runId, 3)).toEqual({ ...shorter, etag: expect.any(String) });
    const raw = await table.getEntity<Record<string, unknown>>(runId, '000003');
    expect(Object.keys(raw).filter((key) => key.startsWith('files'))).toEqual(['files']);
  });

  it('refuses, without retry, a list longer than an entity can hold', async () => {
    await expect(store.save(chunkWithFiles(4_000))).rejects.toThrow(NonRetryableError);
    await expect(store.save(chunkWithFiles(4_000))).rejects.toThrow(/chunk 3 wrote 4000 files, more than a chunk record can list/);
  });
});
