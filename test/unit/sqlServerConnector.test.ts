import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { Column } from '../../src/spec/columns.js';
import type { ReadChunkRequest, ReadTarget } from '../../src/sources/sourceConnector.js';
import { SqlServerConnector, type MssqlPool, type MssqlRequest } from '../../src/sources/sqlserver/sqlServerConnector.js';

const mssql = createRequire(import.meta.url)('mssql') as Record<string, unknown>;
const label = 'SQL Server h,1433/sales';
const orders: ReadTarget = { kind: 'table', table: { schema: 'sales', name: 'orders' } };

type Answer = (request: FakeRequest, text: string) => Promise<{ recordset?: Array<Record<string, unknown>> }>;

/** Stands in for an mssql Request: records what it is given, and a scripted server answers. */
class FakeRequest extends EventEmitter {
  stream = false;
  arrayRowMode = false;
  inputs: Array<{ name: string; type: unknown; value: unknown }> = [];
  text = '';
  paused = false;
  pauses = 0;
  cancelled = false;

  constructor(private readonly answer: Answer) {
    super();
  }

  input(name: string, type: unknown, value: unknown): this {
    this.inputs.push({ name, type, value });
    return this;
  }

  query(text: string): Promise<{ recordset?: Array<Record<string, unknown>> }> {
    this.text = text;
    return this.answer(this, text);
  }

  pause(): boolean {
    if (!this.paused) this.pauses++;
    this.paused = true;
    return true;
  }

  resume(): boolean {
    this.paused = false;
    this.emit('resumed');
    return true;
  }

  cancel(): boolean {
    this.cancelled = true;
    this.emit('resumed');
    return true;
  }
}

function fakePool(answer: Answer): { pool: MssqlPool; requests: FakeRequest[] } {
  const requests: FakeRequest[] = [];
  const pool = {
    connect: async () => pool,
    close: async () => undefined,
    request: () => {
      const request = new FakeRequest(answer);
      requests.push(request);
      return request as unknown as MssqlRequest;
    },
    on: () => pool,
  } as MssqlPool;
  return { pool, requests };
}

/**
 * A server streaming `rows` as tedious does: row events while not paused, an attention (cancel)
 * answered with an ECANCEL error, `done` at the end. `stats.outstanding` is rows sent but not yet
 * handed to the consumer.
 */
function streamingServer(rows: unknown[][], stats: { sent: number; consumed: number; maxOutstanding: number }, fail?: { afterRows: number; error: Error }): Answer {
  return async (request) => {
    void (async () => {
      for (let i = 0; i < rows.length; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        while (request.paused && !request.cancelled) await new Promise((resolve) => request.once('resumed', resolve));
        if (request.cancelled) {
          request.emit('error', Object.assign(new Error('Canceled.'), { code: 'ECANCEL' }));
          break;
        }
        if (fail && i === fail.afterRows) {
          request.emit('error', fail.error);
          break;
        }
        request.emit('row', rows[i]);
        stats.sent++;
        stats.maxOutstanding = Math.max(stats.maxOutstanding, stats.sent - stats.consumed);
      }
      request.emit('done');
    })();
    return {};
  };
}

const columns: Column[] = [
  { name: 'id', sourceType: 'bigint', nullable: false, type: { kind: 'int64' } },
  { name: 'amount', sourceType: 'decimal(38,10)', nullable: true, type: { kind: 'decimal', precision: 38, scale: 10 } },
];

function chunkRequest(batchRows: number): ReadChunkRequest {
  return { target: orders, columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '1', upper: '1000000', upperInclusive: true }, batchRows };
}

const rowsOf = (count: number) => Array.from({ length: count }, (_, i) => [String(i + 1), `${i}.5000000000`]);

describe('readChunk', () => {
  it('streams decoded rows in batches of batchRows, with bound, typed range parameters', async () => {
    const stats = { sent: 0, consumed: 0, maxOutstanding: 0 };
    const { pool, requests } = fakePool(streamingServer(rowsOf(10), stats));
    const batches: unknown[][][] = [];
    for await (const batch of SqlServerConnector.withPool(pool, label).readChunk(chunkRequest(3))) batches.push(batch);
    expect(batches.map((batch) => batch.length)).toEqual([3, 3, 3, 1]);
    expect(batches[0]![0]).toEqual([1n, '0.5000000000']);
    expect(batches[3]![0]).toEqual([10n, '9.5000000000']);
    const request = requests[0]!;
    expect(request.stream).toBe(true);
    expect(request.arrayRowMode).toBe(true);
    // Every batch starts by setting the session's lock timeout (30 s by default).
    expect(request.text).toBe('SET LOCK_TIMEOUT 30000;\nSELECT [id], CONVERT(nvarchar(42), [amount]) AS [amount]\n  FROM [sales].[orders]\n WHERE [id] >= @lower AND [id] <= @upper\n ORDER BY [id]');
    expect(request.inputs).toEqual([
      { name: 'lower', type: mssql.BigInt, value: 1n },
      { name: 'upper', type: mssql.BigInt, value: 1000000n },
    ]);
  });

  it('pauses the request while a full batch waits for the consumer, so memory holds about one batch', async () => {
    const stats = { sent: 0, consumed: 0, maxOutstanding: 0 };
    const { pool, requests } = fakePool(streamingServer(rowsOf(2000), stats));
    let total = 0;
    for await (const batch of SqlServerConnector.withPool(pool, label).readChunk(chunkRequest(50))) {
      // A slow consumer: the server must wait for it instead of piling rows up.
      await new Promise((resolve) => setTimeout(resolve, 1));
      total += batch.length;
      stats.consumed = total;
    }
    expect(total).toBe(2000);
    expect(requests[0]!.pauses).toBeGreaterThanOrEqual(39);
    expect(stats.maxOutstanding).toBeLessThanOrEqual(100);
  });

  it('cancels the statement when the consumer stops early', async () => {
    const stats = { sent: 0, consumed: 0, maxOutstanding: 0 };
    const { pool, requests } = fakePool(streamingServer(rowsOf(10_000), stats));
    for await (const batch of SqlServerConnector.withPool(pool, label).readChunk(chunkRequest(100))) {
      expect(batch.length).toBe(100);
      break;
    }
    expect(requests[0]!.cancelled).toBe(true);
    expect(stats.sent).toBeLessThan(300);
  });

  it('fails with the server named when the server reports an error mid-stream', async () => {
    const stats = { sent: 0, consumed: 0, maxOutstanding: 0 };
    const error = Object.assign(new Error("Invalid column name 'amount'."), { number: 207 });
    const { pool } = fakePool(streamingServer(rowsOf(100), stats, { afterRows: 30, error }));
    const read = async () => {
      for await (const batch of SqlServerConnector.withPool(pool, label).readChunk(chunkRequest(10))) void batch;
    };
    await expect(read()).rejects.toThrow(NonRetryableError);
    await expect(read()).rejects.toThrow(`${label}: Invalid column name 'amount'.`);
  });

  it('fails naming table and column when a value cannot be decoded, and stops the statement', async () => {
    const stats = { sent: 0, consumed: 0, maxOutstanding: 0 };
    const rows = rowsOf(50);
    rows[5] = ['12x', '1.0'];
    const { pool, requests } = fakePool(streamingServer(rows, stats));
    const read = async () => {
      for await (const batch of SqlServerConnector.withPool(pool, label).readChunk(chunkRequest(10))) void batch;
    };
    await expect(read()).rejects.toThrow(/Table sales\.orders, column "id" \(bigint\): "12x" is not a bigint/);
    expect(requests[0]!.cancelled).toBe(true);
  });
});

/** A scripted catalog: each query is answered by the first matcher its text contains. */
function catalog(answers: Array<[string, Array<Record<string, unknown>> | Error]>): { pool: MssqlPool; requests: FakeRequest[] } {
  return fakePool(async (_request, text) => {
    const found = answers.find(([needle]) => text.includes(needle));
    if (!found) throw new Error(`unexpected query: ${text}`);
    if (found[1] instanceof Error) throw found[1];
    return { recordset: found[1] };
  });
}

const orderColumns = [
  { name: 'id', type_name: 'bigint', max_length: 8, precision: 19, scale: 0, is_nullable: false },
  { name: 'amount', type_name: 'decimal', max_length: 17, precision: 38, scale: 10, is_nullable: true },
  { name: 'created', type_name: 'datetime2', max_length: 8, precision: 27, scale: 7, is_nullable: true },
  { name: 'shape', type_name: 'geography', max_length: -1, precision: 0, scale: 0, is_nullable: true },
];

describe('describe', () => {
  it('fails naming table, column and type when a column read has no exact mapping', async () => {
    const { pool } = catalog([['FROM sys.columns', orderColumns], ['sys.indexes', [{ name: 'id' }]]]);
    const connector = SqlServerConnector.withPool(pool, label);
    const error = (await connector.describe(orders).catch((err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toContain('Table sales.orders, column "shape" (geography): type geography is not supported');
  });

  it('maps only the columns asked for, in the order asked, with the primary key', async () => {
    const { pool, requests } = catalog([['FROM sys.columns', orderColumns], ['sys.indexes', [{ name: 'id' }]]]);
    const description = await SqlServerConnector.withPool(pool, label).describe(orders, ['created', 'ID', 'amount']);
    expect(description).toEqual({
      columns: [
        { name: 'created', sourceType: 'datetime2(7)', nullable: true, type: { kind: 'timestamp', utc: false } },
        { name: 'id', sourceType: 'bigint', nullable: false, type: { kind: 'int64' } },
        { name: 'amount', sourceType: 'decimal(38,10)', nullable: true, type: { kind: 'decimal', precision: 38, scale: 10 } },
      ],
      primaryKey: ['id'],
      refusals: [],
    });
    expect(requests[0]!.inputs.map((input) => input.value)).toEqual(['sales', 'orders']);
    await expect(SqlServerConnector.withPool(pool, label).describe(orders, ['nope'])).rejects.toThrow('Table sales.orders has no column "nope"');
  });

  it('says so when the table is not there', async () => {
    const { pool } = catalog([['FROM sys.columns', []]]);
    await expect(SqlServerConnector.withPool(pool, label).describe({ kind: 'table', table: { name: 'gone' } })).rejects.toThrow(`Table gone was not found in ${label}`);
  });

  it('describes a query from the server\'s description of its first result set', async () => {
    const { pool } = catalog([['dm_exec_describe_first_result_set', [
      { name: 'id', system_type_name: 'int', max_length: 4, precision: 10, scale: 0, is_nullable: false, error_message: null },
      { name: 'price', system_type_name: 'money', max_length: 8, precision: 19, scale: 4, is_nullable: true, error_message: null },
      { name: 'seen', system_type_name: 'datetimeoffset(3)', max_length: 9, precision: 29, scale: 3, is_nullable: true, error_message: null },
    ]]]);
    const description = await SqlServerConnector.withPool(pool, label).describe({ kind: 'query', sql: 'SELECT id, price, seen FROM t' });
    expect(description).toEqual({
      columns: [
        { name: 'id', sourceType: 'int', nullable: false, type: { kind: 'int32' } },
        { name: 'price', sourceType: 'money', nullable: true, type: { kind: 'decimal', precision: 19, scale: 4 } },
        { name: 'seen', sourceType: 'datetimeoffset(3)', nullable: true, type: { kind: 'timestampOffset' } },
      ],
      primaryKey: [],
      refusals: [],
    });
  });

  it('reports a query the server cannot describe, and a column without a name', async () => {
    const broken = catalog([['dm_exec_describe_first_result_set', [{ name: null, system_type_name: null, max_length: 0, precision: 0, scale: 0, is_nullable: null, error_message: "Invalid object name 'nope'." }]]]);
    await expect(SqlServerConnector.withPool(broken.pool, label).describe({ kind: 'query', sql: 'SELECT * FROM nope' })).rejects.toThrow(`Query cannot be described by ${label}: Invalid object name 'nope'.`);
    const unnamed = catalog([['dm_exec_describe_first_result_set', [{ name: null, system_type_name: 'int', max_length: 4, precision: 10, scale: 0, is_nullable: false, error_message: null }]]]);
    await expect(SqlServerConnector.withPool(unnamed.pool, label).describe({ kind: 'query', sql: 'SELECT 1' })).rejects.toThrow(/column 1 has no name/);
  });
});

describe('keyBounds', () => {
  it('rounds datetime2 bounds outwards to whole microseconds and estimates rows from partitions', async () => {
    const { pool } = catalog([
      ['FROM sys.columns', orderColumns],
      ['MIN([created])', [{ min_key: '2024-01-01 00:00:00.0000001', max_key: '2024-12-31 23:59:59.9999999' }]],
      ['sys.partitions', [{ object_type: 'U', row_estimate: 123456 }]],
    ]);
    const bounds = await SqlServerConnector.withPool(pool, label).keyBounds(orders, 'created');
    expect(bounds).toEqual({ kind: 'timestamp', min: String(BigInt(Date.UTC(2024, 0, 1)) * 1000n), max: String(BigInt(Date.UTC(2025, 0, 1)) * 1000n), nullable: true, rowsEstimate: 123456 });
  });

  it('has no bounds for an empty table and refuses a key of another type', async () => {
    const { pool } = catalog([
      ['FROM sys.columns', orderColumns],
      ['MIN([id])', [{ min_key: null, max_key: null }]],
      ['sys.partitions', [{ object_type: 'U', row_estimate: 0 }]],
    ]);
    const connector = SqlServerConnector.withPool(pool, label);
    expect(await connector.keyBounds(orders, 'id')).toEqual({ kind: 'integer', min: undefined, max: undefined, nullable: false, rowsEstimate: 0 });
    await expect(connector.keyBounds(orders, 'amount')).rejects.toThrow('Table sales.orders, chunk key "amount" (decimal(38,10)): a chunk key must be');
  });
});

describe('keyDistribution', () => {
  it('turns histogram steps into points: range_rows just below each high key, equal_rows at it', async () => {
    const steps = [
      { stats_rows: 1000, modified_rows: 10, high_key: '1', range_rows: 0, equal_rows: 1 },
      { stats_rows: 1000, modified_rows: 10, high_key: '100', range_rows: 500, equal_rows: 3 },
      { stats_rows: 1000, modified_rows: 10, high_key: '101', range_rows: 4, equal_rows: 2 },
      { stats_rows: 1000, modified_rows: 10, high_key: '1000', range_rows: 480, equal_rows: 10 },
    ];
    const { pool } = catalog([['sys.dm_db_stats_histogram', steps]]);
    const distribution = await SqlServerConnector.withPool(pool, label).keyDistribution(orders, 'id', 'integer', 100);
    expect(distribution).toEqual({
      method: 'statistics',
      points: [
        { key: '1', weight: 1 },
        { key: '99', weight: 500 },
        { key: '100', weight: 3 },
        { key: '101', weight: 6 },
        { key: '999', weight: 480 },
        { key: '1000', weight: 10 },
      ],
    });
  });

  it('samples pages of a large table when its statistics are stale', async () => {
    const stale = [{ stats_rows: 1000, modified_rows: 500, high_key: '5', range_rows: 0, equal_rows: 1000 }];
    const sample = Array.from({ length: 150 }, (_, i) => ({ sample_key: String(1000 - i) }));
    const { pool, requests } = catalog([['sys.dm_db_stats_histogram', stale], ['sys.partitions', [{ object_type: 'U', row_estimate: 1_000_000 }]], ['TABLESAMPLE', sample]]);
    const distribution = await SqlServerConnector.withPool(pool, label).keyDistribution(orders, 'id', 'integer', 100);
    expect(distribution.method).toBe('sample');
    expect(distribution.points).toHaveLength(150);
    expect(distribution.points[0]).toEqual({ key: '851', weight: 1 });
    expect(distribution.points.at(-1)).toEqual({ key: '1000', weight: 1 });
    const sampled = requests.find((request) => request.text.includes('TABLESAMPLE'))!;
    expect(sampled.text).toContain('TABLESAMPLE SYSTEM (0.020000 PERCENT)');
    expect(sampled.inputs).toEqual([{ name: 'limit', type: mssql.Int, value: 1000 }]);
  });

  it('samples a query (or a table without usable statistics) with TOP and NEWID()', async () => {
    const { pool, requests } = catalog([['NEWID()', [{ sample_key: '2024-05-02' }, { sample_key: '2024-05-01' }, { sample_key: null }]]]);
    const distribution = await SqlServerConnector.withPool(pool, label).keyDistribution({ kind: 'query', sql: 'SELECT day FROM t' }, 'day', 'date', 500);
    expect(distribution).toEqual({ method: 'sample', points: [{ key: '19844', weight: 1 }, { key: '19845', weight: 1 }] });
    expect(requests[0]!.inputs).toEqual([{ name: 'limit', type: mssql.Int, value: 500 }]);
  });

  it('falls back to sampling where dm_db_stats_histogram is missing', async () => {
    const { pool } = catalog([
      ['sys.dm_db_stats_histogram', new Error("Invalid object name 'sys.dm_db_stats_histogram'.")],
      ['sys.partitions', [{ object_type: 'V', row_estimate: 0 }]],
      ['NEWID()', [{ sample_key: '7' }]],
    ]);
    expect(await SqlServerConnector.withPool(pool, label).keyDistribution(orders, 'id', 'integer', 10)).toEqual({ method: 'sample', points: [{ key: '7', weight: 1 }] });
  });
});

describe('rowversion cursors', () => {
  const versioned = [
    { name: 'id', type_name: 'bigint', max_length: 8, precision: 19, scale: 0, is_nullable: false },
    { name: 'rv', type_name: 'timestamp', max_length: 8, precision: 0, scale: 0, is_nullable: false },
  ];
  const boundsOf = async (row: Record<string, unknown>) => {
    const { pool, requests } = catalog([['FROM sys.columns', versioned], ['MIN_ACTIVE_ROWVERSION()', [row]], ['sys.partitions', [{ object_type: 'U', row_estimate: 3 }]]]);
    const bounds = await SqlServerConnector.withPool(pool, label).keyBounds(orders, 'rv');
    return { bounds, text: requests.find((request) => request.text.includes('MIN_ACTIVE_ROWVERSION()'))!.text };
  };

  it('caps the maximum below the lowest rowversion an open transaction holds', async () => {
    const held = await boundsOf({ min_key: '0x00000000000007D1', max_key: '0x00000000000007E0', active_key: '0x00000000000007D9' });
    expect(held.text).toContain('CONVERT(varchar(18), CONVERT(binary(8), MIN_ACTIVE_ROWVERSION()), 1) AS active_key');
    expect(held.bounds).toEqual({ kind: 'rowversion', min: '2001', max: '2008', nullable: false, rowsEstimate: 3 });
    // Nothing open: MIN_ACTIVE_ROWVERSION() is @@DBTS + 1, above every row.
    expect((await boundsOf({ min_key: '0x00000000000007D1', max_key: '0x00000000000007E0', active_key: '0x00000000000007E1' })).bounds).toMatchObject({ min: '2001', max: '2016' });
  });

  it('reads all 64 bits exactly, and keeps min <= max when every row lies above the settled point', async () => {
    expect((await boundsOf({ min_key: '0x8000000000000000', max_key: '0xFFFFFFFFFFFFFFFE', active_key: '0xFFFFFFFFFFFFFFFF' })).bounds)
      .toMatchObject({ min: '9223372036854775808', max: '18446744073709551614' });
    expect((await boundsOf({ min_key: '0x00000000000007DA', max_key: '0x00000000000007E0', active_key: '0x00000000000007D9' })).bounds).toMatchObject({ min: '2008', max: '2008' });
  });

  it('binds window and range bounds on a rowversion as binary(8), the column sargable', async () => {
    const stats = { sent: 0, consumed: 0, maxOutstanding: 0 };
    const { pool, requests } = fakePool(streamingServer([], stats));
    const request: ReadChunkRequest = {
      target: orders, columns: [columns[0]!], key: { column: 'id', kind: 'integer' }, orderBy: ['id'],
      range: { kind: 'range', lower: '1', upper: '100', upperInclusive: false }, window: { column: 'rv', kind: 'rowversion', after: '2000', upTo: '2008' }, batchRows: 10,
    };
    for await (const batch of SqlServerConnector.withPool(pool, label).readChunk(request)) void batch;
    expect(requests[0]!.text).toBe('SET LOCK_TIMEOUT 30000;\nSELECT [id]\n  FROM [sales].[orders]\n WHERE [id] >= @lower AND [id] < @upper AND [rv] > @after AND [rv] <= @upTo\n ORDER BY [id]');
    expect(requests[0]!.inputs).toEqual([
      { name: 'lower', type: mssql.BigInt, value: 1n },
      { name: 'upper', type: mssql.BigInt, value: 100n },
      { name: 'after', type: (mssql.Binary as (length: number) => unknown)(8), value: Buffer.from('00000000000007d0', 'hex') },
      { name: 'upTo', type: (mssql.Binary as (length: number) => unknown)(8), value: Buffer.from('00000000000007d8', 'hex') },
    ]);
  });
});
