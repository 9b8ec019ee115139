import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column } from '../../src/spec/columns.js';
import { MysqlConnector } from '../../src/sources/mysql/mysqlConnector.js';
import type { ReadTarget } from '../../src/sources/sourceConnector.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';

/**
 * The connector lets mysql2 parse what it can itself: a BIGINT arrives as a number while it is a
 * safe integer and as its digits beyond, INT and YEAR as numbers, DECIMAL, dates and text as
 * strings. Each value read through readChunk must equal what the server writes as text
 * (CAST AS CHAR, HEX, DATEDIFF/TIMESTAMPDIFF computed by the server), at the edges where mysql2
 * switches between its forms: 2^53 either side of zero, 15 and 16 digits, 64-bit limits.
 */
const two53 = 2n ** 53n;
const signed = [0n, 1n, -1n, 99_999_999_999_999n, 999_999_999_999_999n, -999_999_999_999_999n, 1_000_000_000_000_000n, -1_000_000_000_000_000n,
  two53 - 2n, two53 - 1n, two53, two53 + 1n, two53 + 2n, -(two53 - 2n), -(two53 - 1n), -two53, -(two53 + 1n), -(two53 + 2n),
  -(2n ** 63n), -(2n ** 63n) + 1n, 2n ** 63n - 2n, 2n ** 63n - 1n];
const unsigned = [0n, two53 - 1n, two53, two53 + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n];
const ints = [-2_147_483_648, 2_147_483_647, 0, -1];
const uints = [0, 4_294_967_295, 2_147_483_648];
const decimals = ['-0.0000', '-0.0001', '0.0001', '99999999999999.9999', '-99999999999999.9999', '-0'];
const dates = ['0001-01-01', '1000-01-01', '9999-12-31', '1970-01-01', '1969-12-31', '2000-02-29'];
const datetimes = ['0001-01-01 00:00:00.000000', '9999-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00.000001', '2000-02-29 12:00:00.5'];
const years = [0, 1901, 2155, 2024];
const texts = ['𝄞😀 clef and grin', '👩‍👩‍👧 family', '𠀋 han beyond the BMP', 'plain ascii', ''];

const rowCount = Math.max(signed.length, unsigned.length, ints.length, uints.length, decimals.length, dates.length, datetimes.length, years.length, texts.length);

let db: TestMysqlDatabase;
let connector: MysqlConnector;
const edges: ReadTarget = { kind: 'table', table: { name: 'edges' } };

beforeAll(async () => {
  db = await createTestMysqlDatabase('mysql_driver_values');
  await db.query(`CREATE TABLE edges (id int NOT NULL PRIMARY KEY, bi bigint, biu bigint unsigned, i int, iu int unsigned, d decimal(18,4),
    dt date, dtm datetime(6), y year, s varchar(40)) CHARACTER SET utf8mb4`);
  for (let r = 0; r < rowCount; r++) {
    // Integers are bound as text so that the server, not a JS number, reads their digits.
    await db.query('INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      r + 1, signed[r]?.toString() ?? null, unsigned[r]?.toString() ?? null, ints[r] ?? null, uints[r] ?? null, decimals[r] ?? null,
      dates[r] ?? null, datetimes[r] ?? null, years[r] ?? null, texts[r] ?? null,
    ]);
  }
  connector = await MysqlConnector.connect(db.url);
});

afterAll(async () => {
  await connector?.close();
  await db?.drop();
});

/** The server's own text of every value, turned into the canonical form without Siphon's code. */
async function serverValues(): Promise<unknown[][]> {
  const rows = await db.query<Record<string, string | null>>(`SELECT id,
      CAST(bi AS CHAR) AS bi, CAST(biu AS CHAR) AS biu, CAST(i AS CHAR) AS i, CAST(iu AS CHAR) AS iu, CAST(d AS CHAR) AS d,
      CAST(DATEDIFF(dt, '1970-01-01') AS CHAR) AS dt, CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', dtm) AS CHAR) AS dtm,
      CAST(y AS CHAR) AS y, HEX(s) AS s
    FROM edges ORDER BY id`);
  const big = (text: string | null | undefined) => (text == null ? null : BigInt(text));
  const num = (text: string | null | undefined) => (text == null ? null : Number(text));
  return rows.map((row) => [
    Number(row.id), big(row.bi), big(row.biu), num(row.i), big(row.iu), row.d ?? null,
    num(row.dt), big(row.dtm), num(row.y), row.s == null ? null : Buffer.from(row.s, 'hex').toString('utf8'),
  ]);
}

async function readAll(columns: Column[], batchRows: number): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  const range = { kind: 'range' as const, lower: '1', upper: String(rowCount), upperInclusive: true };
  for await (const batch of connector.readChunk({ target: edges, columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range, batchRows })) rows.push(...batch);
  return rows;
}

describe('values as mysql2 hands them over decode to what the server says', () => {
  it('every column at the edges of the driver forms, in batches that split the rows', async () => {
    const { columns } = await connector.describe(edges);
    expect(columns.map((c) => c.type.kind)).toEqual(['int32', 'int64', 'uint64', 'int32', 'int64', 'decimal', 'date', 'timestamp', 'int16', 'string']);
    const expected = await serverValues();
    // A test that cannot fail is no test: the server really did keep the values at both sides of 2^53.
    expect(expected.map((row) => row[1])).toEqual([...signed, ...Array(rowCount - signed.length).fill(null)]);
    expect(expected.map((row) => row[2]).filter((v) => v !== null)).toEqual(unsigned);
    const actual = await readAll(columns, 7);
    expect(actual).toHaveLength(rowCount);
    actual.forEach((row, r) => {
      row.forEach((value, c) => {
        const want = expected[r]![c];
        expect(value, `row ${r + 1}, column ${columns[c]!.name}`).toEqual(want);
        if (want !== null) expect(typeof value, `row ${r + 1}, column ${columns[c]!.name}`).toBe(typeof want);
      });
    });
    // MariaDB keeps no negative zero in a DECIMAL: '-0.0000' and '-0' come back as 0.0000, and so must Siphon's.
    expect(actual[0]![5]).toBe('0.0000');
    expect(actual[5]![5]).toBe('0.0000');
  });

  it('key bounds, ranges and samples around 2^53 stay exact', async () => {
    await db.query('CREATE TABLE near53 (k bigint NOT NULL PRIMARY KEY, u bigint unsigned NOT NULL)');
    const keys = [-(two53 + 1n), -two53, -(two53 - 1n), two53 - 1n, two53, two53 + 1n];
    for (const [i, k] of keys.entries()) await db.query('INSERT INTO near53 VALUES (?, ?)', [k.toString(), (two53 - 1n + BigInt(i)).toString()]);
    const near53: ReadTarget = { kind: 'table', table: { name: 'near53' } };
    expect(await connector.keyBounds(near53, 'k')).toMatchObject({ kind: 'integer', min: String(-(two53 + 1n)), max: String(two53 + 1n) });
    expect(await connector.keyBounds(near53, 'u')).toMatchObject({ kind: 'integer', min: String(two53 - 1n), max: String(two53 + 4n) });
    const { columns } = await connector.describe(near53);
    const read = async (lower: bigint, upper: bigint) => {
      const rows: unknown[][] = [];
      for await (const batch of connector.readChunk({ target: near53, columns, key: { column: 'k', kind: 'integer' }, orderBy: ['k'], range: { kind: 'range', lower: String(lower), upper: String(upper), upperInclusive: true }, batchRows: 2 })) rows.push(...batch);
      return rows;
    };
    expect(await read(two53, two53)).toEqual([[two53, two53 + 3n]]);
    expect(await read(-two53, two53 - 1n)).toEqual([[-two53, two53], [-(two53 - 1n), two53 + 1n], [two53 - 1n, two53 + 2n]]);
    const { points } = await connector.keyDistribution(near53, 'k', 'integer', 100);
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) expect(keys.map(String)).toContain(point.key);
  });
});
