import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import type { Services } from '../../src/services.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { faulted, faultedKey, formats, preparedRun, reconRows, reconcileServices, storedChunk, tamper } from '../support/reconcileScenario.js';

/**
 * Per-chunk reconciliation on PostgreSQL, where the source computes its checksum in the read's
 * snapshot (in the read's own transaction after its last row when the chunk holds one session, in
 * a second session importing it otherwise): a value changed between read and encode is caught
 * (for every output format) and the retry copies the chunk anew; a row updated after the read
 * began does not count against it, because the check sees the read's snapshot.
 */
let azurite: AzuriteHandle;
let database: TestDatabase;
let services: Services;

beforeAll(async () => {
  [azurite, database] = await Promise.all([startAzurite(), createTestDatabase('reconcile')]);
  await database.query(`CREATE TABLE public.recon (id bigint PRIMARY KEY, amount numeric(12,2), note text, at timestamp(6))`);
  await database.query(`INSERT INTO public.recon SELECT g, g * 1.25, 'note ' || g || ' 🚀', timestamp '2024-01-01' + g * interval '1.5 second' FROM generate_series(1, ${reconRows}) g`);
  services = await reconcileServices(azurite.connectionString, database.url);
});

afterAll(async () => {
  await azurite?.stop();
  await database?.drop();
});

describe('reconciliation on PostgreSQL', () => {
  it.each(formats)('catches a value changed between read and encode, then the retry copies the chunk anew (%s)', async (format) => {
    const { runId, copy } = await preparedRun(services, 'postgres', `tamper-${format}`, format, 2);
    // Parquet and JSON Lines with one session (slotted), CSV and Delta with two.
    const slotted = format === 'parquet' || format === 'jsonl';
    await expect(copy(1, 1, faulted(services, { onBatch: tamper }), slotted)).rejects.toThrow(/reconciliation mismatch: 200 rows on both sides; values differ in "note" \(in the read's snapshot\)/);
    const retrying = await storedChunk(azurite.connectionString, runId, 1);
    expect(retrying).toMatchObject({ status: 'retrying', attempts: [{ attempt: 1, error: expect.stringMatching(/reconciliation mismatch/) }] });
    expect(retrying!.reconciliation).toBeUndefined();

    expect(await copy(1, 2, services, slotted)).toMatchObject({ outcome: 'done', rows: 200 });
    const done = await storedChunk(azurite.connectionString, runId, 1);
    expect(done).toMatchObject({ status: 'done', reconciliation: { status: 'match', snapshot: true, source: { rows: 200 }, read: { rows: 200 } } });
    expect(done!.reconciliation!.read.checksum).toBe(done!.reconciliation!.source.checksum);
  });

  it('catches a row lost between read and encode in the row count', async () => {
    const { runId, copy } = await preparedRun(services, 'postgres', 'lost-row', 'parquet', 1);
    const lose = (rows: unknown[][]) => {
      const at = rows.findIndex((row) => Number(row[0]) === faultedKey);
      if (at >= 0) rows.splice(at, 1);
    };
    // One attempt only, and with a snapshot: the mismatch fails the chunk.
    await expect(copy(1, 1, faulted(services, { onBatch: lose }))).rejects.toThrow(/the source holds 200 rows, 199 were read/);
    expect(await storedChunk(azurite.connectionString, runId, 1)).toMatchObject({ status: 'failed' });
  });

  // Slotted (source.maxSessions, as the orchestrator's chunks are): one session, the check runs in
  // the read's own transaction after its last row; unslotted: in a second session importing the
  // read's exported snapshot.
  it.each([...formats.map((format) => [format, true] as const), ['parquet', false] as const])('checks in the read\'s snapshot: a row updated after the read began does not make a mismatch (%s, one session: %s)', async (format, slotted) => {
    const { runId, copy } = await preparedRun(services, 'postgres', `hot-row-${format}-${slotted ? 'slot' : 'two'}`, format, 2);
    const update = async () => {
      await database.query(`UPDATE public.recon SET note = $2 WHERE id = $1`, [faultedKey, `changed after the read began (${format})`]);
    };
    expect(await copy(1, 1, faulted(services, { beforeChecksum: update }), slotted)).toMatchObject({ outcome: 'done' });
    expect(await storedChunk(azurite.connectionString, runId, 1)).toMatchObject({ status: 'done', reconciliation: { status: 'match', snapshot: true } });
    // The update did land before the check ran: the source holds the new value now.
    expect(await database.query(`SELECT note FROM public.recon WHERE id = $1`, [faultedKey])).toEqual([{ note: `changed after the read began (${format})` }]);
  });
});
