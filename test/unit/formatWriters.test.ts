/**
 * Every output format, read back by an independent reader (DuckDB), value by value, for every
 * output type with NULLs and extremes. Expected values come from the source rows and hand-written
 * literals, never from the writers' own text functions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, OutputType } from '../../src/spec/columns.js';
import { outputSchema, type OutputSpec } from '../../src/spec/pipelineSpec.js';
import { civilFromDays, daysFromCivil, isoFromMicros, type TimestampWithOffset } from '../../src/formats/canonicalValues.js';
import { openFormatWriter } from '../../src/formats/formatWriter.js';
import { dateText, float32Text, float64Text, offsetTimestampText, timestampText } from '../../src/formats/textForms.js';

// ---------------------------------------------------------------------------------------------
// Source data

function column(name: string, type: OutputType): Column {
  return { name, sourceType: type.kind, nullable: true, type };
}

const columns: Column[] = [
  column('row_id', { kind: 'int32' }),
  column('i16', { kind: 'int16' }),
  column('i32', { kind: 'int32' }),
  column('i64', { kind: 'int64' }),
  column('u64', { kind: 'uint64' }),
  column('d38', { kind: 'decimal', precision: 38, scale: 10 }),
  column('d9', { kind: 'decimal', precision: 9, scale: 2 }),
  column('d18', { kind: 'decimal', precision: 18, scale: 4 }),
  column('f32', { kind: 'float32' }),
  column('f64', { kind: 'float64' }),
  column('b', { kind: 'boolean' }),
  column('s', { kind: 'string' }),
  column('j', { kind: 'json' }),
  column('u', { kind: 'uuid' }),
  column('bin', { kind: 'binary' }),
  column('dt', { kind: 'date' }),
  column('tm', { kind: 'time' }),
  column('ts_utc', { kind: 'timestamp', utc: true }),
  column('ts', { kind: 'timestamp', utc: false }),
  column('tso', { kind: 'timestampOffset' }),
];

/** Deterministic bytes, so the determinism tests compare like with like. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Micros since the epoch of an ISO text with six fraction digits and a zone (Z or ±HH:MM). */
function microsOf(iso: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})(Z|[+-]\d\d:\d\d)?$/.exec(iso)!;
  const millis = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  return BigInt(millis) * 1000n + BigInt(m[2]!);
}

function offsetValue(iso: string): TimestampWithOffset {
  const zone = iso.slice(-6);
  const sign = zone[0] === '-' ? -1 : 1;
  return { micros: microsOf(iso), offsetMinutes: sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) };
}

const oneMiB = pseudoRandomBytes(1 << 20, 42);

const valuesByColumn: Record<string, unknown[]> = {
  i16: [-32768, 32767, 0, null],
  i32: [-2147483648, 2147483647, 0, null],
  i64: [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, null],
  u64: [18446744073709551615n, 2n ** 63n, 0n, 2n ** 63n - 1n, null],
  d38: ['9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999', '0.0000000001', '-0.0000000001', '0.0000000000', null],
  d9: ['9999999.99', '-9999999.99', '0.01', '-12.30', null],
  d18: ['99999999999999.9999', '-99999999999999.9999', '0.0001', '0.0000', null],
  f32: [NaN, Infinity, -Infinity, -0, Math.fround(0.1), 3.4028234663852886e38, 1.401298464324817e-45, 1.5, Math.fround(-123.456), 0, null],
  f64: [NaN, Infinity, -Infinity, -0, 0.1, 1e308, 5e-324, 1.7976931348623157e308, -123.456, 0, null],
  b: [true, false, null],
  s: ['', 'plain', 'emoji 😀', 'ZWJ 👩‍👩‍👧‍👦 family 🏳️‍🌈', 'astral 𝄞 𠜎 𝒳', 'quote " and ""', 'comma, here', 'CR\rLF\nCRLF\r\n', ' leading and trailing ', 'tab\there', 'backslash \\ and \\"', 'ünïcödé ß 漢字', null],
  j: ['{"a":{"b":[1,2,{"c":"é😀"}]},"n":null}', '[1, 2.5, "x", true]', '"just a string"', '{\n  "multi": "line",\r\n  "nested": {"deep": [[], {}]}\n}', '{}', '{"quote":"\\"","nl":"\\n","u":"\\u00e9"}', null],
  u: ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '123e4567-e89b-12d3-a456-426614174000', null],
  bin: [new Uint8Array(0), Uint8Array.of(0, 255, 1, 254, 0x2c, 0x22, 0x0a), oneMiB, null],
  dt: [daysFromCivil(1, 1, 1), daysFromCivil(9999, 12, 31), 0, daysFromCivil(2024, 2, 29), null],
  tm: [0n, 86_399_999_999n, 45_296_789_012n, null],
  ts_utc: [microsOf('0001-01-01T00:00:00.000000'), microsOf('9999-12-31T23:59:59.999999'), microsOf('2024-05-01T15:30:00.123456'), 0n, -1n, null],
  ts: [microsOf('0001-01-01T00:00:00.000000'), microsOf('9999-12-31T23:59:59.999999'), microsOf('2024-05-01T15:30:00.123456'), 0n, -1n, null],
  tso: [
    offsetValue('2024-05-01T15:30:00.123456+05:30'),
    offsetValue('2024-05-01T15:30:00.000001-08:00'),
    offsetValue('2024-12-31T23:59:59.999999+14:00'),
    offsetValue('0001-01-01T00:00:00.000000+00:00'),
    offsetValue('9999-12-31T23:59:59.999999-08:00'),
    null,
  ],
};

const rowCount = Math.max(...Object.values(valuesByColumn).map((values) => values.length)) + 1;

/** Row i takes value i of each column's list (cycling); the last row is all NULL. */
const rows: unknown[][] = Array.from({ length: rowCount }, (_, i) =>
  columns.map((col) => {
    if (col.name === 'row_id') return i;
    if (i === rowCount - 1) return null;
    const values = valuesByColumn[col.name]!;
    return values[i % values.length];
  }),
);

// Hand-written text forms of some of the values above, as they must appear in CSV and JSON Lines.
const expectedTexts: Record<string, Record<number, string>> = {
  f32: { 0: 'NaN', 1: 'Infinity', 2: '-Infinity', 3: '-0', 4: '0.1', 5: '3.4028235e+38', 6: '1e-45', 7: '1.5', 8: '-123.456', 9: '0' },
  f64: { 0: 'NaN', 1: 'Infinity', 2: '-Infinity', 3: '-0', 4: '0.1', 5: '1e+308', 6: '5e-324', 7: '1.7976931348623157e+308', 8: '-123.456' },
  dt: { 0: '0001-01-01', 1: '9999-12-31', 2: '1970-01-01', 3: '2024-02-29' },
  tm: { 0: '00:00:00.000000', 1: '23:59:59.999999', 2: '12:34:56.789012' },
  ts_utc: { 0: '0001-01-01T00:00:00.000000Z', 1: '9999-12-31T23:59:59.999999Z', 2: '2024-05-01T15:30:00.123456Z', 3: '1970-01-01T00:00:00.000000Z', 4: '1969-12-31T23:59:59.999999Z' },
  ts: { 0: '0001-01-01T00:00:00.000000', 1: '9999-12-31T23:59:59.999999', 2: '2024-05-01T15:30:00.123456', 4: '1969-12-31T23:59:59.999999' },
  tso: {
    0: '2024-05-01T15:30:00.123456+05:30',
    1: '2024-05-01T15:30:00.000001-08:00',
    2: '2024-12-31T23:59:59.999999+14:00',
    3: '0001-01-01T00:00:00.000000+00:00',
    4: '9999-12-31T23:59:59.999999-08:00',
  },
  u64: { 0: '18446744073709551615', 1: '9223372036854775808' },
  i64: { 0: '-9223372036854775808', 1: '9223372036854775807' },
  d9: { 3: '-12.30' },
  b: { 0: 'true', 1: 'false' },
};

// ---------------------------------------------------------------------------------------------
// Writing

type Written = { bytes: Buffer; chunks: number[] };

function outputOf(format: 'parquet' | 'csv' | 'jsonl', compression: string): OutputSpec {
  return outputSchema.parse({ container: 'test-output', format, compression });
}

async function writeFile(output: OutputSpec, cols: Column[], batches: unknown[][][]): Promise<Written> {
  const parts: Uint8Array[] = [];
  const writer = openFormatWriter(output, cols, async (bytes) => {
    parts.push(bytes.slice());
  });
  for (const batch of batches) await writer.writeRows(batch);
  await writer.finish();
  return { bytes: Buffer.concat(parts), chunks: parts.map((part) => part.length) };
}

/** The rows in uneven batches, so every file is a multi-batch file. */
function batchesOf<T>(items: T[], sizes: number[]): T[][] {
  const batches: T[][] = [];
  let start = 0;
  for (let i = 0; start < items.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    batches.push(items.slice(start, start + size));
    start += size;
  }
  return batches;
}

const allCombinations = [
  ['parquet', 'snappy'],
  ['parquet', 'zstd'],
  ['parquet', 'gzip'],
  ['parquet', 'none'],
  ['csv', 'none'],
  ['csv', 'gzip'],
  ['jsonl', 'none'],
  ['jsonl', 'gzip'],
] as const;

// ---------------------------------------------------------------------------------------------
// Reading back

let folder: string;
let duck: DuckDBConnection;
let fileCounter = 0;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'siphon-format-writers-'));
  duck = await (await DuckDBInstance.create()).connect();
});

afterAll(() => {
  duck?.closeSync();
  rmSync(folder, { recursive: true, force: true });
});

function saveFile(bytes: Buffer, extension: string): string {
  const path = join(folder, `file-${fileCounter++}.${extension}`);
  writeFileSync(path, bytes);
  return path;
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

const textColumnTypes: Record<string, string> = {
  row_id: 'INTEGER', i16: 'SMALLINT', i32: 'INTEGER', i64: 'BIGINT', u64: 'UBIGINT',
  d38: 'DECIMAL(38,10)', d9: 'DECIMAL(9,2)', d18: 'DECIMAL(18,4)', f32: 'FLOAT', f64: 'DOUBLE', b: 'BOOLEAN',
  s: 'VARCHAR', j: 'JSON', u: 'UUID', bin: 'VARCHAR', dt: 'DATE', tm: 'TIME', ts_utc: 'TIMESTAMPTZ', ts: 'TIMESTAMP', tso: 'TIMESTAMPTZ',
};

const columnsStruct = `{${Object.entries(textColumnTypes).map(([name, type]) => `'${name}': '${type}'`).join(', ')}}`;

function relation(format: string, path: string): string {
  switch (format) {
    case 'parquet': return `read_parquet('${path}')`;
    case 'csv':
      return `read_csv('${path}', header = true, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, auto_detect = false, new_line = '\\r\\n', max_line_size = 8000000, columns = ${columnsStruct})`;
    default: return `read_json('${path}', format = 'newline_delimited', maximum_object_size = 8000000, columns = ${columnsStruct})`;
  }
}

/** Projects every column to a JS value that compares exactly: digits as text, bytes as hex, times as micros. */
function projection(format: string): string {
  const bin = format === 'parquet' ? 'hex(bin)' : 'hex(from_base64(bin))';
  const offset = format === 'parquet' ? 'tso_offset_minutes' : 'NULL::SMALLINT';
  return `row_id, i16, i32, i64::VARCHAR AS i64, u64::VARCHAR AS u64, d38::VARCHAR AS d38, d9::VARCHAR AS d9, d18::VARCHAR AS d18,
    f32, f64, b, s, j::VARCHAR AS j, u::VARCHAR AS u, ${bin} AS bin, (dt - DATE '1970-01-01')::BIGINT AS dt, tm,
    epoch_us(ts_utc) AS ts_utc, epoch_us(ts) AS ts, epoch_us(tso) AS tso, ${offset} AS tso_offset_minutes`;
}

function expectSameValue(format: string, name: string, row: number, got: unknown, source: unknown): void {
  const where = `${format} row ${row} column ${name}`;
  if (source === null) {
    expect(got, where).toBeNull();
    return;
  }
  switch (name) {
    case 'i64':
    case 'u64':
      expect(got, where).toBe(String(source));
      return;
    case 'f32':
      expect(Object.is(got, Math.fround(source as number)), `${where}: ${String(got)} vs ${String(source)}`).toBe(true);
      return;
    case 'f64':
      expect(Object.is(got, source), `${where}: ${String(got)} vs ${String(source)}`).toBe(true);
      return;
    case 'j':
      // Parquet and CSV keep the document's text; JSON Lines embeds the document, which DuckDB re-serializes.
      if (format === 'jsonl') expect(JSON.parse(got as string), where).toEqual(JSON.parse(source as string));
      else expect(got, where).toBe(source);
      return;
    case 'bin':
      expect(got, where).toBe(Buffer.from(source as Uint8Array).toString('hex').toUpperCase());
      return;
    case 'dt':
      expect(Number(got), where).toBe(source);
      return;
    case 'tso':
      expect(got, where).toBe((source as TimestampWithOffset).micros);
      return;
    default:
      expect(got, where).toEqual(source);
  }
}

async function expectRoundTrip(format: string, path: string): Promise<void> {
  const read = await query(`SELECT ${projection(format)} FROM ${relation(format, path)} ORDER BY row_id`);
  expect(read.length).toBe(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const got = read[r]!;
    expect(got.row_id).toBe(r);
    columns.forEach((col, c) => expectSameValue(format, col.name, r, got[col.name], rows[r]![c]));
    if (format === 'parquet') {
      const tso = rows[r]![columns.findIndex((col) => col.name === 'tso')] as TimestampWithOffset | null;
      expect(got.tso_offset_minutes, `row ${r} tso_offset_minutes`).toBe(tso === null ? null : tso.offsetMinutes);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal RFC 4180 reader, to see quoting that DuckDB hides

type CsvField = { text: string; quoted: boolean };

function parseCsv(text: string): CsvField[][] {
  const records: CsvField[][] = [];
  let record: CsvField[] = [];
  let i = 0;
  while (i < text.length) {
    let field: CsvField;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0) throw new Error('unterminated quote');
        value += text.slice(i, close);
        if (text[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      field = { text: value, quoted: true };
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r') end++;
      field = { text: text.slice(i, end), quoted: false };
      i = end;
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
    } else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else {
      throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
    }
  }
  if (record.length) throw new Error('last record has no CRLF');
  return records;
}

// ---------------------------------------------------------------------------------------------

describe.each(allCombinations)('%s with %s compression', (format, compression) => {
  const output = outputOf(format, compression);

  it('reads back every value exactly with DuckDB, over several batches', async () => {
    const written = await writeFile(output, columns, batchesOf(rows, [5, 1, 100]));
    const bytes = compression === 'gzip' && format !== 'parquet' ? gunzipSync(written.bytes) : written.bytes;
    const path = saveFile(bytes, format);
    await expectRoundTrip(format, path);
  });

  it('writes the same bytes for the same rows', async () => {
    const first = await writeFile(output, columns, batchesOf(rows, [5, 100]));
    const second = await writeFile(output, columns, batchesOf(rows, [5, 100]));
    expect(first.bytes.equals(second.bytes)).toBe(true);
    if (format !== 'parquet') {
      // Text formats chunk by size, not by batch, so even other batch boundaries give the same bytes.
      const regrouped = await writeFile(output, columns, batchesOf(rows, [1, 2, 3]));
      expect(regrouped.bytes.equals(first.bytes)).toBe(true);
    }
  });

  it('reads back a large multi-batch file in order, handing the sink bounded chunks', async () => {
    const wide: Column[] = [column('id', { kind: 'int64' }), column('name', { kind: 'string' }), column('amount', { kind: 'decimal', precision: 18, scale: 2 }), column('ts', { kind: 'timestamp', utc: true })];
    const count = 60_000;
    const generated = Array.from({ length: count }, (_, i) => [BigInt(i), `name ${i} ${'x'.repeat(i % 50)}`, `${i}.${String(i % 100).padStart(2, '0')}`, 1_700_000_000_000_000n + BigInt(i) * 1_000_000n]);
    const written = await writeFile(output, wide, batchesOf(generated, [7_000, 13_000, 20_000]));
    expect(Math.max(...written.chunks)).toBeLessThan(8 << 20);
    if (compression !== 'gzip' || format === 'parquet') expect(written.chunks.length).toBeGreaterThan(1);
    if (format !== 'parquet' && compression === 'none') {
      // Every chunk but the last is at least 1 MiB and at most 1 MiB plus a 64 Ki-character piece of rows.
      for (const size of written.chunks.slice(0, -1)) {
        expect(size).toBeGreaterThanOrEqual(1 << 20);
        expect(size).toBeLessThan((1 << 20) + (1 << 16) + 1000);
      }
    }
    const bytes = compression === 'gzip' && format !== 'parquet' ? gunzipSync(written.bytes) : written.bytes;
    const path = saveFile(bytes, format);
    const source =
      format === 'parquet'
        ? `read_parquet('${path}')`
        : format === 'csv'
          ? `read_csv('${path}', header = true, auto_detect = false, quote = '"', escape = '"', columns = {'id': 'BIGINT', 'name': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'ts': 'TIMESTAMPTZ'})`
          : `read_json('${path}', format = 'newline_delimited', columns = {'id': 'BIGINT', 'name': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'ts': 'TIMESTAMPTZ'})`;
    const read = await query(`SELECT id, name, amount::VARCHAR AS amount, epoch_us(ts) AS ts FROM ${source}`);
    expect(read.length).toBe(count);
    read.forEach((row, i) => {
      const expected = generated[i]!;
      if (row.id !== expected[0] || row.name !== expected[1] || row.amount !== expected[2] || row.ts !== expected[3]) {
        expect(row, `row ${i}`).toEqual({ id: expected[0], name: expected[1], amount: expected[2], ts: expected[3] });
      }
    });
  });

  it('writes a valid file with no rows', async () => {
    const written = await writeFile(output, columns, []);
    const bytes = compression === 'gzip' && format !== 'parquet' ? gunzipSync(written.bytes) : written.bytes;
    if (format === 'jsonl') {
      expect(bytes.length).toBe(0);
      return;
    }
    const path = saveFile(bytes, format);
    const read = await query(`SELECT count(*) AS n FROM ${relation(format, path)}`);
    expect(read[0]!.n).toBe(0n);
  });
});

describe('parquet', () => {
  it('declares the exact column types', async () => {
    const written = await writeFile(outputOf('parquet', 'zstd'), columns, [rows]);
    const path = saveFile(written.bytes, 'parquet');
    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const types = Object.fromEntries(described.map((row) => [row.column_name, row.column_type]));
    // JSON once DuckDB's json extension is loaded, VARCHAR before: either way text, not BLOB.
    expect(['JSON', 'VARCHAR']).toContain(types.j);
    expect({ ...types, j: 'JSON' }).toEqual({
      row_id: 'INTEGER', i16: 'SMALLINT', i32: 'INTEGER', i64: 'BIGINT', u64: 'UBIGINT',
      d38: 'DECIMAL(38,10)', d9: 'DECIMAL(9,2)', d18: 'DECIMAL(18,4)', f32: 'FLOAT', f64: 'DOUBLE', b: 'BOOLEAN',
      s: 'VARCHAR', j: 'JSON', u: 'UUID', bin: 'BLOB', dt: 'DATE', tm: 'TIME',
      ts_utc: 'TIMESTAMP WITH TIME ZONE', ts: 'TIMESTAMP', tso: 'TIMESTAMP WITH TIME ZONE', tso_offset_minutes: 'SMALLINT',
    });
    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
    expect(codecs.map((row) => row.compression)).toEqual(['ZSTD']);
  });

  it('stores uint64 above 2^63 as two\'s complement INT64 with UINT_64 annotation', async () => {
    const written = await writeFile(outputOf('parquet', 'none'), columns, [rows]);
    const path = saveFile(written.bytes, 'parquet');
    const schema = await query(`SELECT name, type, converted_type, logical_type FROM parquet_schema('${path}') WHERE name IN ('u64', 'tm', 'tso_offset_minutes', 'j')`);
    const byName = Object.fromEntries(schema.map((row) => [row.name, row]));
    expect(byName.u64).toMatchObject({ type: 'INT64', converted_type: 'UINT_64' });
    expect(byName.tm).toMatchObject({ type: 'INT64', converted_type: 'TIME_MICROS' });
    expect(byName.tso_offset_minutes).toMatchObject({ type: 'INT32', converted_type: 'INT_16' });
    expect(byName.j).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'JSON' });
    expect(String(byName.j!.logical_type)).toMatch(/JSON/i);
    const stats = await query(`SELECT stats_min_value, stats_max_value FROM parquet_metadata('${path}') WHERE path_in_schema = 'u64'`);
    expect(stats[0]).toEqual({ stats_min_value: '0', stats_max_value: '18446744073709551615' });
    // Statistics must not make a reader skip the row group for values above 2^63.
    const high = await query(`SELECT count(*) AS n FROM read_parquet('${path}') WHERE u64 >= 9223372036854775808`);
    const expected = rows.filter((row) => typeof row[columns.findIndex((col) => col.name === 'u64')] === 'bigint' && (row[columns.findIndex((col) => col.name === 'u64')] as bigint) >= 2n ** 63n).length;
    expect(high[0]!.n).toBe(BigInt(expected));
  });

  it('refuses a column whose name the offset column of a timestampOffset would take', () => {
    const clash = [column('at', { kind: 'timestampOffset' }), column('at_offset_minutes', { kind: 'int32' })];
    expect(() => openFormatWriter(outputOf('parquet', 'snappy'), clash, async () => {})).toThrow(/at_offset_minutes/);
  });
});

describe('csv text', () => {
  it('quotes only where needed, keeps "" apart from NULL, and uses the documented text forms', async () => {
    const written = await writeFile(outputOf('csv', 'none'), columns, [rows]);
    const records = parseCsv(written.bytes.toString('utf8'));
    expect(records[0]!.map((field) => field.text)).toEqual(columns.map((col) => col.name));
    expect(records.length).toBe(rows.length + 1);
    const index = (name: string) => columns.findIndex((col) => col.name === name);
    for (let r = 0; r < rows.length; r++) {
      const record = records[r + 1]!;
      expect(record.length).toBe(columns.length);
      columns.forEach((col, c) => {
        const source = rows[r]![c];
        if (source === null) expect(record[c], `row ${r} ${col.name}`).toEqual({ text: '', quoted: false });
      });
      const s = rows[r]![index('s')];
      if (s === '') expect(record[index('s')]).toEqual({ text: '', quoted: true });
      if (typeof s === 'string') expect(record[index('s')]!.text).toBe(s);
      if (s === 'plain') expect(record[index('s')]!.quoted).toBe(false);
      for (const [name, texts] of Object.entries(expectedTexts)) {
        const values = valuesByColumn[name]!;
        if (r === rows.length - 1) continue;
        const text = texts[r % values.length];
        if (text !== undefined) expect(record[index(name)]!.text, `row ${r} ${name}`).toBe(text);
      }
    }
    expect(written.bytes.toString('utf8')).toContain('"quote "" and """""');
    expect(written.bytes.subarray(0, 3).toString('hex')).not.toBe('efbbbf');
  });
});

describe('json lines text', () => {
  it('writes one object per line with exact numbers, strings for decimals and non-finite floats', async () => {
    const written = await writeFile(outputOf('jsonl', 'none'), columns, [rows]);
    const text = written.bytes.toString('utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(rows.length);
    const index = (name: string) => columns.findIndex((col) => col.name === name);
    lines.forEach((line, r) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(columns.map((col) => col.name));
      if (r === rows.length - 1) {
        expect(Object.values(parsed).slice(1).every((value) => value === null)).toBe(true);
        return;
      }
      for (const [name, texts] of Object.entries(expectedTexts)) {
        const expected = texts[r % valuesByColumn[name]!.length];
        if (expected === undefined) continue;
        const value = parsed[name];
        if (name === 'f32' || name === 'f64') {
          if (['NaN', 'Infinity', '-Infinity'].includes(expected)) expect(value).toBe(expected);
          else expect(Object.is(value, Number(expected)), `row ${r} ${name}`).toBe(true);
        } else if (name === 'i64' || name === 'u64') {
          // Exact digits as a bare JSON number, which JSON.parse cannot hold: check the raw text.
          expect(line).toContain(`"${name}":${expected},`);
        } else if (name === 'b') {
          expect(value).toBe(expected === 'true');
        } else {
          expect(value, `row ${r} ${name}`).toBe(expected);
        }
      }
      const j = rows[r]![index('j')];
      if (typeof j === 'string') expect(parsed.j).toEqual(JSON.parse(j));
      const d38 = rows[r]![index('d38')];
      if (typeof d38 === 'string') expect(parsed.d38).toBe(d38);
    });
    expect(text).toContain('"f64":-0.0,');
  });
});

describe('bad values', () => {
  it.each(['parquet', 'csv', 'jsonl'] as const)('%s names the column of a value that is not canonical', async (format) => {
    const cols = [column('id', { kind: 'int32' }), column('u', { kind: 'uuid' })];
    const writer = openFormatWriter(outputOf(format, format === 'parquet' ? 'snappy' : 'none'), cols, async () => {});
    await expect(writer.writeRows([[1, 'not-a-uuid", "x']])).rejects.toThrow(/column u: Not a uuid/);
  });
});

describe('gzip', () => {
  it.each(['csv', 'jsonl'] as const)('%s output is a deterministic gzip stream with no timestamp', async (format) => {
    const plain = await writeFile(outputOf(format, 'none'), columns, [rows]);
    const zipped = await writeFile(outputOf(format, 'gzip'), columns, [rows]);
    expect(zipped.bytes.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(zipped.bytes.readUInt32LE(4)).toBe(0);
    expect(gunzipSync(zipped.bytes).equals(plain.bytes)).toBe(true);
  });
});

describe('text forms', () => {
  it('match canonicalValues for dates and timestamps across the calendar, BC included', () => {
    for (let days = -1_000_000; days <= 3_000_000; days += 997) {
      expect(dateText(days)).toBe(civilFromDays(days));
      const micros = BigInt(days) * 86_400_000_000n + BigInt(days * 7919 % 86_400_000_000);
      expect(timestampText(micros, true)).toBe(isoFromMicros(micros, true));
      expect(timestampText(micros, false)).toBe(isoFromMicros(micros, false));
    }
  });

  it('writes float32 as the shortest text that reads back as the same float32', () => {
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12345) >>> 0;
      const value = new Float32Array(new Uint32Array([x]).buffer)[0]!;
      const text = float32Text(value);
      if (Number.isNaN(value)) expect(text).toBe('NaN');
      else expect(Math.fround(Number(text)), text).toBe(value);
      if (!Number.isNaN(value) && Number.isFinite(value) && value !== 0) {
        const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
        expect(digits).toBeLessThanOrEqual(9);
      }
    }
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(0.1)).toBe('0.1');
    expect(float32Text(16_777_216)).toBe('16777216');
    expect(float64Text(-0)).toBe('-0');
  });

  it('writes a timestampOffset as the source wall clock with its offset', () => {
    expect(offsetTimestampText({ micros: microsOf('2024-05-01T10:00:00.000000Z'), offsetMinutes: 330 })).toBe('2024-05-01T15:30:00.000000+05:30');
    expect(offsetTimestampText({ micros: microsOf('2024-05-01T10:00:00.000000Z'), offsetMinutes: -570 })).toBe('2024-05-01T00:30:00.000000-09:30');
  });
});
