/**
 * The columnar Parquet encoder must write exactly the bytes hyparquet-writer's ParquetWriter
 * writes for the same rows with the same compressors (the writer Siphon used before, kept here
 * as the reference). Generated columns of every output type, with NULLs, repeats (dictionaries)
 * and distinct values (plain), small and multi-page groups, every codec. Also: the JavaScript
 * snappy fallback writes hyparquet-writer's snappy bytes, and the encoder thread (compiled, from
 * dist: run `npm run build` first) writes the same bytes as inline encoding.
 */
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from '@bokuweb/zstd-wasm';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyCompress as hyparquetSnappy } from 'hyparquet-writer/src/snappy.js';
import { describe, expect, it } from 'vitest';
import type { Column, OutputType } from '../../src/spec/columns.js';
import type { TimestampWithOffset } from '../../src/formats/canonicalValues.js';
import { unscaledDecimal } from '../../src/formats/decimalText.js';
import { offsetColumnSuffix, parquetSchema } from '../../src/formats/parquet/parquetSchema.js';
import { ParquetFileWriter, type ParquetCompression } from '../../src/formats/parquet/parquetFileWriter.js';
import { loadZstd } from '../../src/formats/parquet/rowGroupEncoder.js';
import { jsSnappyCompress, snappyCompress } from '../../src/formats/parquet/snappy.js';
import { seededRandom } from '../../src/sources/seededRandom.js';

// ---------------------------------------------------------------------------------------------
// The reference: rows to hyparquet-writer's ParquetWriter, as Siphon's writer did it before.

const codecs = { snappy: 'SNAPPY', zstd: 'ZSTD', gzip: 'GZIP', none: 'UNCOMPRESSED' } as const;

async function referenceFile(columns: Column[], compression: ParquetCompression, groups: unknown[][][]): Promise<Buffer> {
  // The one initialization the encoder also waits for: instantiating the WASM module again while
  // the other writer compresses would swap its memory under it.
  await loadZstd();
  const parts: Uint8Array[] = [];
  class SinkWriter extends ByteWriter {
    flush(): void {
      parts.push(new Uint8Array(this.buffer, 0, this.index).slice());
      this.index = 0;
    }
    override finish(): void {
      this.flush();
    }
  }
  const schema: SchemaElement[] = parquetSchema(columns);
  const compressors = {
    gzip: { GZIP: (bytes: Uint8Array): Uint8Array => gzipSync(bytes) },
    zstd: { ZSTD: (bytes: Uint8Array): Uint8Array => zstdCompress(bytes, 3) },
    // The compressor Siphon uses (native snappy where it loads): the comparison is about the file layout.
    snappy: { SNAPPY: (bytes: Uint8Array): Uint8Array => snappyCompress(bytes).slice() },
    none: undefined,
  }[compression];
  const writer = new ParquetWriter({ writer: new SinkWriter(1 << 20), schema, codec: codecs[compression], compressors, createdBy: 'siphon' });
  const utf8 = new TextEncoder();
  for (const rows of groups) {
    if (rows.length === 0) continue;
    const columnData: Array<{ name: string; data: unknown[] }> = [];
    columns.forEach((column, index) => {
      const values = rows.map((row) => row[index] ?? null);
      const type = column.type;
      switch (type.kind) {
        case 'timestampOffset':
          columnData.push(
            { name: column.name, data: values.map((v) => (v === null ? null : (v as TimestampWithOffset).micros)) },
            { name: column.name + offsetColumnSuffix, data: values.map((v) => (v === null ? null : (v as TimestampWithOffset).offsetMinutes)) },
          );
          return;
        case 'decimal':
          columnData.push({ name: column.name, data: values.map((v) => (v === null ? null : unscaledDecimal(v as string, type.scale))) });
          return;
        case 'json':
          columnData.push({ name: column.name, data: values.map((v) => (v === null ? null : utf8.encode(v as string))) });
          return;
        case 'uuid':
          columnData.push({ name: column.name, data: values.map((v) => (v === null ? null : Buffer.from((v as string).replaceAll('-', ''), 'hex'))).map((b) => (b === null ? null : new Uint8Array(b))) });
          return;
        default:
          columnData.push({ name: column.name, data: values });
      }
    });
    await writer.write({ columnData, rowGroupSize: rows.length });
  }
  for (const element of schema) {
    if (element.logical_type?.type === 'JSON') element.converted_type = 'JSON';
  }
  writer.finish();
  return Buffer.concat(parts);
}

async function siphonFile(columns: Column[], compression: ParquetCompression, groups: unknown[][][], writerClass: typeof ParquetFileWriter = ParquetFileWriter, encodeMode: 'inline' | 'thread' = 'inline'): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const writer = new writerClass(columns, compression, async (bytes) => void parts.push(bytes.slice()), { encodeMode });
  for (const rows of groups) await writer.writeRows(rows);
  await writer.finish();
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Generated values

type Generator = (next: () => number) => unknown;

const pick = <T,>(next: () => number, values: T[]): T => values[Math.floor(next() * values.length)]!;
const bigintOf = (next: () => number, bits: number) => BigInt.asIntN(bits, (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32)));
const textOf = (next: () => number, alphabet: string[], maxLength: number) => Array.from({ length: Math.floor(next() * maxLength) }, () => pick(next, alphabet)).join('');
const decimalText = (next: () => number, precision: number, scale: number) => {
  const digits = Array.from({ length: Math.max(1, Math.floor(next() * precision)) }, () => Math.floor(next() * 10)).join('');
  const whole = digits.length > scale ? digits.slice(0, digits.length - scale) : '0';
  const fraction = scale ? '.' + digits.slice(-scale).padStart(scale, '0') : '';
  return `${next() < 0.3 ? '-' : ''}${whole.replace(/^0+(?=\d)/, '')}${fraction}`;
};
const hex = (next: () => number, n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');

const generators: Array<{ type: OutputType; value: Generator; extremes?: unknown[] }> = [
  { type: { kind: 'int16' }, value: (next) => Math.floor(next() * 65536) - 32768, extremes: [-32768, 32767, 0] },
  { type: { kind: 'int32' }, value: (next) => Math.floor(next() * 2 ** 32) - 2 ** 31, extremes: [-(2 ** 31), 2 ** 31 - 1, 0] },
  { type: { kind: 'int64' }, value: (next) => bigintOf(next, 64), extremes: [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n, -(2n ** 53n) - 1n] },
  { type: { kind: 'uint64' }, value: (next) => BigInt.asUintN(64, bigintOf(next, 64)), extremes: [0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n, 2n ** 53n] },
  { type: { kind: 'decimal', precision: 9, scale: 2 }, value: (next) => decimalText(next, 9, 2), extremes: ['9999999.99', '-9999999.99', '0.00', '-0.00', '5.', '.5', '00012.30'] },
  { type: { kind: 'decimal', precision: 18, scale: 4 }, value: (next) => decimalText(next, 18, 4), extremes: ['99999999999999.9999', '-99999999999999.9999', '0', '-0.0000', '12.3', '1.23400'] },
  { type: { kind: 'decimal', precision: 38, scale: 10 }, value: (next) => decimalText(next, 38, 10), extremes: ['9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999', '0'] },
  { type: { kind: 'decimal', precision: 20, scale: 0 }, value: (next) => decimalText(next, 20, 0), extremes: ['-1', '1', '0'] },
  { type: { kind: 'float32' }, value: (next) => Math.fround((next() - 0.5) * 1e6), extremes: [NaN, Infinity, -Infinity, -0, 0, 3.4028234663852886e38, 1.401298464324817e-45] },
  { type: { kind: 'float64' }, value: (next) => (next() - 0.5) * 1e300, extremes: [NaN, Infinity, -Infinity, -0, 0, 5e-324, 1.7976931348623157e308] },
  { type: { kind: 'boolean' }, value: (next) => next() < 0.5 },
  { type: { kind: 'string' }, value: (next) => textOf(next, ['a', 'b', 'z', 'é', '漢', '😀', ' ', '\n', '\uFFFD'], 40), extremes: ['', 'x'.repeat(100), '😀'.repeat(9), '\u07FF\u0800', '\uD7FF', '\uE000', 'é'.repeat(20)] },
  { type: { kind: 'json' }, value: (next) => JSON.stringify({ n: Math.floor(next() * 100), s: textOf(next, ['a', 'é', '"'], 10) }), extremes: ['{}', '[]', '"x"', '12345678901234567890123'] },
  { type: { kind: 'uuid' }, value: (next) => `${hex(next, 8)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 12)}`, extremes: ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'] },
  { type: { kind: 'binary' }, value: (next) => Uint8Array.from({ length: Math.floor(next() * 30) }, () => Math.floor(next() * 256)), extremes: [new Uint8Array(0), Uint8Array.of(255, 255, 255), Uint8Array.of(0)] },
  { type: { kind: 'date' }, value: (next) => Math.floor(next() * 3_000_000) - 719_162, extremes: [-719_162, 2_932_896, 0, -1] },
  { type: { kind: 'time' }, value: (next) => BigInt(Math.floor(next() * 86_400_000_000)), extremes: [0n, 86_399_999_999n] },
  { type: { kind: 'timestamp', utc: true }, value: (next) => BigInt(Math.floor((next() - 0.3) * 2 ** 52)), extremes: [-62_135_596_800_000_000n, 253_402_300_799_999_999n, 0n, -1n] },
  { type: { kind: 'timestamp', utc: false }, value: (next) => BigInt(Math.floor(next() * 2 ** 50)), extremes: [0n] },
  { type: { kind: 'timestampOffset' }, value: (next) => ({ micros: BigInt(Math.floor(next() * 2 ** 50)), offsetMinutes: Math.floor(next() * 1680) - 840 }) },
];

type Shape = { rows: number; nulls: number; distinct: number | 'all'; seed: number };

/** Rows for the columns: each column draws from a pool of `distinct` values (or fresh values), with extremes mixed in. */
function rowsOf(columns: Column[], shape: Shape): unknown[][] {
  const next = seededRandom(shape.seed);
  const pools = columns.map((column) => {
    const generator = generators.find((g) => JSON.stringify(g.type) === JSON.stringify(column.type))!;
    if (shape.distinct === 'all') return undefined;
    return Array.from({ length: shape.distinct }, (_, i) => (generator.extremes && i < generator.extremes.length && next() < 0.5 ? generator.extremes[i] : generator.value(next)));
  });
  return Array.from({ length: shape.rows }, () => columns.map((column, c) => {
    if (column.nullable && next() < shape.nulls) return null;
    const generator = generators.find((g) => JSON.stringify(g.type) === JSON.stringify(column.type))!;
    const pool = pools[c];
    if (pool) return pick(next, pool);
    if (generator.extremes && next() < 0.05) return pick(next, generator.extremes);
    return generator.value(next);
  }));
}

function columnsOf(nullable: boolean): Column[] {
  return generators.map((g, i) => ({ name: `c${i}_${g.type.kind}`, sourceType: g.type.kind, nullable, type: g.type }));
}

// ---------------------------------------------------------------------------------------------

const shapes: Shape[] = [
  { rows: 1, nulls: 0, distinct: 'all', seed: 1 },
  { rows: 7, nulls: 0.3, distinct: 'all', seed: 2 },
  { rows: 17, nulls: 0.2, distinct: 3, seed: 3 },
  { rows: 1000, nulls: 0.1, distinct: 'all', seed: 4 },
  { rows: 1001, nulls: 0, distinct: 1, seed: 5 },
  { rows: 3000, nulls: 0.5, distinct: 40, seed: 6 },
  { rows: 5000, nulls: 0.02, distinct: 900, seed: 7 },
  { rows: 2500, nulls: 1, distinct: 5, seed: 8 },
  { rows: 4000, nulls: 0.05, distinct: 3000, seed: 9 },
];

describe('columnar Parquet encoder', () => {
  it.each(shapes)('writes the reference bytes for %o', async (shape) => {
    for (const nullable of [true, false]) {
      const columns = columnsOf(nullable);
      const groups = [rowsOf(columns, shape), rowsOf(columns, { ...shape, seed: shape.seed + 100, rows: Math.ceil(shape.rows / 3) })];
      for (const compression of ['snappy', 'none', 'gzip', 'zstd'] as const) {
        const expected = await referenceFile(columns, compression, groups);
        const actual = await siphonFile(columns, compression, groups);
        expect(actual.equals(expected), `nullable ${nullable}, ${compression}`).toBe(true);
      }
    }
  });

  it('writes the reference bytes for groups of several pages', async () => {
    const columns: Column[] = [
      { name: 'id', sourceType: 'bigint', nullable: false, type: { kind: 'int64' } },
      { name: 'label', sourceType: 'text', nullable: true, type: { kind: 'string' } },
      { name: 'blob', sourceType: 'bytea', nullable: true, type: { kind: 'binary' } },
      { name: 'day', sourceType: 'date', nullable: true, type: { kind: 'date' } },
      { name: 'flag', sourceType: 'bool', nullable: true, type: { kind: 'boolean' } },
    ];
    const next = seededRandom(99);
    const rows = Array.from({ length: 140_000 }, (_, i) => [
      BigInt(i) * 7919n,
      next() < 0.1 ? null : `${'label '.repeat(Math.floor(next() * 8))}${i}`,
      i % 50 === 0 ? Uint8Array.from({ length: Math.floor(next() * 2000) }, () => Math.floor(next() * 256)) : null,
      next() < 0.1 ? null : 18_000 + (i % 1500),
      i % 7 === 0 ? null : i % 3 === 0,
    ]);
    for (const compression of ['snappy', 'none'] as const) {
      const expected = await referenceFile(columns, compression, [rows]);
      const actual = await siphonFile(columns, compression, [rows]);
      expect(actual.equals(expected), compression).toBe(true);
    }
  });

  it('keeps strings that differ only in lone surrogates apart in a dictionary, as the reference does', async () => {
    const columns: Column[] = [{ name: 's', sourceType: 'text', nullable: true, type: { kind: 'string' } }];
    const rows = Array.from({ length: 3000 }, (_, i) => [['a', '\uD800', '\uDFFF', '\uFFFD', 'b\uDBFF', null][i % 6]]);
    const expected = await referenceFile(columns, 'snappy', [rows]);
    const actual = await siphonFile(columns, 'snappy', [rows]);
    expect(actual.equals(expected)).toBe(true);
  });

  it('falls back to a JavaScript snappy that writes hyparquet-writer\'s snappy bytes', () => {
    const next = seededRandom(5);
    const inputs = [new Uint8Array(0), Uint8Array.of(1), new Uint8Array(14).fill(7), new Uint8Array(15).fill(7), new Uint8Array(100_000).fill(3)];
    for (let i = 0; i < 200; i++) {
      const alphabet = 1 + Math.floor(next() * 255);
      const input = new Uint8Array(Math.floor(next() * (i % 10 === 0 ? 300_000 : 3000)));
      for (let k = 0; k < input.length; k++) input[k] = next() < 0.3 && k > 0 ? input[Math.max(0, k - 1 - Math.floor(next() * 70_000))]! : Math.floor(next() * alphabet);
      inputs.push(input);
    }
    for (const input of inputs) expect(Buffer.from(jsSnappyCompress(input)).equals(Buffer.from(hyparquetSnappy(input))), `${input.length} bytes`).toBe(true);
  });

  it('writes a file without rows as the reference does', async () => {
    const columns = columnsOf(true);
    const expected = await referenceFile(columns, 'snappy', []);
    const actual = await siphonFile(columns, 'snappy', []);
    expect(actual.equals(expected)).toBe(true);
  });

  it('names the column of a value it cannot write, and refuses NULL in a NOT NULL column', async () => {
    const columns: Column[] = [
      { name: 'id', sourceType: 'int', nullable: false, type: { kind: 'int32' } },
      { name: 'amount', sourceType: 'numeric(9,2)', nullable: true, type: { kind: 'decimal', precision: 9, scale: 2 } },
    ];
    const write = (rows: unknown[][]) => siphonFile(columns, 'snappy', [rows]);
    await expect(write([[1, '1.234']])).rejects.toThrow(/column amount: Decimal 1\.234 has more than 2 digits/);
    await expect(write([[null, '1.23']])).rejects.toThrow(/column id: NULL/);
    await expect(write([[2 ** 31, '1']])).rejects.toThrow(/column id: .*32-bit/);
  });

  it('writes the same bytes in the encoder thread as inline (compiled code: npm run build first)', async () => {
    const compiled = (await import('../../dist/src/formats/parquet/parquetFileWriter.js' as string)) as { ParquetFileWriter: typeof ParquetFileWriter };
    const columns = columnsOf(true);
    const groups = [rowsOf(columns, { rows: 5000, nulls: 0.1, distinct: 300, seed: 11 }), rowsOf(columns, { rows: 3000, nulls: 0.1, distinct: 'all', seed: 12 })];
    // zstd only between the compiled writers: the compiled and the source encoder each initialize
    // the shared zstd WASM module once, and a second initialization breaks the first one's calls.
    for (const compression of ['snappy', 'zstd'] as const) {
      const inline = await siphonFile(columns, compression, groups, compiled.ParquetFileWriter, 'inline');
      const threaded = await siphonFile(columns, compression, groups, compiled.ParquetFileWriter, 'thread');
      expect(threaded.equals(inline), compression).toBe(true);
      if (compression === 'snappy') expect(inline.equals(await referenceFile(columns, compression, groups))).toBe(true);
    }
  });
});
