import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { allFormats, expectExactCopy, readBackRows, runPipeline } from '../support/readBack.js';

/**
 * Every PostgreSQL type in the README's type map, at its extremes, copied to every format and
 * compression; DuckDB reads the files the manifest lists and each value must equal the source's.
 * Expected values come from PostgreSQL itself (exact text or integer forms computed in SQL), not
 * from anything Siphon wrote.
 */
type ColumnCase = { name: string; sql: string; expected: string; parse?: (text: string | null) => unknown };

const bigint = (text: string | null) => (text === null ? null : BigInt(text));
const float = (text: string | null) => (text === null ? null : Number(text));
const exactMicros = (column: string) => `(extract(epoch from ${column}) * 1000000)::numeric(30,0)::text`;

const columns: ColumnCase[] = [
  { name: 'id', sql: 'int4 PRIMARY KEY', expected: 'id' },
  { name: 'i2', sql: 'int2', expected: 'i2' },
  { name: 'i4', sql: 'int4', expected: 'i4' },
  { name: 'i8', sql: 'int8', expected: 'i8::text', parse: bigint },
  { name: 'dec38', sql: 'numeric(38,10)', expected: 'dec38::text' },
  { name: 'dec18', sql: 'numeric(18,4)', expected: 'dec18::text' },
  { name: 'dec9', sql: 'numeric(9,2)', expected: 'dec9::text' },
  { name: 'f4', sql: 'float4', expected: 'f4::text', parse: float },
  { name: 'f8', sql: 'float8', expected: 'f8::text', parse: float },
  { name: 'b', sql: 'bool', expected: 'b' },
  { name: 't', sql: 'text', expected: 't' },
  { name: 'vc', sql: 'varchar(40)', expected: 'vc' },
  { name: 'ch', sql: 'char(5)', expected: 'ch::text || repeat(\' \', 5 - length(ch))' },
  { name: 'js', sql: 'json', expected: 'js::text' },
  { name: 'jsb', sql: 'jsonb', expected: 'jsb::text' },
  { name: 'u', sql: 'uuid', expected: 'u::text' },
  { name: 'bin', sql: 'bytea', expected: 'bin' },
  { name: 'd', sql: 'date', expected: "d - DATE '1970-01-01'" },
  { name: 'tm', sql: 'time(6)', expected: exactMicros('tm'), parse: bigint },
  { name: 'ts', sql: 'timestamp(6)', expected: exactMicros('ts'), parse: bigint },
  { name: 'tstz', sql: 'timestamptz(6)', expected: exactMicros('tstz'), parse: bigint },
  { name: 'm', sql: 'money', expected: 'm::numeric::text' },
  { name: 'arr', sql: 'int8[]', expected: 'to_json(arr)::text' },
  { name: 'tarr', sql: 'text[]', expected: 'to_json(tarr)::text' },
  { name: 'mood', sql: 'fidelity.mood', expected: 'mood::text' },
];

const bigBinary = randomBytes(1024 * 1024);

/** One array per row in column order; text literals cast by the column type, binary as bytes. */
const rows: Array<Array<string | Buffer | null>> = [
  ['1', '-32768', '-2147483648', '-9223372036854775808', '-9999999999999999999999999999.9999999999', '-99999999999999.9999', '-9999999.99',
    '-3.4028235e38', '-1.7976931348623157e308', 'false', '', '', 'a', '{"a":[1,2,{"b":null}],  "dup":1, "dup":2}', '{"z":1,"a":"Zoë"}',
    '00000000-0000-0000-0000-000000000000', Buffer.alloc(0), '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00',
    '-92233720368547758.08', '{}', '{}', 'sad'],
  ['2', '32767', '2147483647', '9223372036854775807', '9999999999999999999999999999.9999999999', '99999999999999.9999', '9999999.99',
    '3.4028235e38', '1.7976931348623157e308', 'true', '🚀 rocket 👩‍👩‍👧 family 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文', 'quote " comma , newline \n cr \r end', 'abcde', '[]', '{"emoji":"👩‍👩‍👧","n":1e400}',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', bigBinary, '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00',
    '92233720368547758.07', '{1,NULL,9223372036854775807}', '{"a","𝔘 b",NULL,"","\\"q\\""}', 'happy'],
  ['3', '0', '0', '0', '0.0000000001', '-0.0001', '0.01', 'Infinity', 'NaN', 'true', ' leading and trailing ', 'x', '', '"just a string"', 'null',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', Buffer.from([0, 255, 0, 10, 13, 44, 34]), '1970-01-01', '12:34:56.5', '2024-05-01 12:34:56.123456', '2024-05-01 12:34:56.654321+05:30',
    '0.00', '{-1}', '{"NULL"}', 'sad'],
  ['4', '-1', '-1', '-1', '12345678901234567890123456.0123456789', '1.0000', '-0.01', '-0', '5e-324', 'false', 'NULL', 'null', 'NULL ', '{}', '[1,"two",[3]]',
    '6ba7b810-9dad-11d1-80b4-00c04fd430c8', Buffer.from('\u00e9', 'latin1'), '1969-12-31', '00:00:00.000001', '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999-08:00',
    '-0.01', '{0,0}', '{" "}', 'happy'],
  ['5', '-1', '-1', '-1', '-0.0000000001', '0.0000', '0.00', '1.1754944e-38', '2.2250738585072014e-308', 'true', 'x', 'y', 'z', '1', '"no nul here \\ud83d\\ude80"',
    '01234567-89ab-cdef-0123-456789abcdef', Buffer.from('binary'), '2000-02-29', '23:59:59', '2000-02-29 00:00:00', '2038-01-19 03:14:08+00',
    '1.23', null, null, null],
  ['6', ...columns.slice(1).map(() => null)],
];

describe('every PostgreSQL type in every format', () => {
  let env: TestEnvironment;
  let expected: Array<Record<string, unknown>>;

  beforeAll(async () => {
    env = await startTestEnvironment('fidelity', async (db) => {
      await db.query(`CREATE SCHEMA fidelity; CREATE TYPE fidelity.mood AS ENUM ('sad', 'happy')`);
      await db.query(`CREATE TABLE fidelity.all_types (${columns.map((c) => `${c.name} ${c.sql}`).join(', ')})`);
      const casts = columns.map((c, i) => `$${i + 1}::${c.sql.replace(' PRIMARY KEY', '')}`);
      for (const row of rows) await db.query(`INSERT INTO fidelity.all_types VALUES (${casts.join(', ')})`, row);
      const read = await db.query(`SELECT ${columns.map((c) => `${c.expected} AS ${c.name}`).join(', ')} FROM fidelity.all_types ORDER BY id`);
      expected = read.map((row) => Object.fromEntries(columns.map((c) => [c.name, c.parse ? c.parse(row[c.name] as string | null) : row[c.name]])));
    });
  });

  afterAll(async () => {
    await env?.stop();
  });

  it.each(allFormats)('copies every value exactly to $format ($compression)', async (format) => {
    await expectExactCopy(env, {
      id: 'all-types',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { schema: 'fidelity', name: 'all_types' },
      chunking: { column: 'id', chunks: 2 },
      output: { container: 'fidelity' },
    }, format, expected);
  });

  it('records each column with its source type and output type in the manifest', async () => {
    const { manifest } = await runPipeline(env, {
      id: 'all-types-manifest',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { schema: 'fidelity', name: 'all_types' },
      output: { container: 'fidelity' },
    });
    const byName = Object.fromEntries(manifest.columns.map((column) => [column.name, column]));
    expect(byName.dec38).toMatchObject({ sourceType: 'numeric(38,10)', type: { kind: 'decimal', precision: 38, scale: 10 } });
    expect(byName.tstz).toMatchObject({ sourceType: 'timestamp(6) with time zone', type: { kind: 'timestamp', utc: true } });
    expect(byName.ts).toMatchObject({ type: { kind: 'timestamp', utc: false } });
    expect(byName.arr).toMatchObject({ sourceType: 'bigint[]', type: { kind: 'json' } });
    expect(byName.m).toMatchObject({ sourceType: 'money', type: { kind: 'decimal', precision: 19, scale: 2 } });
    expect(byName.mood).toMatchObject({ sourceType: 'fidelity.mood', type: { kind: 'string' } });
  });

  it('writes Hive partition folders by column values, readable as partitions', async () => {
    const finished = await runPipeline(env, {
      id: 'all-types-partitioned',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { schema: 'fidelity', name: 'all_types' },
      columns: ['id', 'd', 'mood', 't'],
      chunking: { column: 'id', chunks: 3 },
      output: { container: 'fidelity', format: 'csv', partitionBy: ['mood', 'd'] },
    });
    const folders = finished.manifest.files.map((file) => file.path.split('/').slice(-3, -1).join('/'));
    expect(new Set(folders)).toEqual(new Set([
      'mood=sad/d=0001-01-01', 'mood=happy/d=9999-12-31', 'mood=sad/d=1970-01-01', 'mood=happy/d=1969-12-31',
      'mood=__HIVE_DEFAULT_PARTITION__/d=2000-02-29', 'mood=__HIVE_DEFAULT_PARTITION__/d=__HIVE_DEFAULT_PARTITION__',
    ]));
    const actual = await readBackRows(env, finished, 'id');
    expect(actual.map((row) => [row.id, row.mood, row.d, row.t])).toEqual(expected.map((row) => [row.id, row.mood, row.d, row.t]));
  });

  it('copies a query, chunked on a column it names and as one streamed chunk', async () => {
    const query = 'SELECT id, i8, t, i8 % 2 = 0 AS even FROM fidelity.all_types WHERE id <= 5';
    for (const chunking of [{ column: 'id', chunks: 3 }, undefined]) {
      const id = `query-${chunking ? 'chunked' : 'single'}`;
      const finished = await runPipeline(env, {
        id, source: { engine: 'postgres', connectionSetting: testSourceSetting }, query, ...(chunking ? { chunking } : {}), output: { container: 'fidelity', format: 'jsonl' },
      });
      expect(finished.manifest.source).toEqual({ engine: 'postgres', query });
      // A query's columns may be NULL, so a chunked query also gets the chunk for NULL keys.
      expect(finished.run.progress.chunksDone).toBe(chunking ? 4 : 1);
      const actual = await readBackRows(env, finished, 'id');
      expect(actual.map((row) => [row.id, row.i8, row.t])).toEqual(expected.slice(0, 5).map((row) => [row.id, row.i8, row.t]));
    }
  });

  it('fails prepare on a type with no faithful mapping, naming table, column and type, and writes nothing', async () => {
    await env.database.query(`CREATE TABLE fidelity.odd (id int PRIMARY KEY, span interval)`);
    const cases = [
      { id: 'odd-type', table: { schema: 'fidelity', name: 'odd' }, error: /Table fidelity\.odd, column "span" \(interval\): type interval has no faithful output type/ },
      { id: 'odd-table', table: { schema: 'fidelity', name: 'missing' }, error: /Table fidelity\.missing was not found/ },
      { id: 'odd-column', table: { schema: 'fidelity', name: 'all_types' }, columns: ['id', 'nope'], error: /Table fidelity\.all_types has no column "nope"/ },
      { id: 'odd-key', table: { schema: 'fidelity', name: 'all_types' }, chunking: { column: 'missing_key' }, error: /Table fidelity\.all_types has no chunk key column "missing_key"/ },
    ];
    for (const { id, error, ...rest } of cases) {
      expect((await env.api.post('/api/pipelines', { id, source: { engine: 'postgres', connectionSetting: testSourceSetting }, output: { container: 'odd-output' }, ...rest })).status).toBe(201);
      const run = await env.api.waitForRun((await env.api.post(`/api/pipelines/${id}/runs`)).headers.get('location')!);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(error);
    }
    const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('odd-output');
    const names: string[] = [];
    if (await container.exists()) for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual([]);
  });
});
