import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBalancedChunks } from '../../src/copy/planBalancedChunks.js';
import { planChunks } from '../../src/copy/planChunks.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { ChunkRange } from '../../src/spec/columns.js';
import type { KeyBounds, KeyKind, ReadChunkRequest, ReadTarget } from '../../src/sources/sourceConnector.js';
import { sqlServerConfig, SqlServerConnector } from '../../src/sources/sqlserver/sqlServerConnector.js';
import { everyTypeColumns, everyTypeRows, expectedRows, wallMicros } from '../support/tds-server/everyType.js';
import { createTestSqlServer, testLogin, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * The SQL Server connector through the real mssql/tedious driver: against the TDS test double
 * (PostgreSQL behind it) by default, or against a real SQL Server when SIPHON_TEST_MSSQL holds a
 * connection string. The assertions are the same; the few that need the test double's hooks
 * (a connection dropped on purpose, attention counters, refused statements) are skipped on a
 * real server.
 */
const mssql = createRequire(import.meta.url)('mssql') as Record<string, any>;

let sql: TestSqlServer;
let connector: SqlServerConnector;
const testDouble = !process.env.SIPHON_TEST_MSSQL;

const table = (name: string): ReadTarget => ({ kind: 'table', table: { schema: sql.schema, name } });
const label = (name: string) => `Table ${sql.schema}.${name}`;

async function readAll(request: Omit<ReadChunkRequest, 'batchRows'> & { batchRows?: number }, target: SqlServerConnector = connector): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const batch of target.readChunk({ batchRows: 1000, ...request })) rows.push(...batch);
  return rows;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

function expectSame(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') expect(Object.is(actual, expected), `${where}: ${actual} vs ${expected}`).toBe(true);
  else if (expected instanceof Uint8Array) expect(Buffer.from(actual as Uint8Array).equals(Buffer.from(expected)), `${where}: bytes differ`).toBe(true);
  else expect(actual, where).toEqual(expected);
}

const int64Min = '-9223372036854775808';
const int64Max = '9223372036854775807';

beforeAll(async () => {
  sql = await createTestSqlServer('mssql_connector');
  await sql.createTable({ name: 'every_type', columns: everyTypeColumns }, everyTypeRows);
  await sql.createTable({
    name: 'keys',
    columns: [
      { name: 'id', type: 'int', primaryKey: true }, { name: 'bi', type: 'bigint' }, { name: 'd', type: 'date' }, { name: 'dt', type: 'datetime' },
      { name: 'dt2', type: 'datetime2(7)' }, { name: 'dto', type: 'datetimeoffset(7)' }, { name: 'nv', type: 'nvarchar(20)' },
    ],
  }, [
    ['1', int64Min, '0001-01-01', '1753-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 08:00:00 +08:00', 'a'],
    ['2', '-1', '1969-12-31', '1969-12-31 23:59:59.997', '1969-12-31 23:59:59.9999999', '1970-01-01 05:29:59.9999999 +05:30', 'b'],
    ['3', '9007199254740993', '2024-02-29', '2024-02-29 12:34:56.003', '2024-02-29 12:34:56.1234567', '2024-02-29 04:00:00 -08:00', 'c'],
    ['4', int64Max, '9999-12-31', '9999-12-31 23:59:59.997', '9999-12-31 23:59:59.9999999', '9999-12-31 23:59:59.9999999 +00:30', 'd'],
    ['5', null, null, null, null, null, null],
  ]);
  await sql.createTable({ name: 'odd', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'place', type: 'geography' }, { name: 'label', type: 'nvarchar(10)' }] }, []);
  await sql.createTable({ name: 'lazy_rows', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'pad', type: 'nchar(200)', nullable: false }] }, []);
  await sql.generateRows('lazy_rows', 200_000, [{ pg: 'n', tsql: 'n' }, { pg: `repeat('x', 200)`, tsql: `REPLICATE(N'x', 200)` }]);
  // 90% of the rows have k in the lowest 10% of its range.
  await sql.createTable({ name: 'skewed', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'k', type: 'int', nullable: false }] }, []);
  await sql.generateRows('skewed', 100_000, [
    { pg: 'n', tsql: 'n' },
    { pg: 'CASE WHEN n < 90000 THEN n * 10000 / 90000 ELSE 10000 + (n - 90000) * 9 END', tsql: 'CASE WHEN n < 90000 THEN n * 10000 / 90000 ELSE 10000 + (n - 90000) * 9 END' },
  ]);
  connector = await SqlServerConnector.connect(sql.url, sql.source);
}, 180_000);

afterAll(async () => {
  await connector?.close();
  await sql?.drop();
});

describe('every type', () => {
  it('describes each column with its SQL Server type and exact output type, and the primary key', async () => {
    const { columns, primaryKey } = await connector.describe(table('every_type'));
    expect(primaryKey).toEqual(['id']);
    expect(columns.map((c) => c.sourceType)).toEqual(everyTypeColumns.map((c) => c.type));
    expect(Object.fromEntries(columns.map((c) => [c.name, c.type]))).toMatchObject({
      ti: { kind: 'int16' }, si: { kind: 'int16' }, i: { kind: 'int32' }, bi: { kind: 'int64' }, bt: { kind: 'boolean' },
      dec38: { kind: 'decimal', precision: 38, scale: 10 }, num9: { kind: 'decimal', precision: 9, scale: 2 },
      m: { kind: 'decimal', precision: 19, scale: 4 }, sm: { kind: 'decimal', precision: 10, scale: 4 }, r: { kind: 'float32' }, f: { kind: 'float64' },
      nvcmax: { kind: 'string' }, vbmax: { kind: 'binary' }, u: { kind: 'uuid' }, d: { kind: 'date' }, t: { kind: 'time' },
      dt: { kind: 'timestamp', utc: false }, dt2: { kind: 'timestamp', utc: false }, dto: { kind: 'timestampOffset' },
    });
    expect(columns.find((c) => c.name === 'id')!.nullable).toBe(false);
    expect(columns.find((c) => c.name === 'dto')!.nullable).toBe(true);
  });

  it('reads every value exactly, at the extremes and as NULL', async () => {
    const { columns } = await connector.describe(table('every_type'));
    const rows = await readAll({ target: table('every_type'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'all' }, batchRows: 2 });
    const expected = expectedRows();
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, r) => columns.forEach((column, c) => expectSame(row[c], expected[r]![column.name], `row ${r + 1} ${column.name} (${column.sourceType})`)));
  });

  it('sends each type in its own TDS encoding, which the driver decodes natively', async () => {
    const config = sqlServerConfig(sql.url, sql.source);
    const pool = new mssql.ConnectionPool({ ...config, options: { ...config.options, lowerCaseGuids: true } });
    await pool.connect();
    const forms = testDouble ? ['nbcrow', 'row'] as const : ['nbcrow'] as const;
    try {
      for (const form of forms) {
        if (sql.server) sql.server.options.nullRows = form;
        const result = await pool.request().query(`SELECT * FROM [${sql.schema}].[every_type] ORDER BY id`);
        const [min, max, mid, , nulls] = result.recordset as Array<Record<string, any>>;
        expect(max).toMatchObject({ ti: 255, si: 32767, i: 2147483647, bi: int64Max, bt: true, ch: 'abcde', nch: 'Zoë  ', u: 'ffffffff-ffff-ffff-ffff-ffffffffffff' });
        expect(min).toMatchObject({ ti: 0, si: -32768, bi: int64Min, bt: false, vc: '', nvc: '' });
        // tedious turns decimals and money into doubles; the connector selects them as text for that reason.
        expect(max!.dec38).toBe(1e28);
        expect(max!.m).toBe(922337203685477.6);
        expect(mid!.sm).toBe(-0.0001);
        expect(max!.r).toBe(Math.fround(3.4028235e38));
        expect(min!.f).toBe(-1.7976931348623157e308);
        expect(max!.vc).toBe('quote " comma , newline \n cr \r end café €');
        expect(max!.nvc).toBe(everyTypeRows[1]![16]);
        expect(max!.nvcmax).toBe(everyTypeRows[1]![17]);
        expect(max!.vcmax).toBe('x'.repeat(20_000));
        expect(Buffer.compare(max!.vbmax, everyTypeRows[1]![20] as Buffer)).toBe(0);
        expect(Buffer.compare(max!.bn, Buffer.from([255, 255, 255, 255]))).toBe(0);
        expect(mid!.u).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
        // Dates and times arrive as JS Dates (UTC fields, useUTC), to the millisecond.
        expect((max!.d as Date).toISOString()).toBe('9999-12-31T00:00:00.000Z');
        expect((min!.d as Date).toISOString()).toBe('0001-01-01T00:00:00.000Z');
        expect((max!.t as Date).toISOString()).toBe('1970-01-01T23:59:59.999Z');
        expect((mid!.dt as Date).toISOString()).toBe('2024-02-29T12:34:56.003Z');
        expect((min!.dt as Date).toISOString()).toBe('1753-01-01T00:00:00.000Z');
        expect((max!.sdt as Date).toISOString()).toBe('2079-06-06T23:59:00.000Z');
        expect((max!.dt2 as Date).toISOString()).toBe('9999-12-31T23:59:59.999Z');
        expect((mid!.dt2_3 as Date).toISOString()).toBe('2024-05-01T15:30:00.123Z');
        // datetimeoffset travels as its UTC instant plus the offset (which tedious drops).
        expect((mid!.dto as Date).toISOString()).toBe('2024-05-01T10:00:00.123Z');
        expect((min!.dto as Date).toISOString()).toBe('0001-01-01T08:00:00.000Z');
        expect(Object.entries(nulls!).filter(([name, value]) => name !== 'id' && value !== null)).toEqual([]);
      }
    } finally {
      if (sql.server) sql.server.options.nullRows = 'nbcrow';
      await pool.close();
    }
  });

  it('carries long statements and values over many small packets (packet size 512)', async () => {
    const config = sqlServerConfig(sql.url, { ...sql.source, packetSize: 512 });
    const pool = new mssql.ConnectionPool(config);
    await pool.connect();
    try {
      // A statement over 4000 characters travels as an nvarchar(max) (PLP) parameter of sp_executesql.
      const padding = `/* ${'p'.repeat(9000)} */`;
      const result = await pool.request().input('id', mssql.Int, 2).query(`SELECT nvcmax, vbmax ${padding} FROM [${sql.schema}].[every_type] WHERE id = @id`);
      expect(result.recordset[0].nvcmax).toBe(everyTypeRows[1]![17]);
      expect(Buffer.compare(result.recordset[0].vbmax, everyTypeRows[1]![20] as Buffer)).toBe(0);
    } finally {
      await pool.close();
    }
  });
});

describe('keys and chunks', () => {
  const ids = async (column: string, kind: KeyKind, range: ChunkRange) => {
    const { columns } = await connector.describe(table('keys'), ['id']);
    return (await readAll({ target: table('keys'), columns, key: { column, kind }, orderBy: ['id'], range })).map((row) => row[0]);
  };

  it('reports key bounds as digits at the extremes of each key type', async () => {
    expect(await connector.keyBounds(table('keys'), 'bi')).toMatchObject({ kind: 'integer', min: int64Min, max: int64Max, nullable: true, rowsEstimate: 5 });
    expect(await connector.keyBounds(table('keys'), 'd')).toMatchObject({ kind: 'date', min: '-719162', max: '2932896' });
    // datetime .997 is tick 299 of 300: 0.9966667 s as datetime2(7).
    expect(await connector.keyBounds(table('keys'), 'dt')).toMatchObject({ kind: 'timestamp', min: String(wallMicros('1753-01-01 00:00:00')), max: String(wallMicros('9999-12-31 23:59:59.996666') + 1n) });
    // The 100 ns digit rounds the lower bound down and the upper bound up, so no row falls outside.
    expect(await connector.keyBounds(table('keys'), 'dt2')).toMatchObject({ kind: 'timestamp', min: String(wallMicros('0001-01-01 00:00:00')), max: String(wallMicros('9999-12-31 23:59:59.999999') + 1n) });
    expect(await connector.keyBounds(table('keys'), 'dto')).toMatchObject({ kind: 'timestamptz', min: String(wallMicros('0001-01-01 00:00:00')), max: String(wallMicros('9999-12-31 23:29:59.999999') + 1n) });
  });

  it('reads key ranges bound as parameters, exact at the ends of bigint (beyond 2^53)', async () => {
    expect(await ids('bi', 'integer', { kind: 'range', lower: int64Min, upper: '-1', upperInclusive: false })).toEqual([1]);
    expect(await ids('bi', 'integer', { kind: 'range', lower: '9007199254740993', upper: '9007199254740993', upperInclusive: true })).toEqual([3]);
    expect(await ids('bi', 'integer', { kind: 'range', lower: '9007199254740992', upper: int64Max, upperInclusive: false })).toEqual([3]);
    expect(await ids('bi', 'integer', { kind: 'range', lower: int64Max, upper: int64Max, upperInclusive: true })).toEqual([4]);
    expect(await ids('bi', 'integer', { kind: 'nullKey' })).toEqual([5]);
    expect(await ids('d', 'date', { kind: 'range', lower: '-719162', upper: '-1', upperInclusive: true })).toEqual([1, 2]);
    const leap = wallMicros('2024-02-29 12:34:56.123456');
    expect(await ids('dt2', 'timestamp', { kind: 'range', lower: String(leap), upper: String(leap + 1n), upperInclusive: false })).toEqual([3]);
    expect(await ids('dt', 'timestamp', { kind: 'range', lower: String(wallMicros('2024-02-29 12:34:56.003')), upper: String(wallMicros('2024-02-29 12:34:56.004')), upperInclusive: false })).toEqual([3]);
    // datetimeoffset ranges compare instants: 04:00 at -08:00 is 12:00 UTC.
    const noonUtc = wallMicros('2024-02-29 12:00:00');
    expect(await ids('dto', 'timestamptz', { kind: 'range', lower: String(noonUtc), upper: String(noonUtc), upperInclusive: true })).toEqual([3]);
    expect(await ids('dto', 'timestamptz', { kind: 'range', lower: '-1', upper: '0', upperInclusive: true })).toEqual([2]);
  });

  it('refuses a chunk key of a type that has no order Siphon can split', async () => {
    const error = await failure(connector.keyBounds(table('keys'), 'nv'));
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toBe(`${label('keys')}, chunk key "nv" (nvarchar(20)): a chunk key must be an integer, date, datetime, datetime2, datetimeoffset or rowversion column, not nvarchar`);
  });

  it('samples keys without statistics and uses the histogram once statistics exist, balancing a skewed key', async () => {
    const spread = (sizes: number[]) => Math.max(...sizes) / [...sizes].sort((a, b) => a - b)[Math.floor(sizes.length / 2)]!;
    const sizes = async (ranges: ChunkRange[]) => {
      const { columns } = await connector.describe(table('skewed'), ['id']);
      const counts: number[] = [];
      for (const range of ranges) counts.push((await readAll({ target: table('skewed'), columns, key: { column: 'k', kind: 'integer' }, orderBy: [], range })).length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(100_000);
      return counts;
    };
    const bounds: KeyBounds = await connector.keyBounds(table('skewed'), 'k');
    if (testDouble) expect((await connector.keyDistribution(table('skewed'), 'k', 'integer', 500)).method).toBe('sample');
    await sql.updateStatistics('skewed');
    const distribution = await connector.keyDistribution(table('skewed'), 'k', 'integer', 500);
    expect(distribution.method).toBe('statistics');
    const keys = distribution.points.map((p) => BigInt(p.key));
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const balanced = await sizes(planBalancedChunks(bounds, distribution, 8));
    expect(spread(balanced), balanced.join(',')).toBeLessThanOrEqual(1.5);
    expect(spread(await sizes(planChunks(bounds, 8)))).toBeGreaterThan(5);
  });
});

describe('queries', () => {
  const query = (text: string): ReadTarget => ({ kind: 'query', sql: text });

  it('describes, bounds and reads the result of a SELECT of its own', async () => {
    const target = query(`SELECT id, bi, dto, nvc AS label FROM [${sql.schema}].[every_type] WHERE id >= 2 -- a trailing comment`);
    const { columns, primaryKey } = await connector.describe(target);
    expect(primaryKey).toEqual([]);
    expect(columns).toEqual([
      { name: 'id', sourceType: 'int', nullable: false, type: { kind: 'int32' } },
      { name: 'bi', sourceType: 'bigint', nullable: true, type: { kind: 'int64' } },
      { name: 'dto', sourceType: 'datetimeoffset(7)', nullable: true, type: { kind: 'timestampOffset' } },
      { name: 'label', sourceType: 'nvarchar(100)', nullable: true, type: { kind: 'string' } },
    ]);
    expect(await connector.keyBounds(target, 'id')).toEqual({ kind: 'integer', min: '2', max: '5', nullable: false, rowsEstimate: 4 });
    const rows = await readAll({ target, columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '2', upper: '4', upperInclusive: false } });
    const expected = expectedRows();
    expect(rows).toEqual([2, 3].map((id) => [id, expected[id - 1]!.bi, expected[id - 1]!.dto, expected[id - 1]!.nvc]));
    const sample = await connector.keyDistribution(target, 'id', 'integer', 10);
    expect(sample.points.map((p) => p.key).sort()).toEqual(['2', '3', '4', '5']);
  });

  it('names the column the server cannot find, and refuses types with no exact mapping', async () => {
    const missing = await failure(connector.describe(query(`SELECT id, nope FROM [${sql.schema}].[every_type]`)));
    expect(missing).toBeInstanceOf(NonRetryableError);
    expect(missing.message).toBe(`Query cannot be described by ${sql.label}: Invalid column name 'nope'.`);
    const odd = await failure(connector.describe(table('odd')));
    expect(odd).toBeInstanceOf(NonRetryableError);
    expect(odd.message).toMatch(new RegExp(`^${label('odd').replace('.', '\\.')}, column "place" \\(geography\\): type geography is not supported`));
    expect((await connector.describe(table('odd'), ['id', 'label'])).columns.map((c) => c.type.kind)).toEqual(['int32', 'string']);
    const unknown = await failure(connector.describe(table('nope')));
    expect(unknown.message).toBe(`${label('nope')} was not found in ${sql.label} (or this login cannot see it)`);
  });

  it.skipIf(!testDouble)('refuses a statement outside its subset with an error naming it, never a wrong answer', async () => {
    const pool = new mssql.ConnectionPool(sqlServerConfig(sql.url, sql.source));
    await pool.connect();
    try {
      const error = await failure(pool.request().query('DELETE FROM dbo.every_type WHERE id = 1'));
      expect((error as any).number).toBe(102);
      expect(error.message).toContain('outside the T-SQL subset that the Siphon TDS test server translates to PostgreSQL: DELETE FROM dbo.every_type WHERE id = 1');
      const union = await failure(pool.request().query('SELECT id FROM dbo.every_type UNION SELECT id FROM dbo.keys'));
      expect(union.message).toMatch(/Incorrect syntax near 'UNION'.*SELECT id FROM dbo\.every_type UNION/);
      const fn = await failure(pool.request().query('SELECT SOUNDEX(nvc) FROM dbo.every_type'));
      expect(fn.message).toBe("'soundex' is not a recognized built-in function name.");
      // The connection is still good.
      expect((await pool.request().query('SELECT COUNT_BIG(*) AS n FROM dbo.every_type')).recordset[0].n).toBe('5');
    } finally {
      await pool.close();
    }
  });
});

describe('streaming', () => {
  it('pulls batches on demand: the server waits for the reader, and memory stays flat', async () => {
    const lazy = await SqlServerConnector.connect(sql.url, sql.source);
    const { columns } = await lazy.describe(table('lazy_rows'));
    const sentBefore = sql.server?.stats.rowsSent ?? 0;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const batches = lazy.readChunk({ target: table('lazy_rows'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'all' }, batchRows: 1000 })[Symbol.asyncIterator]();
    const first = await batches.next();
    const second = await batches.next();
    expect(first.value).toHaveLength(1000);
    expect((second.value as unknown[][])[999]).toEqual([1999, 'x'.repeat(200)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    global.gc?.();
    // 200k rows of 400 bytes do not fit in socket buffers: the server is blocked writing.
    if (sql.server) expect(sql.server.stats.rowsSent - sentBefore).toBeLessThan(100_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);

    let total = 2000;
    let peak = 0;
    for (;;) {
      const next = await batches.next();
      if (next.done) break;
      total += (next.value as unknown[][]).length;
      if (total % 50_000 === 0) {
        // What the reader retains, not garbage a loaded machine has yet to collect.
        global.gc?.();
        peak = Math.max(peak, process.memoryUsage().heapUsed - heapBefore);
      }
    }
    expect(total).toBe(200_000);
    expect(peak).toBeLessThan(60 * 1024 * 1024);
    await lazy.close();
  });

  it('cancels a chunk the reader abandons: ATTENTION, acknowledged, cursor closed, connection reusable', async () => {
    const attentions = sql.server?.stats.attentions ?? 0;
    const lazy = await SqlServerConnector.connect(sql.url, sql.source);
    const { columns } = await lazy.describe(table('lazy_rows'));
    const batches = lazy.readChunk({ target: table('lazy_rows'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'all' }, batchRows: 1000 })[Symbol.asyncIterator]();
    await batches.next();
    const started = Date.now();
    await batches.return?.();
    expect(Date.now() - started).toBeLessThan(10_000);
    if (sql.server) {
      expect(sql.server.stats.attentions).toBe(attentions + 1);
      expect(sql.server.stats.openCursors).toBe(0);
    }
    expect(await lazy.keyBounds(table('lazy_rows'), 'id')).toMatchObject({ min: '0', max: '199999' });
    await lazy.close();
  });

  it.skipIf(!testDouble)('fails a chunk whose connection drops mid-result with a retryable error; the retry reads every row once', async () => {
    const { columns } = await connector.describe(table('lazy_rows'), ['id']);
    const request = { target: table('lazy_rows'), columns, key: { column: 'id', kind: 'integer' as const }, orderBy: ['id'], range: { kind: 'range' as const, lower: '0', upper: '50000', upperInclusive: false } };
    sql.server!.dropConnectionAfterRows(12_345, /lazy_rows/);
    const dropped = await failure(readAll(request));
    expect(dropped).not.toBeInstanceOf(NonRetryableError);
    expect(dropped.message.startsWith(`${sql.label}: `)).toBe(true);
    const retried = await SqlServerConnector.connect(sql.url, sql.source);
    const rows = await readAll(request, retried);
    expect(rows.map((row) => row[0])).toEqual(Array.from({ length: 50_000 }, (_, i) => i));
    await retried.close();
  });
});

describe('connections', () => {
  it('fails a wrong password with the server named, no secret in the message, and no retry', async () => {
    const wrong = sql.url.replace(/Password=[^;]*/i, 'Password=Wr0ng-s3cret');
    const error = await failure(SqlServerConnector.connect(wrong, sql.source));
    expect(error).toBeInstanceOf(NonRetryableError);
    const user = /User Id=([^;]*)/i.exec(sql.url)![1];
    expect(error.message).toBe(`${sql.label}: Login failed for user '${user}'.`);
    expect(error.message).not.toContain('Wr0ng-s3cret');
    expect(error.message).not.toContain(testLogin.password);
  });

  it.skipIf(!testDouble)('refuses to log in a client that wants encryption the server does not offer', async () => {
    const error = await failure(SqlServerConnector.connect(sql.url, { ...sql.source, encrypt: true, trustServerCertificate: true }));
    expect(error.message).toMatch(/does not support encryption; connect with encrypt: false/);
  });
});
