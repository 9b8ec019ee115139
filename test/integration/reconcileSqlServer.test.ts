import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import type { Services } from '../../src/services.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { faulted, preparedRun, reconRows, reconcileServices, storedChunk, tamper } from '../support/reconcileScenario.js';

/**
 * Per-chunk reconciliation on SQL Server (through the TDS test double, which proves only its own
 * emulation of HASHBYTES, DATEDIFF_BIG and the rest, not a real server's): the source computes its
 * checksum after the read over the same range; a value changed between read and encode is caught
 * and the retry copies the chunk anew, ending in `match`.
 */
let azurite: AzuriteHandle;
let sql: TestSqlServer;
let services: Services;

beforeAll(async () => {
  [azurite, sql] = await Promise.all([startAzurite(), createTestSqlServer('reconcile')]);
  await sql.createTable({
    name: 'recon',
    columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'amount', type: 'decimal(12,2)' }, { name: 'note', type: 'nvarchar(100)' }, { name: 'at', type: 'datetime2(7)' }],
  }, []);
  await sql.generateRows('recon', reconRows, [
    { pg: 'n + 1', tsql: 'n + 1' },
    { pg: '((n + 1) * 1.25)::numeric(12,2)', tsql: 'CAST((n + 1) * 1.25 AS decimal(12,2))' },
    { pg: `'note ' || (n + 1) || ' 🚀'`, tsql: `CONCAT(N'note ', n + 1, N' 🚀')` },
    { pg: `to_char(timestamp '2024-01-01' + (n + 1) * interval '1.5 second', 'YYYY-MM-DD HH24:MI:SS.US') || '7'`, tsql: `DATEADD(MILLISECOND, (n + 1) * 1500, CAST('2024-01-01T00:00:00.0000007' AS datetime2(7)))` },
  ]);
  services = await reconcileServices(azurite.connectionString, sql.url);
}, 120_000);

afterAll(async () => {
  await azurite?.stop();
  await sql?.drop();
});

describe('reconciliation on SQL Server', () => {
  it('catches a value changed between read and encode, then the retry copies the chunk anew', async () => {
    const { runId, copy } = await preparedRun(services, 'sqlserver', 'tamper', 'parquet', 2, sql.source);
    await expect(copy(1, 1, faulted(services, { onBatch: tamper }))).rejects.toThrow(/reconciliation mismatch: 200 rows on both sides; values differ in "note" \(checked after the read, without a snapshot\)/);
    expect(await storedChunk(azurite.connectionString, runId, 1)).toMatchObject({ status: 'retrying', attempts: [{ attempt: 1, error: expect.stringMatching(/reconciliation mismatch/) }] });

    expect(await copy(1, 2, services)).toMatchObject({ outcome: 'done', rows: 200 });
    const done = await storedChunk(azurite.connectionString, runId, 1);
    expect(done).toMatchObject({ status: 'done', reconciliation: { status: 'match', snapshot: false, source: { rows: 200 }, read: { rows: 200 } } });
    expect(done!.reconciliation!.read.checksum).toBe(done!.reconciliation!.source.checksum);
  });
});
