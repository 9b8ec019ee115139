import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { Column, OutputType } from '../../src/spec/columns.js';
import { BinaryCopyDecoder, type FieldDecoder } from '../../src/sources/postgres/binaryCopyDecoder.js';
import { builtinSendFunction, fieldDecoderOf, sendFunctionQuery } from '../../src/sources/postgres/binaryFieldDecoders.js';
import { PostgresConnector } from '../../src/sources/postgres/postgresConnector.js';
import { expectSameValue } from '../support/readBack.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';

/**
 * The binary COPY decoder against bytes PostgreSQL itself wrote: each case's SELECT is copied
 * with `COPY (...) TO STDOUT (FORMAT binary)` on the real server, the bytes are fed to the
 * decoder in pieces of 1 byte, of odd sizes and whole, and every value must equal what the
 * cursor (text) path gives for the same SELECT: pg's text forms through the connector's exact
 * parsers, the reader every fidelity suite has verified. Refused values must be refused by both,
 * with the same message.
 */
let db: TestDatabase;
let client: pg.Client;
let cursorReader: PostgresConnector;

beforeAll(async () => {
  db = await createTestDatabase('binary_copy');
  await db.query(`CREATE EXTENSION citext`);
  await db.query(`CREATE TYPE mood AS ENUM ('sad', 'happy', 'Zoë 🚀')`);
  await db.query(`CREATE DOMAIN amount AS numeric(12,2)`);
  await db.query(`CREATE DOMAIN label AS text`);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  // The settings of a Siphon session: text forms in UTC and ISO, as the cursor path reads them.
  await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3`);
  cursorReader = await PostgresConnector.connect(db.url, undefined, 'cursor');
});

afterAll(async () => {
  await cursorReader?.close();
  await client?.end();
  await db?.drop();
});

/** The COPY bytes of `sql`, exactly as the server sent them. */
async function copyBytes(sql: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A decoder per column of `sql`, chosen as the connector chooses them (by the send function of the result's type). */
async function decodersOf(sql: string): Promise<FieldDecoder[]> {
  const described = await client.query({ text: `${sql} LIMIT 0`, rowMode: 'array' });
  const oids = described.fields.map((field) => field.dataTypeID);
  const others = oids.filter((oid) => builtinSendFunction(oid) === undefined);
  const found = new Map((await client.query<{ oid: number; send: string }>(sendFunctionQuery, [others])).rows.map((row) => [row.oid, row.send]));
  return oids.map((oid, index) => {
    const send = builtinSendFunction(oid) ?? found.get(oid);
    const decoder = send ? fieldDecoderOf(send, described.fields[index]!.name) : undefined;
    if (!decoder) throw new Error(`No binary decoder for column ${described.fields[index]!.name} (type oid ${oid})`);
    return decoder;
  });
}

/** Feeds `bytes` in pieces of the given sizes, in turn, and returns the decoded rows. */
function decodeInPieces(bytes: Buffer, decoders: FieldDecoder[], sizes: number[]): unknown[][] {
  const decoder = new BinaryCopyDecoder(decoders);
  const rows: unknown[][] = [];
  for (let at = 0, turn = 0; at < bytes.length; turn++) {
    const size = sizes[turn % sizes.length]!;
    // A fresh buffer per piece, overwritten after use: a decoder that keeps a reference to chunk
    // memory (as a bytea or a carried field might) shows up as garbage in the comparison.
    const piece = Buffer.from(bytes.subarray(at, at + size));
    decoder.push(piece, rows);
    piece.fill(0xee);
    at += size;
  }
  decoder.end();
  return rows;
}

const pieceSizes = { 'one byte at a time': [1], 'odd sizes': [3, 7, 1, 13, 2, 4093], whole: [Number.MAX_SAFE_INTEGER] };

type Case = { name: string; sql: string; type: OutputType; values: string[] };

/** Columns of the text path: the name and the output type are all a query read needs. */
function columnsOf(cases: Case[]): Column[] {
  return cases.map((c) => ({ name: c.name, sourceType: c.sql, nullable: true, type: c.type }));
}

async function cursorRows(sql: string, columns: Column[]): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const batch of cursorReader.readChunk({ target: { kind: 'query', sql }, columns, orderBy: [], range: { kind: 'all' }, batchRows: 7 })) rows.push(...batch);
  return rows;
}

const bigText = '𝔘𝔫𝔦 ' + 'x'.repeat(70_000) + ' 中文';
const bigBytes = randomBytes(300_000).toString('hex');

/** Every type of the type map that COPY reads, each with its extremes and NULL, one column each. */
const cases: Case[] = [
  { name: 'i2', sql: 'int2', type: { kind: 'int16' }, values: ['-32768', '32767', '0', '-1'] },
  { name: 'i4', sql: 'int4', type: { kind: 'int32' }, values: ['-2147483648', '2147483647', '0', '-1'] },
  { name: 'i8', sql: 'int8', type: { kind: 'int64' }, values: ['-9223372036854775808', '9223372036854775807', '9007199254740993', '-9007199254740993', '-1'] },
  { name: 'f4', sql: 'float4', type: { kind: 'float32' }, values: ['3.4028235e38', '-3.4028235e38', '1.17549435e-38', '1e-45', 'NaN', 'Infinity', '-Infinity', '-0', '0.1'] },
  { name: 'f8', sql: 'float8', type: { kind: 'float64' }, values: ['1.7976931348623157e308', '-2.2250738585072014e-308', '5e-324', 'NaN', '-Infinity', '-0', '0.1'] },
  { name: 'b', sql: 'bool', type: { kind: 'boolean' }, values: ['true', 'false'] },
  { name: 't', sql: 'text', type: { kind: 'string' }, values: ['', ' ', '🚀 rocket 👩‍👩‍👧 family 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文', 'tab\tnewline\nbackslash\\ quote\' "', bigText] },
  { name: 'vc', sql: 'varchar(40)', type: { kind: 'string' }, values: ['', 'Zoë', 'NULL'] },
  { name: 'ch', sql: 'char(5)', type: { kind: 'string' }, values: ['a', '', 'abcde', '中'] },
  { name: 'nm', sql: 'name', type: { kind: 'string' }, values: ['pg_class', 'ünïcödé'] },
  { name: 'ci', sql: 'citext', type: { kind: 'string' }, values: ['MiXeD', ''] },
  { name: 'en', sql: 'mood', type: { kind: 'string' }, values: ['sad', 'Zoë 🚀'] },
  { name: 'dt', sql: 'label', type: { kind: 'string' }, values: ['a domain over text'] },
  { name: 'js', sql: 'json', type: { kind: 'json' }, values: ['{"a":[1,2,{"b":null}],  "dup":1, "dup":2}', '"just a string"', 'null', '{"emoji":"👩‍👩‍👧","n":1e400}'] },
  { name: 'jb', sql: 'jsonb', type: { kind: 'json' }, values: ['{"z":1,"a":"Zoë"}', '[]', 'null', '{"n":1e400, "s":"\\u00e9 𝔘"}'] },
  { name: 'u', sql: 'uuid', type: { kind: 'uuid' }, values: ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '01234567-89ab-cdef-0123-456789abcdef'] },
  { name: 'by', sql: 'bytea', type: { kind: 'binary' }, values: ['\\x', '\\x00', '\\x00ff000a0d2c22', `\\x${bigBytes}`] },
  { name: 'd', sql: 'date', type: { kind: 'date' }, values: ['0001-01-01', '9999-12-31', '4713-01-01 BC', '0044-03-15 BC', '0001-12-31 BC', '1970-01-01', '1969-12-31', '2000-02-29', '2000-01-01', '1999-12-31'] },
  { name: 'tm', sql: 'time(6)', type: { kind: 'time' }, values: ['00:00:00', '23:59:59.999999', '12:34:56.5', '00:00:00.000001'] },
  { name: 'ts', sql: 'timestamp(6)', type: { kind: 'timestamp', utc: false }, values: [
    '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999', '4713-01-01 00:00:00 BC', '0044-03-15 12:00:00.5 BC', '1969-12-31 23:59:59.999999',
    '1970-01-01 00:00:00', '2000-01-01 00:00:00', '1999-12-31 23:59:59.999999', '2024-05-01 12:34:56.123456', '1715-06-01 00:00:00', '2286-01-01 00:00:00'] },
  { name: 'tz', sql: 'timestamptz(6)', type: { kind: 'timestamp', utc: true }, values: [
    '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00', '4713-01-01 00:00:00+00 BC', '2024-05-01 12:34:56.654321+05:30',
    '1969-12-31 23:59:59.999999-08:00', '2038-01-19 03:14:08+00'] },
  { name: 'num', sql: 'numeric', type: { kind: 'decimal', precision: 38, scale: 0 }, values: [
    '0', '-0', '0.0000', '1.0000', '-1', '0.0001', '0.00001', '-0.00000000000000000001', '123.4500', '9999.9999', '10000', '10000.0001',
    '99999999', '100000000', '-99999999999999999999999999999999999999', '12345678901234567890.0123456789', '1e130', '-1.5e-130',
    '1e1000', '0.1', '1000000', '0.000100', '5.0e-5', '1234567.000000000'] },
  { name: 'n38', sql: 'numeric(38,10)', type: { kind: 'decimal', precision: 38, scale: 10 }, values: ['-9999999999999999999999999999.9999999999', '0.0000000001', '0'] },
  { name: 'n9', sql: 'numeric(9,2)', type: { kind: 'decimal', precision: 9, scale: 2 }, values: ['-9999999.99', '0.01', '-0.01'] },
  { name: 'dn', sql: 'amount', type: { kind: 'decimal', precision: 12, scale: 2 }, values: ['1.5', '-0.5'] },
];

/** Money and arrays, cast in the select list as the connector casts them (selectExpression). */
const castCases: Array<Case & { expression: (name: string) => string }> = [
  { name: 'm', sql: 'money', type: { kind: 'decimal', precision: 19, scale: 2 }, expression: (name) => `${name}::numeric`, values: ['-92233720368547758.08', '92233720368547758.07', '0.00', '-0.01'] },
  { name: 'arr', sql: 'int8[]', type: { kind: 'json' }, expression: (name) => `to_json(${name})::text`, values: ['{1,NULL,9223372036854775807}', '{}', '{-1}'] },
  { name: 'tarr', sql: 'text[]', type: { kind: 'json' }, expression: (name) => `to_json(${name})::text`, values: ['{"a","𝔘 b",NULL,"","\\"q\\""}', '{"NULL"}', '{{"x","y"},{"z",NULL}}'] },
];

/**
 * One SELECT with a column per case: row i holds each case's i-th value (NULL once a case runs
 * out), and a last row of NULLs.
 */
function allTypesSelect(): string {
  const all = [...cases, ...castCases];
  const rows = Math.max(...all.map((c) => c.values.length)) + 1;
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  const selects = Array.from({ length: rows }, (_, i) =>
    `SELECT ${i} AS ord, ${all.map((c) => `${c.values[i] === undefined ? 'NULL' : literal(c.values[i]!)}::${c.sql} AS ${c.name}`).join(', ')}`);
  return `SELECT ord, ${cases.map((c) => c.name).join(', ')}, ${castCases.map((c) => `${c.expression(c.name)} AS ${c.name}`).join(', ')} FROM (${selects.join(' UNION ALL ')}) AS v ORDER BY ord`;
}

describe('every type of the type map, from the bytes PostgreSQL wrote', () => {
  let bytes: Buffer;
  let decoders: FieldDecoder[];
  let expected: unknown[][];
  const types: OutputType[] = [{ kind: 'int32' }, ...cases.map((c) => c.type), ...castCases.map((c) => c.type)];

  beforeAll(async () => {
    const sql = allTypesSelect();
    bytes = await copyBytes(sql);
    decoders = await decodersOf(sql);
    const columns: Column[] = [{ name: 'ord', sourceType: 'integer', nullable: false, type: { kind: 'int32' } }, ...columnsOf(cases), ...castCases.map((c) => ({ name: c.name, sourceType: 'cast', nullable: true, type: c.type }))];
    expected = await cursorRows(sql, columns);
    expect(expected.length).toBe(Math.max(...[...cases, ...castCases].map((c) => c.values.length)) + 1);
  });

  it.each(Object.entries(pieceSizes))('decodes every value as the text path reads it, fed %s', (_, sizes) => {
    const rows = decodeInPieces(bytes, decoders, sizes);
    expect(rows.length).toBe(expected.length);
    const names = ['ord', ...cases.map((c) => c.name), ...castCases.map((c) => c.name)];
    rows.forEach((row, r) => {
      expect(row.length).toBe(names.length);
      row.forEach((value, i) => expectSameValue(value, expected[r]![i], types[i]!, `row ${r}, ${names[i]}`));
    });
  });

  it('gives the canonical JS types: bigint, number, string, bytes copied out of the chunk', () => {
    const [first] = decodeInPieces(bytes, decoders, [5]);
    const at = (name: string) => first![['ord', ...cases.map((c) => c.name)].indexOf(name)];
    expect(at('i8')).toBe(-9223372036854775808n);
    expect(at('d')).toBe(-719162);
    expect(at('tm')).toBe(0n);
    expect(at('ts')).toBe(-62135596800000000n);
    expect(at('u')).toBe('00000000-0000-0000-0000-000000000000');
    expect(at('num')).toBe('0');
    expect(at('ch')).toBe('a    ');
    expect(at('by')).toBeInstanceOf(Uint8Array);
    // NULLs and the empty string stay apart.
    const last = decodeInPieces(bytes, decoders, [1]).at(-1)!;
    expect(last.slice(1).every((value) => value === null)).toBe(true);
  });

  // The text path hands these over as they are; the decimal text must be what numeric_out writes.
  it('writes numerics as numeric_out does: the display scale, no leading zeros, weights far from the point', () => {
    const rows = decodeInPieces(bytes, decoders, [2]);
    const index = 1 + cases.findIndex((c) => c.name === 'num');
    const texts = rows.map((row) => row[index]);
    expect(texts.slice(0, 6)).toEqual(['0', '0', '0.0000', '1.0000', '-1', '0.0001']);
    expect(texts).toContain('12345678901234567890.0123456789');
    expect(texts).toContain(`1${'0'.repeat(130)}`);
    expect(texts).toContain(`-0.${'0'.repeat(129)}15`);
  });
});

describe('values Siphon refuses, refused by both paths with the same message', () => {
  const refused: Array<[string, string, OutputType]> = [
    ["'infinity'::date", 'date', { kind: 'date' }],
    ["'-infinity'::date", 'date', { kind: 'date' }],
    ["'10000-01-01'::date", 'date', { kind: 'date' }],
    ["'infinity'::timestamp", 'timestamp', { kind: 'timestamp', utc: false }],
    ["'-infinity'::timestamp", 'timestamp', { kind: 'timestamp', utc: false }],
    ["'10000-01-01 00:00:00'::timestamp", 'timestamp', { kind: 'timestamp', utc: false }],
    ["'12345-06-07 08:09:10.5'::timestamp", 'timestamp', { kind: 'timestamp', utc: false }],
    ["'infinity'::timestamptz", 'timestamptz', { kind: 'timestamp', utc: true }],
    ["'-infinity'::timestamptz", 'timestamptz', { kind: 'timestamp', utc: true }],
    ["'10000-01-01 00:00:00+00'::timestamptz", 'timestamptz', { kind: 'timestamp', utc: true }],
    ["'24:00:00'::time", 'time', { kind: 'time' }],
    ["'NaN'::numeric(10,2)", 'numeric', { kind: 'decimal', precision: 10, scale: 2 }],
    ["'Infinity'::numeric", 'numeric', { kind: 'decimal', precision: 38, scale: 0 }],
    ["'-Infinity'::numeric", 'numeric', { kind: 'decimal', precision: 38, scale: 0 }],
  ];

  it.each(refused)('%s', async (literal, _, type) => {
    // A good row first, so the refusal comes mid-stream.
    const sql = `SELECT v AS x FROM (VALUES (NULL), (${literal})) AS t(v)`;
    const textError = await cursorRows(sql, [{ name: 'x', sourceType: 'x', nullable: true, type }]).then(() => undefined, (err: unknown) => err);
    expect(textError).toBeInstanceOf(NonRetryableError);
    const bytes = await copyBytes(sql);
    const decoders = await decodersOf(sql);
    for (const sizes of Object.values(pieceSizes)) {
      expect(() => decodeInPieces(bytes, decoders, sizes)).toThrow(NonRetryableError);
      expect(() => decodeInPieces(bytes, decoders, sizes)).toThrow((textError as Error).message);
    }
    expect((textError as Error).message).toMatch(/^Column "x": /);
  });
});

describe('the stream itself', () => {
  it('refuses data cut short, data past the trailer, and a row of the wrong width', async () => {
    const bytes = await copyBytes('SELECT 1::int4 AS a, 2::int4 AS b');
    const decoders = await decodersOf('SELECT 1::int4 AS a, 2::int4 AS b');
    expect(decodeInPieces(bytes, decoders, [3])).toEqual([[1, 2]]);
    expect(() => decodeInPieces(bytes.subarray(0, bytes.length - 1), decoders, [3])).toThrow(/ended before its trailer/);
    expect(() => decodeInPieces(Buffer.concat([bytes, Buffer.from([0])]), decoders, [1])).toThrow(/after its trailer/);
    expect(() => decodeInPieces(bytes, decoders.slice(1), [4])).toThrow(/row of 2 fields where 1 were selected/);
    expect(() => decodeInPieces(Buffer.from('PGCOPY\nxxxxxxxxxxxxxxxxxxx'), decoders, [100])).toThrow(/signature/);
  });

  it('decodes many rows straddling every boundary the same in pieces as whole', async () => {
    const sql = `SELECT g::int8 AS id, repeat('é', g % 50) AS s, CASE WHEN g % 7 = 0 THEN NULL ELSE g * 1.25 END::numeric(12,2) AS n FROM generate_series(1, 5000) g`;
    const bytes = await copyBytes(sql);
    const decoders = await decodersOf(sql);
    const whole = decodeInPieces(bytes, decoders, [bytes.length]);
    expect(whole.length).toBe(5000);
    expect(decodeInPieces(bytes, decoders, [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144])).toEqual(whole);
    expect(whole[6]).toEqual([7n, 'é'.repeat(7), null]);
    expect(whole[3]).toEqual([4n, 'éééé', '5.00']);
  });
});
