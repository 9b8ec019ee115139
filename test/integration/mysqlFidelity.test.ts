import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { allFormats, expectExactCopy, readBackRows, runPipeline } from '../support/readBack.js';

/**
 * Every MySQL/MariaDB type in the README's type map, at its extremes, copied through the functions
 * to every format and compression; DuckDB reads the manifest's files and each value must equal
 * the source's. Expected values come from MariaDB itself, computed in SQL as exact integers or
 * text (microseconds since the epoch, days, hex bytes), not from anything Siphon wrote.
 */
type ColumnCase = { name: string; sql: string; expected: string; parse?: (text: string | null) => unknown };

const bigint = (text: string | null) => (text === null ? null : BigInt(text));
const number = (text: string | null) => (text === null ? null : Number(text));
const hex = (text: string | null) => (text === null ? null : new Uint8Array(Buffer.from(text, 'hex')));
const flag = (text: string | null) => (text === null ? null : text === '1');
const micros = (column: string) => `CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${column}) AS CHAR)`;

const columns: ColumnCase[] = [
  { name: 'id', sql: 'INT PRIMARY KEY', expected: 'id', parse: number },
  { name: 'ti', sql: 'TINYINT', expected: 'ti', parse: number },
  { name: 'tiu', sql: 'TINYINT UNSIGNED', expected: 'tiu', parse: number },
  { name: 'si', sql: 'SMALLINT', expected: 'si', parse: number },
  { name: 'siu', sql: 'SMALLINT UNSIGNED', expected: 'siu', parse: number },
  { name: 'mi', sql: 'MEDIUMINT', expected: 'mi', parse: number },
  { name: 'miu', sql: 'MEDIUMINT UNSIGNED', expected: 'miu', parse: number },
  { name: 'i', sql: 'INT', expected: 'i', parse: number },
  { name: 'iu', sql: 'INT UNSIGNED', expected: 'CAST(iu AS CHAR)', parse: bigint },
  { name: 'bi', sql: 'BIGINT', expected: 'CAST(bi AS CHAR)', parse: bigint },
  { name: 'biu', sql: 'BIGINT UNSIGNED', expected: 'CAST(biu AS CHAR)', parse: bigint },
  { name: 'dec38', sql: 'DECIMAL(38,10)', expected: 'CAST(dec38 AS CHAR)' },
  { name: 'dec9', sql: 'DECIMAL(9,2)', expected: 'CAST(dec9 AS CHAR)' },
  { name: 'f', sql: 'FLOAT', expected: 'CAST(CAST(f AS DOUBLE) AS CHAR)', parse: number },
  { name: 'd', sql: 'DOUBLE', expected: 'CAST(d AS CHAR)', parse: number },
  { name: 'b1', sql: 'BIT(1)', expected: 'CAST(b1 + 0 AS CHAR)', parse: flag },
  { name: 'b64', sql: 'BIT(64)', expected: 'CAST(b64 + 0 AS CHAR)', parse: bigint },
  { name: 'yn', sql: 'BOOLEAN', expected: 'yn', parse: number },
  { name: 'c', sql: 'CHAR(5)', expected: 'c' },
  { name: 'vc', sql: 'VARCHAR(100)', expected: 'vc' },
  { name: 'lt', sql: 'LONGTEXT', expected: 'lt' },
  { name: 'bn', sql: 'BINARY(4)', expected: 'HEX(bn)', parse: hex },
  { name: 'vb', sql: 'VARBINARY(100)', expected: 'HEX(vb)', parse: hex },
  { name: 'bl', sql: 'LONGBLOB', expected: 'HEX(bl)', parse: hex },
  { name: 'js', sql: 'JSON', expected: 'js' },
  { name: 'e', sql: "ENUM('sad','happy')", expected: 'e' },
  { name: 'st', sql: "SET('a','b','c')", expected: 'st' },
  { name: 'dt', sql: 'DATE', expected: "CAST(DATEDIFF(dt, '1970-01-01') AS CHAR)", parse: number },
  { name: 'tm', sql: 'TIME(6)', expected: 'CAST(HOUR(tm) * 3600000000 + MINUTE(tm) * 60000000 + SECOND(tm) * 1000000 + MICROSECOND(tm) AS CHAR)', parse: bigint },
  { name: 'dtm', sql: 'DATETIME(6)', expected: micros('dtm'), parse: bigint },
  { name: 'ts', sql: 'TIMESTAMP(6) NULL', expected: micros('ts'), parse: bigint },
  { name: 'yr', sql: 'YEAR', expected: 'yr', parse: number },
  { name: 'uu', sql: 'UUID', expected: 'CAST(uu AS CHAR)' },
];

const bigBlob = randomBytes(1024 * 1024);

const rows: Array<Array<string | Buffer | null>> = [
  ['1', '-128', '0', '-32768', '0', '-8388608', '0', '-2147483648', '0', '-9223372036854775808', '0',
    '-9999999999999999999999999999.9999999999', '-9999999.99', '-3.40282e38', '-1.7976931348623157e308', '0', '0', '0',
    '', '', '', Buffer.from([0, 0, 0, 0]), Buffer.alloc(0), Buffer.alloc(0), '{"a":[1,2,{"b":null}]}', 'sad', '',
    '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '1970-01-01 00:00:01', '1901', '00000000-0000-0000-0000-000000000000'],
  ['2', '127', '255', '32767', '65535', '8388607', '16777215', '2147483647', '4294967295', '9223372036854775807', '18446744073709551615',
    '9999999999999999999999999999.9999999999', '9999999.99', '3.40282e38', '1.7976931348623157e308', '1', '18446744073709551615', '1',
    'abcde', 'quote " comma , newline \n cr \r end', '🚀 rocket 👩‍👩‍👧 family 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文', Buffer.from([255, 255, 255, 255]), randomBytes(100), bigBlob,
    '{"emoji":"👩‍👩‍👧","nested":{"k":[true,false,null]}}', 'happy', 'a,b,c',
    '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '2155', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ['3', '0', '1', '0', '1', '0', '1', '0', '1', '0', '9007199254740993',
    '0.0000000001', '0.01', '0.1', '0.1', '1', '9223372036854775808', '127',
    ' a ', ' leading and trailing ', 'NULL', Buffer.from([0, 10, 13, 44]), Buffer.from('"quoted",\n'), Buffer.from('binary'), 'null', 'sad', 'b',
    '1970-01-01', '12:34:56.5', '2024-05-01 12:34:56.123456', '2024-05-01 12:34:56.654321', '2024', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['4', '-1', '2', '-1', '2', '-1', '2', '-1', '2', '-1', '2',
    '-0.0000000001', '-0.01', '1.17549e-38', '5e-324', '0', '1', '-128',
    'x', 'NULL', 'null', Buffer.from('abcd'), Buffer.from([0]), Buffer.from([0]), '[1,"two",[3]]', 'happy', 'a,c',
    '1969-12-31', '00:00:00.000001', '1969-12-31 23:59:59.999999', '2000-02-29 00:00:00', '2000', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
  ['5', ...columns.slice(1).map(() => null)],
];

describe('every MySQL/MariaDB type in every format', () => {
  let env: TestEnvironment<TestMysqlDatabase>;
  let expected: Array<Record<string, unknown>>;

  beforeAll(async () => {
    env = await startTestEnvironment('mysql_fidelity', async (db) => {
      await db.query(`CREATE TABLE all_types (${columns.map((c) => `\`${c.name}\` ${c.sql}`).join(', ')}) CHARACTER SET utf8mb4`);
      // BIT columns take numbers, not the text of them.
      const placeholders = columns.map((c) => (c.sql.startsWith('BIT') ? 'CAST(? AS UNSIGNED)' : '?'));
      for (const row of rows) await db.query(`INSERT INTO all_types VALUES (${placeholders.join(', ')})`, row);
      const read = await db.query<Record<string, string | null>>(`SELECT ${columns.map((c) => `${c.expected} AS \`${c.name}\``).join(', ')} FROM all_types ORDER BY id`);
      expected = read.map((row) => Object.fromEntries(columns.map((c) => {
        const text = row[c.name] == null ? null : String(row[c.name]);
        return [c.name, c.parse ? c.parse(text) : text];
      })));
    }, { createDatabase: createTestMysqlDatabase });
  });

  afterAll(async () => {
    await env?.stop();
  });

  const pipeline = {
    id: 'mysql-types',
    source: { engine: 'mysql', connectionSetting: testSourceSetting },
    table: { name: 'all_types' },
    chunking: { column: 'id', chunks: 2 },
    output: { container: 'fidelity' },
  };

  it.each(allFormats)('copies every value exactly to $format ($compression)', async (format) => {
    const manifest = await expectExactCopy(env, pipeline, format, expected);
    const types = Object.fromEntries(manifest.columns.map((column) => [column.name, column.type]));
    expect(types).toMatchObject({ biu: { kind: 'uint64' }, iu: { kind: 'int64' }, dec38: { kind: 'decimal', precision: 38, scale: 10 }, ts: { kind: 'timestamp', utc: true }, dtm: { kind: 'timestamp', utc: false }, js: { kind: 'json' }, uu: { kind: 'uuid' }, b1: { kind: 'boolean' } });
  });

  it('copies a query of its own, chunked on a column it names', async () => {
    const finished = await runPipeline(env, {
      id: 'mysql-query', source: pipeline.source, query: 'SELECT id, biu, vc FROM all_types WHERE id <= 4', chunking: { column: 'id', chunks: 2 }, output: { container: 'fidelity', format: 'csv' },
    });
    const actual = await readBackRows(env, finished, 'id');
    expect(actual.map((row) => [row.id, row.biu, row.vc])).toEqual(expected.slice(0, 4).map((row) => [row.id, row.biu, row.vc]));
  });
});
