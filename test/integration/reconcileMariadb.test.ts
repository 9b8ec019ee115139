import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import type { Services } from '../../src/services.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { faulted, faultedKey, formats, preparedRun, reconRows, reconcileServices, storedChunk, tamper } from '../support/reconcileScenario.js';

/**
 * Per-chunk reconciliation on MariaDB, where no snapshot can be shared between sessions: the
 * source computes its checksum in the read's session right after the read, over the same range.
 * A value changed between read and encode is caught for every output format and the retry
 * copies the chunk anew; a range that keeps changing between copy and check ends, after the
 * retries, as a done chunk whose record says `mismatch` (a warning), not as a loop.
 */
let azurite: AzuriteHandle;
let database: TestMysqlDatabase;
let services: Services;

beforeAll(async () => {
  [azurite, database] = await Promise.all([startAzurite(), createTestMysqlDatabase('reconcile')]);
  // `place`: latin1, so the checksum converts it to utf8mb4 per row (utf8mb4 columns are hashed as stored), and NOT NULL (no count of its own).
  // `day` and `stamp`: a DATE and a TIMESTAMP (summed as YYYYMMDD and as UNIX_TIMESTAMP), next to the DATETIME `at` (YYYYMMDDhhmmss.ffffff).
  await database.query(`CREATE TABLE recon (id bigint PRIMARY KEY, amount decimal(12,2), note text CHARACTER SET utf8mb4, at datetime(6), place varchar(20) CHARACTER SET latin1 NOT NULL, day date, stamp timestamp(6) NULL)`);
  const values = Array.from({ length: reconRows }, (_, i) => i + 1).map((g) => `(${g}, ${g} * 1.25, CONCAT('note ', ${g}, ' 🚀'), TIMESTAMPADD(MICROSECOND, ${g} * 1500000, '2024-01-01'), CONCAT('café ', ${g}), DATE'1999-12-25' + INTERVAL ${g} DAY, ${g % 50 === 1 ? 'NULL' : `TIMESTAMPADD(MICROSECOND, ${g} * 7000001, '2023-06-01 00:00:00.123456')`})`);
  await database.query(`INSERT INTO recon VALUES ${values.join(', ')}`);
  services = await reconcileServices(azurite.connectionString, database.url);
});

afterAll(async () => {
  await azurite?.stop();
  await database?.drop();
});

describe('reconciliation on MariaDB', () => {
  it.each(formats)('catches a value changed between read and encode, then the retry copies the chunk anew (%s)', async (format) => {
    const { runId, copy } = await preparedRun(services, 'mysql', `tamper-${format}`, format, 2);
    await expect(copy(1, 1, faulted(services, { onBatch: tamper }))).rejects.toThrow(/reconciliation mismatch: 200 rows on both sides; values differ in "note" \(checked after the read, without a snapshot\)/);
    expect(await storedChunk(azurite.connectionString, runId, 1)).toMatchObject({ status: 'retrying', attempts: [{ attempt: 1, error: expect.stringMatching(/reconciliation mismatch/) }] });

    expect(await copy(1, 2, services)).toMatchObject({ outcome: 'done', rows: 200 });
    const done = await storedChunk(azurite.connectionString, runId, 1);
    expect(done).toMatchObject({ status: 'done', reconciliation: { status: 'match', snapshot: false, source: { rows: 200 }, read: { rows: 200 } } });
    expect(done!.reconciliation!.read.checksum).toBe(done!.reconciliation!.source.checksum);
  });

  // A decoding bug that moves a date by a day, or a datetime or timestamp by a microsecond.
  it.each([['at', 3, 1n], ['day', 5, 1], ['stamp', 6, 1n]] as const)('catches a %s value changed by one unit between read and encode', async (name, index, delta) => {
    const { copy } = await preparedRun(services, 'mysql', `tamper-${name}`, 'parquet', 2);
    const shift = (rows: unknown[][]) => {
      for (const row of rows) if (Number(row[0]) === faultedKey) row[index] = typeof delta === 'bigint' ? (row[index] as bigint) + delta : (row[index] as number) + delta;
    };
    await expect(copy(1, 1, faulted(services, { onBatch: shift }))).rejects.toThrow(new RegExp(`reconciliation mismatch: 200 rows on both sides; values differ in "${name}" \\(`));
  });

  it.each(formats)('ends a range that keeps changing between copy and check as a warning after the retries, not a loop (%s)', async (format) => {
    const { runId, copy } = await preparedRun(services, 'mysql', `hot-range-${format}`, format, 2);
    let updates = 0;
    const hot = faulted(services, {
      beforeChecksum: async () => {
        updates++;
        await database.query(`UPDATE recon SET note = ? WHERE id = ?`, [`changed ${updates} times`, faultedKey]);
      },
    });
    await expect(copy(1, 1, hot)).rejects.toThrow(/values differ in "note" \(checked after the read, without a snapshot\)/);
    // The last attempt records the mismatch and finishes the chunk.
    expect(await copy(1, 2, hot)).toMatchObject({ outcome: 'done', rows: 200 });
    const done = await storedChunk(azurite.connectionString, runId, 1);
    expect(done).toMatchObject({ status: 'done', rows: 200, reconciliation: { status: 'mismatch', snapshot: false, columns: ['note'] } });
    expect(done!.attempts!.map((attempt) => attempt.attempt)).toEqual([1, 2]);
    expect(updates).toBe(2);
  });
});
