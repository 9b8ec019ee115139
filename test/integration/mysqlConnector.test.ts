import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBalancedChunks } from '../../src/copy/planBalancedChunks.js';
import { planChunks } from '../../src/copy/planChunks.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import { daysFromCivil, isoFromMicros, microsPerDay } from '../../src/formats/canonicalValues.js';
import type { ChunkRange, Column } from '../../src/spec/columns.js';
import { MysqlConnector } from '../../src/sources/mysql/mysqlConnector.js';
import type { KeyBounds, KeyKind, ReadChunkRequest, ReadTarget } from '../../src/sources/sourceConnector.js';
import { createTestMysqlDatabase, mysqlServerUrl, type TestMysqlDatabase } from '../support/testMariadb.js';

let db: TestMysqlDatabase;
let connector: MysqlConnector;
let mariadb = false;

const table = (name: string): ReadTarget => ({ kind: 'table', table: { name } });

function micros(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, fraction = 0n): bigint {
  return BigInt(daysFromCivil(y, mo, d)) * microsPerDay + BigInt(h * 3600 + mi * 60 + s) * 1_000_000n + fraction;
}

async function readAll(request: Omit<ReadChunkRequest, 'batchRows'> & { batchRows?: number }, target = connector): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const batch of target.readChunk({ batchRows: 1000, ...request })) rows.push(...batch);
  return rows;
}

async function expectNonRetryable(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(NonRetryableError);
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else expect((error as Error).message).toMatch(message);
}

/** n rows numbered 0..n-1, made by the server from a cross join of digits (no per-row round trips). */
function numbers(n: number): string {
  return `(SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n
             FROM digits a, digits b, digits c, digits e, digits f, digits g) AS nums WHERE n < ${n}`;
}

beforeAll(async () => {
  db = await createTestMysqlDatabase('mysql_connector');
  const [version] = await db.query<{ v: string }>('SELECT VERSION() AS v');
  mariadb = /mariadb/i.test(version!.v);
  await db.query('CREATE TABLE digits (d int NOT NULL PRIMARY KEY)');
  await db.query('INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)');
  connector = await MysqlConnector.connect(db.url);
});

afterAll(async () => {
  await connector?.close();
  await db?.drop();
});

describe('every type', () => {
  const big = randomBytes(1024 * 1024);
  const longText = '𝄞😀 ünïcödé '.repeat(20_000);

  // Per column: the value inserted in rows 1 (minimums), 2 (maximums), 4 (ordinary) and the canonical
  // value the connector must yield; row 3 is all NULL.
  type Case = { name: string; sql: string; type: Column['type']; values: [unknown, unknown, unknown]; expected: [unknown, unknown, unknown] };
  const cases = (): Case[] => [
    { name: 'ti', sql: 'tinyint', type: { kind: 'int16' }, values: [-128, 127, 0], expected: [-128, 127, 0] },
    { name: 'tiu', sql: 'tinyint unsigned', type: { kind: 'int16' }, values: [0, 255, 7], expected: [0, 255, 7] },
    { name: 'flag', sql: 'boolean', type: { kind: 'int16' }, values: [-128, 127, 1], expected: [-128, 127, 1] },
    { name: 'si', sql: 'smallint', type: { kind: 'int16' }, values: [-32768, 32767, -1], expected: [-32768, 32767, -1] },
    { name: 'siu', sql: 'smallint unsigned', type: { kind: 'int32' }, values: [0, 65535, 1], expected: [0, 65535, 1] },
    { name: 'mi', sql: 'mediumint', type: { kind: 'int32' }, values: [-8388608, 8388607, 5], expected: [-8388608, 8388607, 5] },
    { name: 'miu', sql: 'mediumint unsigned', type: { kind: 'int32' }, values: [0, 16777215, 5], expected: [0, 16777215, 5] },
    { name: 'i', sql: 'int', type: { kind: 'int32' }, values: [-2147483648, 2147483647, 42], expected: [-2147483648, 2147483647, 42] },
    { name: 'iu', sql: 'int unsigned', type: { kind: 'int64' }, values: [0, 4294967295, 42], expected: [0n, 4294967295n, 42n] },
    { name: 'bi', sql: 'bigint', type: { kind: 'int64' }, values: ['-9223372036854775808', '9223372036854775807', '9223372036854775806'], expected: [-9223372036854775808n, 9223372036854775807n, 9223372036854775806n] },
    { name: 'biu', sql: 'bigint unsigned', type: { kind: 'uint64' }, values: ['0', '18446744073709551615', '18446744073709551614'], expected: [0n, 18446744073709551615n, 18446744073709551614n] },
    { name: 'dec38', sql: 'decimal(38,10)', type: { kind: 'decimal', precision: 38, scale: 10 }, values: ['-9999999999999999999999999999.9999999999', '9999999999999999999999999999.9999999999', '0.0000000001'], expected: ['-9999999999999999999999999999.9999999999', '9999999999999999999999999999.9999999999', '0.0000000001'] },
    { name: 'dec5', sql: 'decimal(5,2)', type: { kind: 'decimal', precision: 5, scale: 2 }, values: ['-999.99', '999.99', '-0.5'], expected: ['-999.99', '999.99', '-0.50'] },
    { name: 'f', sql: 'float', type: { kind: 'float32' }, values: [-1.2345678e-30, 3.4e38, 1.2345678], expected: [Math.fround(-1.2345678e-30), Math.fround(3.4e38), Math.fround(1.2345678)] },
    { name: 'd', sql: 'double', type: { kind: 'float64' }, values: [-1.7976931348623157e308, 2.2250738585072014e-308, 0.1 + 0.2], expected: [-1.7976931348623157e308, 2.2250738585072014e-308, 0.30000000000000004] },
    { name: 'b1', sql: 'bit(1)', type: { kind: 'boolean' }, values: [Buffer.from([0]), Buffer.from([1]), Buffer.from([1])], expected: [false, true, true] },
    { name: 'b64', sql: 'bit(64)', type: { kind: 'uint64' }, values: [Buffer.alloc(8), Buffer.alloc(8, 0xff), Buffer.from('8000000000000001', 'hex')], expected: [0n, 18446744073709551615n, 9223372036854775809n] },
    { name: 'c', sql: 'char(10)', type: { kind: 'string' }, values: ['', 'ＡＢＣ😀', 'x'], expected: ['', 'ＡＢＣ😀', 'x'] },
    { name: 'vc', sql: 'varchar(100)', type: { kind: 'string' }, values: ['', 'emoji 😀 clef 𝄞 han 𠀋', "quote ' back \\ tab \t nl \n"], expected: ['', 'emoji 😀 clef 𝄞 han 𠀋', "quote ' back \\ tab \t nl \n"] },
    { name: 'tt', sql: 'tinytext', type: { kind: 'string' }, values: ['', '😀', 'a'], expected: ['', '😀', 'a'] },
    { name: 't', sql: 'text', type: { kind: 'string' }, values: ['', '𝄞'.repeat(1000), 'b'], expected: ['', '𝄞'.repeat(1000), 'b'] },
    { name: 'mt', sql: 'mediumtext', type: { kind: 'string' }, values: ['', 'mediumtext 😀', 'c'], expected: ['', 'mediumtext 😀', 'c'] },
    { name: 'lt', sql: 'longtext', type: { kind: 'string' }, values: ['', longText, 'd'], expected: ['', longText, 'd'] },
    { name: 'e', sql: "enum('small','medium','large 😀')", type: { kind: 'string' }, values: ['small', 'large 😀', 'medium'], expected: ['small', 'large 😀', 'medium'] },
    { name: 's', sql: "set('red','green','blue')", type: { kind: 'string' }, values: ['', 'red,green,blue', 'green'], expected: ['', 'red,green,blue', 'green'] },
    { name: 'bin', sql: 'binary(4)', type: { kind: 'binary' }, values: [Buffer.alloc(4), Buffer.alloc(4, 0xff), Buffer.from('ab')], expected: [new Uint8Array(4), new Uint8Array([255, 255, 255, 255]), new Uint8Array([0x61, 0x62, 0, 0])] },
    { name: 'vbin', sql: 'varbinary(300)', type: { kind: 'binary' }, values: [Buffer.alloc(0), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0])], expected: [new Uint8Array(0), new Uint8Array(Array.from({ length: 256 }, (_, i) => i)), new Uint8Array([0])] },
    { name: 'tb', sql: 'tinyblob', type: { kind: 'binary' }, values: [Buffer.alloc(0), Buffer.alloc(255, 7), Buffer.from([1])], expected: [new Uint8Array(0), new Uint8Array(255).fill(7), new Uint8Array([1])] },
    { name: 'bl', sql: 'blob', type: { kind: 'binary' }, values: [Buffer.alloc(0), Buffer.from('blob'), Buffer.from([2])], expected: [new Uint8Array(0), new TextEncoder().encode('blob'), new Uint8Array([2])] },
    { name: 'mb', sql: 'mediumblob', type: { kind: 'binary' }, values: [Buffer.alloc(0), big, Buffer.from([3])], expected: [new Uint8Array(0), 'big', new Uint8Array([3])] },
    { name: 'lb', sql: 'longblob', type: { kind: 'binary' }, values: [Buffer.alloc(0), Buffer.from([0xde, 0xad]), Buffer.from([4])], expected: [new Uint8Array(0), new Uint8Array([0xde, 0xad]), new Uint8Array([4])] },
    { name: 'j', sql: 'json', type: { kind: 'json' }, values: ['[]', '{"a": [1, 2.5, "😀"], "b": null, "n": 12345678901234567890}', '"text"'], expected: ['[]', '{"a": [1, 2.5, "😀"], "b": null, "n": 12345678901234567890}', '"text"'] },
    // MariaDB documents DATE from 1000-01-01 but stores 0001-01-01 too; both ends must survive.
    { name: 'dt', sql: 'date', type: { kind: 'date' }, values: ['1000-01-01', '9999-12-31', '0001-01-01'], expected: [-354_285, 2_932_896, -719_162] },
    { name: 'dtm', sql: 'datetime(6)', type: { kind: 'timestamp', utc: false }, values: ['1000-01-01 00:00:00.000000', '9999-12-31 23:59:59.999999', '2024-02-29 12:34:56.000001'], expected: [micros(1000, 1, 1), micros(9999, 12, 31, 23, 59, 59, 999_999n), micros(2024, 2, 29, 12, 34, 56, 1n)] },
    { name: 'dtm0', sql: 'datetime', type: { kind: 'timestamp', utc: false }, values: ['0001-01-01 00:00:00', '9999-12-31 23:59:59', '1969-12-31 23:59:59'], expected: [micros(1, 1, 1), micros(9999, 12, 31, 23, 59, 59), -1_000_000n] },
    { name: 'ts', sql: 'timestamp(6) NULL', type: { kind: 'timestamp', utc: true }, values: ['1970-01-01 00:00:01.000000', '2038-01-19 03:14:07.999999', '2024-02-29 12:34:56.000001'], expected: [1_000_000n, 2_147_483_647_999_999n, micros(2024, 2, 29, 12, 34, 56, 1n)] },
    { name: 'tm', sql: 'time(6)', type: { kind: 'time' }, values: ['00:00:00.000000', '23:59:59.999999', '12:00:00.5'], expected: [0n, 86_399_999_999n, 43_200_500_000n] },
    { name: 'y', sql: 'year', type: { kind: 'int16' }, values: [1901, 2155, 0], expected: [1901, 2155, 0] },
    ...(mariadb
      ? ([
          { name: 'u', sql: 'uuid', type: { kind: 'uuid' }, values: ['00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '123e4567-e89b-12d3-a456-426614174000'], expected: ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '123e4567-e89b-12d3-a456-426614174000'] },
          { name: 'ip', sql: 'inet6', type: { kind: 'string' }, values: ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:192.0.2.1'], expected: ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:192.0.2.1'] },
        ] satisfies Case[])
      : []),
  ];

  beforeAll(async () => {
    const all = cases();
    await db.query(`CREATE TABLE every_type (id int NOT NULL PRIMARY KEY, ${all.map((c) => `\`${c.name}\` ${c.sql}`).join(', ')})`);
    const insert = `INSERT INTO every_type (id, ${all.map((c) => `\`${c.name}\``).join(', ')}) VALUES (?, ${all.map(() => '?').join(', ')})`;
    await db.query(insert, [1, ...all.map((c) => c.values[0])]);
    await db.query(insert, [2, ...all.map((c) => c.values[1])]);
    await db.query(insert, [3, ...all.map(() => null)]);
    await db.query(insert, [4, ...all.map((c) => c.values[2])]);
  });

  it('describes every column with its output type and the primary key', async () => {
    const description = await connector.describe(table('every_type'));
    expect(description.primaryKey).toEqual(['id']);
    expect(description.columns[0]).toEqual({ name: 'id', sourceType: mariadb ? 'int(11)' : 'int', nullable: false, type: { kind: 'int32' } });
    expect(description.columns.slice(1).map((c) => [c.name, c.type, c.nullable])).toEqual(cases().map((c) => [c.name, c.type, true]));
    expect(description.columns.find((c) => c.name === 'j')!.sourceType).toBe('json');
    expect(description.columns.find((c) => c.name === 'dec38')!.sourceType).toBe('decimal(38,10)');
  });

  it('yields every value in its canonical form (min, max, NULL, ordinary)', async () => {
    const { columns } = await connector.describe(table('every_type'));
    const rows = await readAll({ target: table('every_type'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '1', upper: '4', upperInclusive: true }, batchRows: 3 });
    expect(rows.map((row) => row[0])).toEqual([1, 2, 3, 4]);
    const all = cases();
    const rowOf = [0, 1, undefined, 2] as const;
    rows.forEach((row, r) => {
      all.forEach((c, i) => {
        const value = row[i + 1];
        const which = rowOf[r];
        const expected = which === undefined ? null : c.expected[which];
        if (expected === 'big') {
          expect(value).toBeInstanceOf(Uint8Array);
          expect(Buffer.compare(Buffer.from(value as Uint8Array), big), `${c.name} row ${r + 1}`).toBe(0);
        } else {
          expect(value, `${c.name} row ${r + 1}`).toEqual(expected);
          if (expected !== null) expect(typeof value, `${c.name} row ${r + 1}`).toBe(typeof expected);
        }
      });
    });
  });

  it('reads a query target with the same types, JSON included', async () => {
    const target: ReadTarget = { kind: 'query', sql: 'SELECT id, biu, dec38, f, j, ts, dtm, b1, b64, vbin, e FROM every_type WHERE id <> 3 -- no NULL row;' };
    const { columns, primaryKey } = await connector.describe(target);
    expect(primaryKey).toEqual([]);
    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ['id', { kind: 'int32' }],
      ['biu', { kind: 'uint64' }],
      ['dec38', { kind: 'decimal', precision: 38, scale: 10 }],
      ['f', { kind: 'float32' }],
      ['j', { kind: 'json' }],
      ['ts', { kind: 'timestamp', utc: true }],
      ['dtm', { kind: 'timestamp', utc: false }],
      ['b1', { kind: 'boolean' }],
      ['b64', { kind: 'uint64' }],
      ['vbin', { kind: 'binary' }],
      ['e', { kind: 'string' }],
    ]);
    const rows = await readAll({ target, columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '2', upper: '4', upperInclusive: false } });
    expect(rows).toEqual([[2, 18446744073709551615n, '9999999999999999999999999999.9999999999', Math.fround(3.4e38), '{"a": [1, 2.5, "😀"], "b": null, "n": 12345678901234567890}', 2_147_483_647_999_999n, micros(9999, 12, 31, 23, 59, 59, 999_999n), true, 18446744073709551615n, new Uint8Array(Array.from({ length: 256 }, (_, i) => i)), 'large 😀']]);
    const described = await connector.describe(target, ['ts', 'id']);
    expect(described.columns.map((c) => c.name)).toEqual(['ts', 'id']);
  });

  it('binds 64-bit and microsecond bounds exactly', async () => {
    const columns = (await connector.describe(table('every_type'), ['id'])).columns;
    const ids = async (column: string, kind: KeyKind, range: ChunkRange) => (await readAll({ target: table('every_type'), columns, key: { column, kind }, orderBy: ['id'], range })).map((row) => row[0]);
    expect(await ids('biu', 'integer', { kind: 'range', lower: '18446744073709551615', upper: '18446744073709551615', upperInclusive: true })).toEqual([2]);
    expect(await ids('biu', 'integer', { kind: 'range', lower: '18446744073709551614', upper: '18446744073709551615', upperInclusive: false })).toEqual([4]);
    expect(await ids('bi', 'integer', { kind: 'range', lower: '9223372036854775807', upper: '9223372036854775807', upperInclusive: true })).toEqual([2]);
    expect(await ids('bi', 'integer', { kind: 'range', lower: '-9223372036854775808', upper: '9223372036854775807', upperInclusive: false })).toEqual([1, 4]);
    const leap = micros(2024, 2, 29, 12, 34, 56, 1n);
    expect(await ids('dtm', 'timestamp', { kind: 'range', lower: String(leap), upper: String(leap + 1n), upperInclusive: false })).toEqual([4]);
    expect(await ids('dtm', 'timestamp', { kind: 'range', lower: String(leap + 1n), upper: String(micros(9999, 12, 31, 23, 59, 59, 999_998n)), upperInclusive: true })).toEqual([]);
    expect(await ids('ts', 'timestamptz', { kind: 'range', lower: '2147483647999999', upper: '2147483647999999', upperInclusive: true })).toEqual([2]);
    expect(await ids('dt', 'date', { kind: 'range', lower: '-719162', upper: '-354285', upperInclusive: false })).toEqual([4]);
    expect(await ids('dt', 'date', { kind: 'nullKey' })).toEqual([3]);
    expect(await ids('dt', 'date', { kind: 'all' })).toHaveLength(4);
  });

  it('reports key bounds as digits, with nullability and an estimate', async () => {
    expect(await connector.keyBounds(table('every_type'), 'id')).toMatchObject({ kind: 'integer', min: '1', max: '4', nullable: false });
    expect(await connector.keyBounds(table('every_type'), 'biu')).toMatchObject({ kind: 'integer', min: '0', max: '18446744073709551615', nullable: true });
    expect(await connector.keyBounds(table('every_type'), 'bi')).toMatchObject({ min: '-9223372036854775808', max: '9223372036854775807' });
    expect(await connector.keyBounds(table('every_type'), 'dt')).toMatchObject({ kind: 'date', min: '-719162', max: '2932896' });
    expect(await connector.keyBounds(table('every_type'), 'dtm')).toMatchObject({ kind: 'timestamp', min: String(micros(1000, 1, 1)), max: String(micros(9999, 12, 31, 23, 59, 59, 999_999n)) });
    expect(await connector.keyBounds(table('every_type'), 'ts')).toMatchObject({ kind: 'timestamptz', min: '1000000', max: '2147483647999999' });
    const bounds = await connector.keyBounds(table('every_type'), 'id');
    expect(bounds.rowsEstimate).toBeGreaterThanOrEqual(0);
    expect(await connector.keyBounds({ kind: 'query', sql: 'SELECT id FROM every_type WHERE id > 1' }, 'id')).toEqual({ kind: 'integer', min: '2', max: '4', nullable: true, rowsEstimate: 0 });
  });

  it('refuses a chunk key that is not an integer, date or timestamp', async () => {
    await expectNonRetryable(connector.keyBounds(table('every_type'), 'vc'), `Table ${db.name}.every_type, chunk key "vc" (varchar(100)): a chunk key must be an integer, date, datetime or timestamp column, not varchar(100)`);
  });
});

describe('values and types with no faithful mapping', () => {
  beforeAll(async () => {
    await db.query("SET SESSION sql_mode = ''");
    await db.query('CREATE TABLE zero_dates (id int PRIMARY KEY, d date, dtm datetime, tm time)');
    await db.query("INSERT INTO zero_dates VALUES (1, '0000-00-00', '2024-01-01', '00:00:00'), (2, '2024-01-01', '0000-00-00 00:00:00', '00:00:00'), (3, '2024-01-01', '2024-01-01', '838:59:59'), (4, '2024-01-01', '2024-01-01', '-00:00:01')");
    await db.query("SET SESSION sql_mode = DEFAULT");
    await db.query('CREATE TABLE places (id int PRIMARY KEY, name varchar(10), geo point, area polygon)');
  });

  it('fails a zero date, a zero datetime and out-of-day times naming table and column', async () => {
    const { columns } = await connector.describe(table('zero_dates'));
    const read = (id: number) => readAll({ target: table('zero_dates'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: String(id), upper: String(id), upperInclusive: true } });
    await expectNonRetryable(read(1), `Table ${db.name}.zero_dates, column "d" (date): zero date '0000-00-00' names no day; replace it with NULL in the source or map it in a query`);
    await expectNonRetryable(read(2), `Table ${db.name}.zero_dates, column "dtm" (datetime): zero date '0000-00-00 00:00:00' names no day; replace it with NULL in the source or map it in a query`);
    await expectNonRetryable(read(3), new RegExp(`^Table ${db.name}\\.zero_dates, column "tm" \\(time\\): time '838:59:59' is outside 00:00:00\\.\\.23:59:59\\.999999`));
    await expectNonRetryable(read(4), /column "tm" \(time\): time '-00:00:01' is outside/);
    // The connector is still usable after a failed chunk.
    expect(await connector.keyBounds(table('zero_dates'), 'id')).toMatchObject({ min: '1', max: '4' });
  });

  it('fails describe on spatial columns naming table, every column and type', async () => {
    await expectNonRetryable(
      connector.describe(table('places')),
      `Table ${db.name}.places, column "geo" (point): spatial type point is not supported; select ST_AsText() or ST_AsWKB() of it in a query; ` +
        `Table ${db.name}.places, column "area" (polygon): spatial type polygon is not supported; select ST_AsText() or ST_AsWKB() of it in a query`,
    );
    // Leaving the column out, or converting it in a query, works.
    expect((await connector.describe(table('places'), ['id', 'name'])).columns.map((c) => c.type.kind)).toEqual(['int32', 'string']);
    expect((await connector.describe({ kind: 'query', sql: 'SELECT id, ST_AsText(geo) AS geo FROM places' })).columns.map((c) => c.type.kind)).toEqual(['int32', 'string']);
    await expectNonRetryable(connector.describe({ kind: 'query', sql: 'SELECT geo FROM places' }), 'Query, column "geo" (point): spatial type point is not supported; select ST_AsText() or ST_AsWKB() of it in a query');
  });

  it('describes a decimal wider than 38 digits as itself (only Parquet refuses it, at plan)', async () => {
    expect((await connector.describe({ kind: 'query', sql: 'SELECT CAST(1 AS DECIMAL(65,30)) AS wide' })).columns[0]!.type).toEqual({ kind: 'decimal', precision: 65, scale: 30 });
  });

  it('names an unknown table and an unknown column', async () => {
    await expectNonRetryable(connector.describe(table('nope')), `Table ${db.name}.nope was not found in the source (or has no columns)`);
    await expectNonRetryable(connector.describe(table('places'), ['id', 'nope', 'nada']), `Table ${db.name}.places has no column "nope", "nada"`);
    await expectNonRetryable(connector.keyBounds(table('places'), 'nope'), `Table ${db.name}.places has no column "nope"`);
    await expectNonRetryable(connector.describe({ kind: 'query', sql: 'SELECT id FROM places' }, ['nope']), 'Query has no column "nope"');
    await expectNonRetryable(connector.describe({ kind: 'query', sql: 'SELECT nope FROM places' }), /^Query: Unknown column 'nope'/);
    await expectNonRetryable(connector.describe({ kind: 'query', sql: 'SELECT * FROM no_such_table' }), /^Query: Table '.*no_such_table' doesn't exist/);
  });
});

describe('connections', () => {
  it('reads a table of another database named by schema, and needs one without a database', async () => {
    const serverWide = await MysqlConnector.connect(mysqlServerUrl);
    try {
      expect((await serverWide.describe({ kind: 'table', table: { schema: db.name, name: 'digits' } })).primaryKey).toEqual(['d']);
      await expectNonRetryable(serverWide.describe(table('digits')), 'Table digits: no schema given and the connection string names no database');
    } finally {
      await serverWide.close();
    }
  });

  it('never repeats the connection string (or its password) in an error', async () => {
    const error = await MysqlConnector.connect('mysql://root:s3cretPassw0rd@127.0.0.1:1/nowhere').then(() => undefined, (err: unknown) => err as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/^Cannot open a MySQL\/MariaDB session/);
    expect(error!.message).not.toContain('s3cretPassw0rd');
    const invalid = await MysqlConnector.connect('not a url s3cretPassw0rd').then(() => undefined, (err: unknown) => err as Error);
    expect(invalid).toBeInstanceOf(NonRetryableError);
    expect(invalid!.message).not.toContain('s3cretPassw0rd');
  });
});

describe('streaming', () => {
  beforeAll(async () => {
    await db.query('CREATE TABLE lazy_rows (id int NOT NULL PRIMARY KEY, pad char(200) NOT NULL)');
    await db.query(`INSERT INTO lazy_rows SELECT n, REPEAT('x', 200) FROM ${numbers(200_000)}`);
  });

  it('pulls batches on demand, leaves the rest on the server, and closes without a hang', async () => {
    const lazy = await MysqlConnector.connect(db.url);
    const { columns } = await lazy.describe(table('lazy_rows'));
    const heapBefore = process.memoryUsage().heapUsed;
    const batches = lazy.readChunk({ target: table('lazy_rows'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'all' }, batchRows: 1000 })[Symbol.asyncIterator]();
    const first = await batches.next();
    const second = await batches.next();
    expect(first.value).toHaveLength(1000);
    expect(second.value).toHaveLength(1000);
    expect((second.value as unknown[][])[999]).toEqual([1999, 'x'.repeat(200)]);

    // 200k rows of 200 characters do not fit in socket buffers: while the consumer holds its
    // batches the server is blocked writing, i.e. the rows were not all read ahead.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const running = async () => (await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT `id`, `pad` FROM %lazy_rows%'"))[0]!.n;
    expect(Number(await running())).toBe(1);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);

    const stop = async () => {
      await batches.return?.();
      // The connector stays usable after an abandoned chunk.
      expect(await lazy.keyBounds(table('lazy_rows'), 'id')).toMatchObject({ min: '0', max: '199999' });
      await lazy.close();
    };
    await expect(Promise.race([stop().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('hung'), 15_000))])).resolves.toBe('closed');
    for (let i = 0; i < 50 && Number(await running()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(Number(await running())).toBe(0);
  });

  it('reads a whole chunk in batches of the requested size', async () => {
    const { columns } = await connector.describe(table('lazy_rows'), ['id']);
    const sizes: number[] = [];
    let expected = 10_000;
    for await (const batch of connector.readChunk({ target: table('lazy_rows'), columns, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '10000', upper: '35000', upperInclusive: false }, batchRows: 7000 })) {
      sizes.push(batch.length);
      for (const row of batch) expect(row[0]).toBe(expected++);
    }
    expect(sizes).toEqual([7000, 7000, 7000, 4000]);
    expect(expected).toBe(35_000);
  });
});

describe('balanced chunks on a skewed key', () => {
  const rows = 200_000;
  const chunks = 10;

  beforeAll(async () => {
    // 90% of the rows have k in the lowest 10% of its range; `at` follows k one second per unit.
    await db.query('CREATE TABLE skewed (id int NOT NULL PRIMARY KEY, k int NOT NULL, at datetime(6) NOT NULL, KEY (k), KEY (at))');
    await db.query(`INSERT INTO skewed SELECT n, IF(n < 180000, FLOOR(n * 100000 / 180000), 100000 + (n - 180000) * 45),
                      TIMESTAMPADD(SECOND, IF(n < 180000, FLOOR(n * 100000 / 180000), 100000 + (n - 180000) * 45), '2020-01-01') FROM ${numbers(rows)}`);
  });

  async function chunkSizes(column: string, ranges: ChunkRange[], kind: KeyKind): Promise<number[]> {
    const sizes: number[] = [];
    for (const range of ranges) {
      expect(range.kind).toBe('range');
      if (range.kind !== 'range') continue;
      const parameter = (digits: string) => (kind === 'integer' ? digits : isoFromMicros(BigInt(digits), false));
      const [row] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM skewed WHERE \`${column}\` >= ? AND \`${column}\` ${range.upperInclusive ? '<=' : '<'} ?`, [parameter(range.lower), parameter(range.upper)]);
      sizes.push(Number(row!.n));
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(rows);
    return sizes;
  }

  const spread = (sizes: number[]) => {
    const sorted = [...sizes].sort((a, b) => a - b);
    return Math.max(...sizes) / sorted[Math.floor(sorted.length / 2)]!;
  };

  async function expectBalanced(target: ReadTarget, column: string, kind: KeyKind, method: 'statistics' | 'sample'): Promise<void> {
    const bounds: KeyBounds = await connector.keyBounds(target, column);
    expect(bounds.kind).toBe(kind);
    const distribution = await connector.keyDistribution(target, column, kind, 1000);
    expect(distribution.method).toBe(method);
    const keys = distribution.points.map((point) => BigInt(point.key));
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const balanced = await chunkSizes(column, planBalancedChunks(bounds, distribution, chunks), kind);
    const equalWidth = await chunkSizes(column, planChunks(bounds, chunks), kind);
    expect(balanced.length).toBeGreaterThanOrEqual(chunks - 1);
    expect(spread(balanced), `balanced ${balanced.join(',')}`).toBeLessThanOrEqual(1.5);
    expect(spread(equalWidth), `equal width ${equalWidth.join(',')}`).toBeGreaterThan(10);
  }

  it('samples when there are no statistics (integer key)', async () => {
    await expectBalanced(table('skewed'), 'k', 'integer', 'sample');
  });

  it('samples when there are no statistics (datetime key)', async () => {
    await expectBalanced(table('skewed'), 'at', 'timestamp', 'sample');
  });

  it('samples a query target from the derived table', async () => {
    const distribution = await connector.keyDistribution({ kind: 'query', sql: 'SELECT id, k FROM skewed WHERE k >= 100000' }, 'k', 'integer', 200);
    expect(distribution.method).toBe('sample');
    expect(distribution.points.length).toBeGreaterThan(100);
    expect(distribution.points.length).toBeLessThanOrEqual(200);
    expect(distribution.points.every((point) => BigInt(point.key) >= 100_000n && point.weight === 1)).toBe(true);
  });

  it.each(['DOUBLE_PREC_HB', 'JSON_HB'])('uses MariaDB %s histograms', async (histogramType) => {
    if (!mariadb) return;
    await db.query(`SET SESSION histogram_type = '${histogramType}'`);
    await db.query('ANALYZE TABLE skewed PERSISTENT FOR COLUMNS (k, at) INDEXES ()');
    await expectBalanced(table('skewed'), 'k', 'integer', 'statistics');
    // Binary histograms place dates by their YYYYMMDD number, so those fall back to a sample.
    await expectBalanced(table('skewed'), 'at', 'timestamp', histogramType === 'JSON_HB' ? 'statistics' : 'sample');
  });
});
