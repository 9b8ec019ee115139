import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { azuriteAccount } from '../../src/settings.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { askPythonReader, azuriteStorageOptions } from '../support/pythonReader.js';

/**
 * Delta Lake output, read back by delta-rs (Python `deltalake`, pinned in
 * test/support/python-requirements.txt) straight from Azurite: every table the tests write must
 * open, and its version, schema, rows and values must be the source's. Expected values come from
 * PostgreSQL itself, in the exact text forms test/support/readDelta.py prints.
 */
type ColumnCase = { name: string; sql: string; expected: string; deltaType: string };

const exactMicros = (column: string) => `((extract(epoch from ${column}) * 1000000)::numeric(30,0))::text`;

const columns: ColumnCase[] = [
  { name: 'id', sql: 'int4 PRIMARY KEY', expected: 'id::text', deltaType: 'integer' },
  { name: 'i2', sql: 'int2', expected: 'i2::text', deltaType: 'short' },
  { name: 'i8', sql: 'int8', expected: 'i8::text', deltaType: 'long' },
  { name: 'dec38', sql: 'numeric(38,10)', expected: 'dec38::text', deltaType: 'decimal(38,10)' },
  { name: 'dec18', sql: 'numeric(18,4)', expected: 'dec18::text', deltaType: 'decimal(18,4)' },
  { name: 'dec9', sql: 'numeric(9,2)', expected: 'dec9::text', deltaType: 'decimal(9,2)' },
  { name: 'f4', sql: 'float4', expected: 'f4::text', deltaType: 'float' },
  { name: 'f8', sql: 'float8', expected: 'f8::text', deltaType: 'double' },
  { name: 'b', sql: 'bool', expected: 'b', deltaType: 'boolean' },
  { name: 't', sql: 'text', expected: 't', deltaType: 'string' },
  { name: 'js', sql: 'jsonb', expected: 'js::text', deltaType: 'string' },
  { name: 'u', sql: 'uuid', expected: 'u::text', deltaType: 'string' },
  { name: 'bin', sql: 'bytea', expected: "encode(bin, 'hex')", deltaType: 'binary' },
  { name: 'd', sql: 'date', expected: "d - DATE '1970-01-01'", deltaType: 'date' },
  { name: 'tm', sql: 'time(6)', expected: "to_char(tm, 'HH24:MI:SS.US')", deltaType: 'string' },
  { name: 'ts', sql: 'timestamp(6)', expected: exactMicros('ts'), deltaType: 'timestamp_ntz' },
  { name: 'tstz', sql: 'timestamptz(6)', expected: exactMicros('tstz'), deltaType: 'timestamp' },
  { name: 'm', sql: 'money', expected: 'm::numeric::text', deltaType: 'decimal(19,2)' },
  { name: 'arr', sql: 'int8[]', expected: 'to_json(arr)::text', deltaType: 'string' },
];

const extremes: Array<Array<string | Buffer | null>> = [
  ['1', '-32768', '-9223372036854775808', '-9999999999999999999999999999.9999999999', '-99999999999999.9999', '-9999999.99',
    '-3.4028235e38', '-1.7976931348623157e308', 'false', '', '{"a":[1,2,{"b":null}],"n":1e400}', '00000000-0000-0000-0000-000000000000', Buffer.alloc(0),
    '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '-92233720368547758.08', '{}'],
  ['2', '32767', '9223372036854775807', '9999999999999999999999999999.9999999999', '99999999999999.9999', '9999999.99',
    '3.4028235e38', '1.7976931348623157e308', 'true', '🚀 rocket 👩‍👩‍👧 family 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文, a long text that goes on past thirty-two characters', '{"emoji":"👩‍👩‍👧"}', 'ffffffff-ffff-ffff-ffff-ffffffffffff', Buffer.from([0, 255, 0, 10]),
    '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '92233720368547758.07', '{1,NULL,9223372036854775807}'],
  ['3', '0', '0', '0.0000000001', '-0.0001', '0.01', 'Infinity', 'NaN', 'true', ' quote " comma , newline \n end ', 'null',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', Buffer.from('binary'), '1970-01-01', '12:34:56.5', '2024-05-01 12:34:56.123456', '2024-05-01 12:34:56.654321+05:30', '0.00', '{-1}'],
  ['4', ...columns.slice(1).map(() => null)],
];

describe('Delta Lake tables, read by delta-rs', () => {
  let env: TestEnvironment;
  let container: ContainerClient;
  let expected: Array<Record<string, unknown>>;

  const read = (table: string, extra: Record<string, unknown> = {}) =>
    askPythonReader({ kind: 'delta', uri: `az://lake/${table}`, storage_options: azuriteStorageOptions(env.azurite.endpoints.blob, azuriteAccount), ...extra });

  beforeAll(async () => {
    env = await startTestEnvironment('delta', async (db) => {
      await db.query(`CREATE TABLE all_types (${columns.map((c) => `${c.name} ${c.sql}`).join(', ')})`);
      const casts = columns.map((c, i) => `$${i + 1}::${c.sql.replace(' PRIMARY KEY', '')}`);
      for (const row of extremes) await db.query(`INSERT INTO all_types VALUES (${casts.join(', ')})`, row);
      expected = await db.query(`SELECT ${columns.map((c) => `${c.expected} AS ${c.name}`).join(', ')} FROM all_types ORDER BY id`);
    });
    container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('lake');
  });

  afterAll(async () => {
    await env?.stop();
  });

  const runOnce = async (id: string) => {
    const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
    return env.api.waitForRun(triggered.headers.get('location')!);
  };

  it('appends every type exactly, with the Delta types and protocol the table needs', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'all-types',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'all_types' },
      chunking: { column: 'id', chunks: 2 },
      output: { container: 'lake', format: 'delta' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await runOnce('all-types');
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('succeeded');
    const table = await read('all-types');
    expect(table.error).toBeUndefined();
    expect(table.version).toBe(0);
    expect(table.schema.fields.map((field: { name: string; type: string }) => [field.name, field.type])).toEqual(columns.map((c) => [c.name, c.deltaType]));
    expect(table.protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'] });
    const rows = [...table.rows].sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows.length).toBe(expected.length);
    rows.forEach((row, index) => expectRow(row, expected[index]!, `row ${index}`));
  });
});

/** A row read by delta-rs equals the source's: floats as numbers (float4 at its precision), the rest as exact text. */
function expectRow(actual: Record<string, unknown>, source: Record<string, unknown>, where: string): void {
  for (const column of columns) {
    const value = actual[column.name];
    const want = source[column.name];
    const at = `${where}, ${column.name}`;
    if (want === null || want === undefined) {
      expect(value, at).toBeNull();
    } else if (column.deltaType === 'float' || column.deltaType === 'double') {
      const number = (text: string) => Number(text.replace(/^inf$/, 'Infinity').replace(/^-inf$/, '-Infinity').replace(/^nan$/, 'NaN'));
      const sourceNumber = column.deltaType === 'float' ? Math.fround(number(String(want))) : number(String(want));
      expect(Object.is(number(String(value)), sourceNumber), `${at}: ${String(value)} vs ${String(want)}`).toBe(true);
    } else {
      expect(value, at).toEqual(typeof want === 'number' ? want : typeof want === 'boolean' ? want : String(want));
    }
  }
}
