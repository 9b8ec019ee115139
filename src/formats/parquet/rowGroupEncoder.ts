import { gzipSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import type { ColumnChunk, CompressionCodec, Encoding, OffsetIndex, ParquetType, Statistics } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import type { ColumnarGroup, LeafData, LeafKind, LeafSpec } from './columnarGroup.js';
import { snappyCompress } from './snappy.js';

/**
 * Encodes one row group of flat columns from typed arrays into exactly the bytes
 * hyparquet-writer 0.17's ParquetWriter writes for the same values with the same compressors
 * (same dictionary decisions, page boundaries, RLE/bit-packing runs, page headers and
 * statistics), so test/unit/parquetEncoder.test.ts can compare the two byte for byte.
 * hyparquet-writer works value by value on JS values (a bigint per int64, a Uint8Array per
 * string, a growing DataView); this works on the group's arrays and copies whole runs of bytes.
 * It is synchronous and self-contained, so it runs as well in the encoder thread as inline.
 */

export type ParquetCodec = Extract<CompressionCodec, 'SNAPPY' | 'ZSTD' | 'GZIP' | 'UNCOMPRESSED'>;

/**
 * One encoded row group. Offsets in `columns` and `offsetIndexes` count from the group's first
 * byte. `group` is the group that was encoded, whose arrays can now be filled again.
 */
export type EncodedGroup = { bytes: Uint8Array; columns: ColumnChunk[]; offsetIndexes: Array<OffsetIndex | undefined>; group: ColumnarGroup };

/** hyparquet-writer's defaults: 1 MiB pages, statistics on, dictionaries sampled over 1,000 values. */
const pageSize = 1_048_576;
const dictionarySampleSize = 1000;
const sampleRejectionRatio = 0.9;

/** zstd level 3, the library's and Spark's default: most of the ratio at a fraction of the CPU. */
const zstdLevel = 3;

/**
 * The zstd WASM module can only be instantiated asynchronously and the encoder is synchronous,
 * so whoever encodes with zstd awaits this once per thread first.
 */
let zstdReady: Promise<void> | undefined;

export function loadZstd(): Promise<void> {
  zstdReady ??= zstdInit().catch((err: unknown) => {
    zstdReady = undefined;
    throw err;
  });
  return zstdReady;
}

function compress(codec: ParquetCodec, bytes: Uint8Array): Uint8Array {
  switch (codec) {
    case 'SNAPPY': return snappyCompress(bytes);
    case 'ZSTD': return zstdCompress(bytes, zstdLevel);
    case 'GZIP': return gzipSync(bytes);
    case 'UNCOMPRESSED': return bytes;
  }
}

const physicalTypes: Record<LeafKind, ParquetType> = {
  int32: 'INT32', int64: 'INT64', uint64: 'INT64', float: 'FLOAT', double: 'DOUBLE', boolean: 'BOOLEAN',
  string: 'BYTE_ARRAY', bytes: 'BYTE_ARRAY', fixed: 'FIXED_LEN_BYTE_ARRAY',
};

/** A ByteWriter (what hyparquet-writer's thrift and header writers take) with direct access to its bytes. */
class OutBuffer extends ByteWriter {
  u8: Uint8Array;

  /** A buffer of `size` bytes, or `reuse` when it is at least that large. */
  constructor(size: number, reuse?: ArrayBuffer) {
    super(reuse && reuse.byteLength >= size ? 0 : size);
    if (reuse && reuse.byteLength >= size) {
      this.buffer = reuse;
      this.view = new DataView(reuse);
    }
    this.u8 = new Uint8Array(this.buffer);
  }

  override ensure(size: number): void {
    if (this.index + size <= this.buffer.byteLength) return;
    super.ensure(size);
    this.u8 = new Uint8Array(this.buffer);
  }

  override appendUint8(value: number): void {
    this.ensure(1);
    this.u8[this.index++] = value;
    this.offset++;
  }

  override appendBytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.u8.set(value, this.index);
    this.index += value.length;
    this.offset += value.length;
  }

  reset(): void {
    this.index = 0;
    this.offset = 0;
  }

  bytes(): Uint8Array {
    return this.u8.subarray(0, this.index);
  }
}

// Scratch buffers reused across pages and groups (one encoder runs at a time per thread).
const levelScratch = new OutBuffer(1 << 16);
const pageScratch = new OutBuffer(1 << 20);
const rleScratch = new OutBuffer(1 << 16);

/**
 * Encodes a group into `output` (the buffer of an earlier group whose bytes have been written)
 * when it is large enough, otherwise into a new buffer.
 */
export function encodeRowGroup(specs: LeafSpec[], codec: ParquetCodec, group: ColumnarGroup, output?: ArrayBuffer): EncodedGroup {
  // Room for the values uncompressed plus headers, so the buffer is rarely copied to grow; the
  // group's bytes are handed over as a view of it, not copied out.
  const out = new OutBuffer(Math.ceil(group.leaves.reduce((sum, leaf, index) => sum + rawSize(specs[index]!, leaf, group.rows), 0) * 1.1) + (64 << 10), output);
  const columns: ColumnChunk[] = [];
  const offsetIndexes: Array<OffsetIndex | undefined> = [];
  specs.forEach((spec, index) => {
    const leaf = new Leaf(spec, group.leaves[index]!, group.rows);
    const { chunk, offsetIndex } = encodeLeaf(out, leaf, codec);
    columns.push(chunk);
    offsetIndexes.push(offsetIndex);
  });
  return { bytes: out.bytes(), columns, offsetIndexes, group };
}

function rawSize(spec: LeafSpec, leaf: LeafData, rows: number): number {
  const levels = leaf.defined ? rows / 8 : 0;
  switch (spec.kind) {
    case 'int32': case 'float': return levels + leaf.count * 4;
    case 'int64': case 'uint64': case 'double': return levels + leaf.count * 8;
    case 'boolean': return levels + leaf.count / 8;
    case 'fixed': return levels + leaf.count * spec.typeLength;
    case 'string': case 'bytes': return levels + leaf.offsets![leaf.count]! + leaf.count * 4;
  }
}

/** A leaf's data with the accessors the encoding steps share. */
class Leaf {
  readonly kind: LeafKind;
  readonly count: number;
  /** Low and high 32-bit halves of int64 values, for comparing and keying without a bigint. */
  readonly words: Int32Array | undefined;
  private latin1: Buffer | undefined;

  constructor(readonly spec: LeafSpec, readonly data: LeafData, readonly rows: number) {
    this.kind = spec.kind;
    this.count = data.count;
    this.words = data.longs ? new Int32Array(data.longs.buffer, data.longs.byteOffset, data.longs.length * 2) : undefined;
  }

  isDefined(row: number): boolean {
    return this.data.defined ? this.data.defined[row] === 1 : true;
  }

  /** Bytes of value k of a string, bytes or fixed leaf. */
  start(k: number): number {
    return this.kind === 'fixed' ? k * this.spec.typeLength : this.data.offsets![k]!;
  }

  end(k: number): number {
    return this.kind === 'fixed' ? (k + 1) * this.spec.typeLength : this.data.offsets![k + 1]!;
  }

  /** The value's bytes as a string of one character per byte: equal keys for equal bytes, no decoding. */
  byteKey(k: number): string {
    this.latin1 ??= Buffer.from(this.data.bytes!.buffer, this.data.bytes!.byteOffset, this.data.bytes!.byteLength);
    return this.latin1.toString('latin1', this.start(k), this.end(k));
  }

  /** UTF-16 length of string value k (what hyparquet-writer counts for a JS string): code points, astral ones twice. */
  utf16Length(k: number): number {
    if (this.data.strings) return this.data.strings[k]!.length;
    const bytes = this.data.bytes!;
    let length = 0;
    for (let i = this.start(k), end = this.end(k); i < end; i++) {
      const byte = bytes[i]!;
      if ((byte & 0xc0) !== 0x80) length += byte >= 0xf0 ? 2 : 1;
    }
    return length;
  }

  /** A Map key equal exactly when the values are equal, as hyparquet-writer's Map of JS values keys them. */
  key(k: number): unknown {
    switch (this.kind) {
      case 'int32': return this.data.ints![k];
      case 'float': case 'double': return this.data.doubles![k];
      case 'int64': case 'uint64': {
        const low = this.words![2 * k]! >>> 0;
        const high = this.words![2 * k + 1]!;
        const top = this.kind === 'uint64' ? high >>> 0 : high;
        // Exact as a double below 2^53; beyond, the bigint itself.
        if (top >= -0x200000 && top < 0x200000) return top * 4_294_967_296 + low;
        return this.kind === 'uint64' ? BigInt.asUintN(64, this.data.longs![k]!) : this.data.longs![k]!;
      }
      case 'string': return this.data.strings ? this.data.strings[k] : this.byteKey(k);
      default: return this.byteKey(k);
    }
  }

  /** hyparquet-writer's estimateValueSize of value k as written without a dictionary. */
  plainSize(k: number): number {
    switch (this.kind) {
      case 'int32': case 'float': return 4;
      case 'int64': case 'uint64': case 'double': return 8;
      case 'boolean': return 0.125;
      case 'fixed': return this.spec.typeLength;
      default: return this.end(k) - this.start(k);
    }
  }
}

function encodeLeaf(out: OutBuffer, leaf: Leaf, codec: ParquetCodec): { chunk: ColumnChunk; offsetIndex: OffsetIndex | undefined } {
  const offsetStart = out.offset;
  let uncompressedSize = 0;
  const encodings: Encoding[] = [];
  const statistics = leafStatistics(leaf);
  const dictionary = leaf.kind === 'boolean' ? undefined : buildDictionary(leaf);
  let encoding: Encoding;
  let dictionaryPageOffset: bigint | undefined;
  if (dictionary) {
    encoding = 'RLE_DICTIONARY';
    dictionaryPageOffset = BigInt(out.offset);
    uncompressedSize += writeDictionaryPage(out, leaf, dictionary.entries, codec);
    encodings.push('PLAIN');
  } else {
    encoding = leaf.kind === 'boolean' && leaf.rows > 16 ? 'RLE' : 'PLAIN';
  }
  encodings.push(encoding);

  const pages = pageBoundaries(leaf, dictionary !== undefined);
  const offsetIndex: OffsetIndex | undefined = pages.length > 1 ? { page_locations: [] } : undefined;
  const dataPageOffset = BigInt(out.offset);
  let valueStart = 0;
  for (const { start, end } of pages) {
    const pageOffset = out.offset;
    let valueEnd = valueStart;
    for (let row = start; row < end; row++) if (leaf.isDefined(row)) valueEnd++;
    uncompressedSize += writeDataPage(out, leaf, start, end, valueStart, valueEnd, encoding, dictionary?.indexes, codec);
    offsetIndex?.page_locations.push({ offset: BigInt(pageOffset), compressed_page_size: out.offset - pageOffset, first_row_index: BigInt(start) });
    valueStart = valueEnd;
  }

  const encodingStats: NonNullable<ColumnChunk['meta_data']>['encoding_stats'] = [];
  if (dictionaryPageOffset !== undefined) encodingStats.push({ page_type: 'DICTIONARY_PAGE', encoding: 'PLAIN', count: 1 });
  encodingStats.push({ page_type: 'DATA_PAGE_V2', encoding, count: pages.length });
  return {
    chunk: {
      meta_data: {
        type: physicalTypes[leaf.kind],
        encodings,
        path_in_schema: [leaf.spec.name],
        codec,
        num_values: BigInt(leaf.rows),
        total_compressed_size: BigInt(out.offset - offsetStart),
        total_uncompressed_size: BigInt(uncompressedSize),
        data_page_offset: dataPageOffset,
        dictionary_page_offset: dictionaryPageOffset,
        statistics,
        encoding_stats: encodingStats,
        geospatial_statistics: undefined,
      },
      file_offset: BigInt(offsetStart),
    },
    offsetIndex,
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics: min and max by the physical order hyparquet-writer compares in, the first of equal
// values kept, NaN skipped and counted, zero normalized to -0 (min) and +0 (max); the values in the
// JS types its footer writer expects (a bigint for every decimal).

function leafStatistics(leaf: Leaf): Statistics & { nan_count?: bigint } {
  const floating = leaf.kind === 'float' || leaf.kind === 'double';
  let min: unknown;
  let max: unknown;
  let nanCount = 0;
  const n = leaf.count;
  const data = leaf.data;
  if (n > 0) {
    switch (leaf.kind) {
      case 'int32': case 'float': case 'double': {
        const values = (leaf.kind === 'int32' ? data.ints! : data.doubles!);
        let lo: number | undefined;
        let hi: number | undefined;
        for (let k = 0; k < n; k++) {
          const value = values[k]!;
          if (value !== value) {
            nanCount++;
            continue;
          }
          if (lo === undefined || value < lo) lo = value;
          if (hi === undefined || value > hi) hi = value;
        }
        min = leaf.spec.decimal && lo !== undefined ? BigInt(lo) : lo;
        max = leaf.spec.decimal && hi !== undefined ? BigInt(hi) : hi;
        break;
      }
      case 'int64': case 'uint64': {
        const words = leaf.words!;
        const unsigned = leaf.kind === 'uint64';
        let lo = 0;
        let hi = 0;
        for (let k = 1; k < n; k++) {
          if (compareWords(words, k, lo, unsigned) < 0) lo = k;
          if (compareWords(words, k, hi, unsigned) > 0) hi = k;
        }
        min = unsigned ? BigInt.asUintN(64, data.longs![lo]!) : data.longs![lo]!;
        max = unsigned ? BigInt.asUintN(64, data.longs![hi]!) : data.longs![hi]!;
        break;
      }
      case 'boolean': {
        const bools = data.bools!;
        let lo = bools[0]!;
        let hi = lo;
        for (let k = 1; k < n; k++) {
          lo &= bools[k]!;
          hi |= bools[k]!;
        }
        min = lo === 1;
        max = hi === 1;
        break;
      }
      default: {
        const signed = leaf.spec.decimal;
        let lo = 0;
        let hi = 0;
        for (let k = 1; k < n; k++) {
          if (compareBytes(leaf, k, lo, signed) < 0) lo = k;
          if (compareBytes(leaf, k, hi, signed) > 0) hi = k;
        }
        min = signed ? bigintOfBytes(leaf, lo) : data.bytes!.slice(leaf.start(lo), leaf.end(lo));
        max = signed ? bigintOfBytes(leaf, hi) : data.bytes!.slice(leaf.start(hi), leaf.end(hi));
      }
    }
  }
  if (min === 0) min = -0;
  if (max === 0) max = 0;
  return {
    min_value: min as Statistics['min_value'],
    max_value: max as Statistics['max_value'],
    null_count: BigInt(leaf.rows - n),
    nan_count: floating ? BigInt(nanCount) : undefined,
  };
}

function compareWords(words: Int32Array, a: number, b: number, unsigned: boolean): number {
  const highA = unsigned ? words[2 * a + 1]! >>> 0 : words[2 * a + 1]!;
  const highB = unsigned ? words[2 * b + 1]! >>> 0 : words[2 * b + 1]!;
  if (highA !== highB) return highA < highB ? -1 : 1;
  const lowA = words[2 * a]! >>> 0;
  const lowB = words[2 * b]! >>> 0;
  return lowA === lowB ? 0 : lowA < lowB ? -1 : 1;
}

/**
 * Unsigned lexicographic order of two values' bytes, the shorter first when one is a prefix: the
 * order of Uint8Arrays and, for UTF-8, of strings by code point. A decimal's two's complement
 * compares as its number: the sign bit flipped, then unsigned.
 */
function compareBytes(leaf: Leaf, a: number, b: number, signed: boolean): number {
  const bytes = leaf.data.bytes!;
  const startA = leaf.start(a);
  const startB = leaf.start(b);
  const lengthA = leaf.end(a) - startA;
  const lengthB = leaf.end(b) - startB;
  const length = Math.min(lengthA, lengthB);
  for (let i = 0; i < length; i++) {
    let x = bytes[startA + i]!;
    let y = bytes[startB + i]!;
    if (x !== y) {
      if (signed && i === 0) {
        x ^= 0x80;
        y ^= 0x80;
      }
      return x - y;
    }
  }
  return lengthA - lengthB;
}

function bigintOfBytes(leaf: Leaf, k: number): bigint {
  const bytes = leaf.data.bytes!;
  let value = 0n;
  for (let i = leaf.start(k), end = leaf.end(k); i < end; i++) value = (value << 8n) | BigInt(bytes[i]!);
  return BigInt.asIntN(8 * leaf.spec.typeLength, value);
}

// ---------------------------------------------------------------------------------------------
// Dictionary: hyparquet-writer's useDictionary. A sample of 1,000 values spread over the group
// rejects columns whose distinct values are over 90% of the sampled bytes; otherwise the
// dictionary is built in order of first occurrence and kept if it (with bit-packed indexes) at
// most halves the plain size.

type Dictionary = { entries: Int32Array; indexes: Int32Array };

function buildDictionary(leaf: Leaf): Dictionary | undefined {
  const rows = leaf.rows;
  const byteLike = leaf.kind === 'string' || leaf.kind === 'bytes' || leaf.kind === 'fixed';
  const prefix = leaf.kind === 'string' || leaf.kind === 'bytes' ? 4 : 0;
  // A JS string's size is its UTF-16 length; a Uint8Array's, its bytes.
  const dictionarySize = (k: number): number => (leaf.kind === 'string' ? leaf.utf16Length(k) : leaf.plainSize(k));

  // The sample keys Uint8Array values (every byte-like leaf but strings) by their FNV-1a hash, as
  // hyparquet-writer does, so colliding values count once there too.
  const sampleSize = Math.min(rows, dictionarySampleSize);
  const sampleSizes = new Map<unknown, number>();
  let sampleDictionarySize = 0;
  let sampleTotalSize = 0;
  let row = 0;
  let k = 0;
  for (let i = 0; i < sampleSize; i++) {
    const sampleIndex = sampleSize === 1 ? 0 : Math.floor((i * (rows - 1)) / (sampleSize - 1));
    for (; row < sampleIndex; row++) if (leaf.isDefined(row)) k++;
    if (!leaf.isDefined(sampleIndex)) continue;
    const key = byteLike && leaf.kind !== 'string' ? fnv1a(leaf, k) : leaf.key(k);
    let valueSize = sampleSizes.get(key);
    if (valueSize === undefined) {
      valueSize = dictionarySize(k) + prefix;
      sampleSizes.set(key, valueSize);
      sampleDictionarySize += valueSize;
    }
    sampleTotalSize += valueSize;
  }
  if (!sampleTotalSize || sampleDictionarySize / sampleTotalSize > sampleRejectionRatio) return undefined;

  const n = leaf.count;
  const indexes = new Int32Array(n);
  const positions = new Map<unknown, number>();
  const entries: number[] = [];
  const sizes: number[] = [];
  let dictSize = 0;
  let totalSize = 0;
  for (let v = 0; v < n; v++) {
    const key = leaf.key(v);
    let index = positions.get(key);
    if (index === undefined) {
      const valueSize = dictionarySize(v);
      index = entries.length;
      entries.push(v);
      sizes.push(valueSize);
      positions.set(key, index);
      dictSize += valueSize;
    }
    totalSize += sizes[index]!;
    indexes[v] = index;
  }
  const bitWidth = Math.ceil(Math.log2(entries.length));
  const indexSize = Math.ceil((n * bitWidth) / 8);
  const plainSize = totalSize + n * prefix;
  const dictionaryValueSize = dictSize + entries.length * prefix;
  if (2 * (dictionaryValueSize + indexSize) > plainSize) return undefined;
  return { entries: Int32Array.from(entries), indexes };
}

function fnv1a(leaf: Leaf, k: number): number {
  const bytes = leaf.data.bytes!;
  let hash = 0x811c9dc5;
  for (let i = leaf.start(k), end = leaf.end(k); i < end; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Pages

/** Rows per page: a page ends once its estimated value bytes reach 1 MiB (NULLs count 0). */
function pageBoundaries(leaf: Leaf, dictionary: boolean): Array<{ start: number; end: number }> {
  const boundaries: Array<{ start: number; end: number }> = [];
  let start = 0;
  let accumulated = 0;
  let k = 0;
  for (let row = 0; row < leaf.rows; row++) {
    let size = 0;
    if (leaf.isDefined(row)) size = dictionary ? 4 : leaf.plainSize(k++);
    accumulated += size;
    if (accumulated >= pageSize && row > start) {
      boundaries.push({ start, end: row });
      start = row;
      accumulated = size;
    }
  }
  if (start < leaf.rows) boundaries.push({ start, end: leaf.rows });
  return boundaries;
}

/** Values [from, to) of the leaf in PLAIN encoding (also the dictionary page, through `entries`). */
function writePlain(page: OutBuffer, leaf: Leaf, from: number, to: number, entries?: Int32Array): void {
  const data = leaf.data;
  const count = to - from;
  if (count === 0) return;
  const at = (i: number) => (entries ? entries[i]! : i);
  switch (leaf.kind) {
    case 'boolean': {
      page.ensure(Math.ceil(count / 8));
      const bools = data.bools!;
      let current = 0;
      for (let i = 0; i < count; i++) {
        const bit = i % 8;
        if (bools[at(from + i)]) current |= 1 << bit;
        if (bit === 7) {
          page.appendUint8(current);
          current = 0;
        }
      }
      if (count % 8) page.appendUint8(current);
      return;
    }
    case 'int32': case 'int64': case 'uint64': case 'double': {
      const width = leaf.kind === 'int32' ? 4 : 8;
      const array = data.ints ?? data.longs ?? data.doubles!;
      const source = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      page.ensure(count * width);
      if (entries) {
        for (let i = from; i < to; i++) {
          const s = entries[i]! * width;
          page.u8.set(source.subarray(s, s + width), page.index);
          page.index += width;
        }
      } else {
        page.u8.set(source.subarray(from * width, to * width), page.index);
        page.index += count * width;
      }
      page.offset += count * width;
      return;
    }
    case 'float': {
      page.ensure(count * 4);
      const doubles = data.doubles!;
      for (let i = from; i < to; i++) {
        page.view.setFloat32(page.index, doubles[at(i)]!, true);
        page.index += 4;
      }
      page.offset += count * 4;
      return;
    }
    case 'string': case 'bytes': case 'fixed': {
      const bytes = data.bytes!;
      const prefix = leaf.kind === 'fixed' ? 0 : 4;
      if (!entries) page.ensure(leaf.end(to - 1) - leaf.start(from) + count * prefix);
      for (let i = from; i < to; i++) {
        const k = at(i);
        const start = leaf.start(k);
        const length = leaf.end(k) - start;
        page.ensure(length + prefix);
        if (prefix) {
          page.view.setUint32(page.index, length, true);
          page.index += 4;
        }
        const target = page.u8;
        let index = page.index;
        if (length < 16) {
          for (let b = 0; b < length; b++) target[index++] = bytes[start + b]!;
        } else {
          target.set(bytes.subarray(start, start + length), index);
          index += length;
        }
        page.index = index;
        page.offset += length + prefix;
      }
      return;
    }
  }
}

function writeDictionaryPage(out: OutBuffer, leaf: Leaf, entries: Int32Array, codec: ParquetCodec): number {
  const page = pageScratch;
  page.reset();
  writePlain(page, leaf, 0, entries.length, entries);
  const dictionaryBytes = page.bytes();
  const compressed = compress(codec, dictionaryBytes);
  const headerStart = out.offset;
  writePageHeader(out, {
    type: 'DICTIONARY_PAGE',
    uncompressed_page_size: dictionaryBytes.byteLength,
    compressed_page_size: compressed.byteLength,
    dictionary_page_header: { num_values: entries.length, encoding: 'PLAIN' },
  });
  const headerSize = out.offset - headerStart;
  out.appendBytes(compressed);
  return headerSize + dictionaryBytes.byteLength;
}

/** One DATA_PAGE_V2 of rows [start, end), whose non-NULL values are [from, to); returns its uncompressed size. */
function writeDataPage(out: OutBuffer, leaf: Leaf, start: number, end: number, from: number, to: number, encoding: Encoding, indexes: Int32Array | undefined, codec: ParquetCodec): number {
  const levels = levelScratch;
  levels.reset();
  const rows = end - start;
  let definitionLength = 0;
  const defined = leaf.data.defined;
  if (defined) definitionLength = writeHybrid(levels, defined, start, end, 1);
  const nulls = rows - (to - from);

  const page = pageScratch;
  page.reset();
  if (encoding === 'PLAIN') {
    writePlain(page, leaf, from, to);
  } else if (encoding === 'RLE') {
    const rle = rleScratch;
    rle.reset();
    writeHybrid(rle, leaf.data.bools!, from, to, 1);
    page.appendUint32(rle.offset);
    page.appendBytes(rle.bytes());
  } else {
    let maxValue = 0;
    for (let i = from; i < to; i++) if (indexes![i]! > maxValue) maxValue = indexes![i]!;
    const bitWidth = Math.ceil(Math.log2(maxValue + 1));
    page.appendUint8(bitWidth);
    writeHybrid(page, indexes!, from, to, bitWidth);
  }
  const pageBytes = page.bytes();
  const compressed = compress(codec, pageBytes);

  const headerStart = out.offset;
  writePageHeader(out, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: levels.offset + page.offset,
    compressed_page_size: levels.offset + compressed.length,
    data_page_header_v2: {
      num_values: rows,
      num_nulls: nulls,
      num_rows: rows,
      encoding,
      definition_levels_byte_length: definitionLength,
      repetition_levels_byte_length: 0,
      is_compressed: true,
    },
  });
  const headerSize = out.offset - headerStart;
  out.appendBytes(levels.bytes());
  out.appendBytes(compressed);
  return headerSize + levels.offset + page.offset;
}

// ---------------------------------------------------------------------------------------------
// RLE / bit-packing hybrid, exactly as hyparquet-writer's writeRleBitPackedHybrid: a run of 8 or
// more equal values is an RLE run, anything else goes into bit-packed groups of 8 (zero-padded).

function writeHybrid(out: OutBuffer, values: Uint8Array | Int32Array, from: number, to: number, bitWidth: number): number {
  const start = out.offset;
  let pendingGroups = 0;
  let bitPackedStart = 0;
  let i = from;
  while (i < to) {
    const first = values[i]!;
    let run = 1;
    while (i + run < to && values[i + run] === first) run++;
    if (run >= 8) {
      if (pendingGroups) {
        writeBitPacked(out, values, bitPackedStart, pendingGroups, bitWidth, to);
        pendingGroups = 0;
      }
      out.appendVarInt(run << 1);
      const width = (bitWidth + 7) >> 3;
      for (let j = 0; j < width; j++) out.appendUint8((first >> (j << 3)) & 0xff);
      i += run;
    } else {
      if (pendingGroups === 0) bitPackedStart = i;
      pendingGroups++;
      i += 8;
    }
  }
  if (pendingGroups) writeBitPacked(out, values, bitPackedStart, pendingGroups, bitWidth, to);
  return out.offset - start;
}

function writeBitPacked(out: OutBuffer, values: Uint8Array | Int32Array, start: number, groups: number, bitWidth: number, to: number): void {
  out.appendVarInt((groups << 1) | 1);
  if (bitWidth === 0) return;
  out.ensure(groups * bitWidth + 1);
  const target = out.u8;
  let index = out.index;
  const mask = (1 << bitWidth) - 1;
  let buffer = 0;
  let bitsUsed = 0;
  const total = groups * 8;
  for (let i = 0; i < total; i++) {
    const position = start + i;
    const value = position < to ? values[position]! & mask : 0;
    buffer |= value << bitsUsed;
    bitsUsed += bitWidth;
    while (bitsUsed >= 8) {
      target[index++] = buffer & 0xff;
      buffer >>>= 8;
      bitsUsed -= 8;
    }
  }
  if (bitsUsed > 0) target[index++] = buffer & 0xff;
  out.offset += index - out.index;
  out.index = index;
}
