import { NonRetryableError, errorMessage } from '../../errors/errorTypes.js';
import type { Column, OutputType } from '../../spec/columns.js';
import type { TimestampWithOffset } from '../canonicalValues.js';
import { unscaledDecimal } from '../decimalText.js';
import { offsetColumnSuffix } from './parquetSchema.js';

/**
 * Row groups held as typed arrays, one leaf (Parquet column) at a time, instead of arrays of
 * rows: a row's values are copied out as soon as it is added, so the row objects the driver made
 * die young (no old-generation garbage), a bigint costs 8 bytes instead of an object, and a group
 * can be handed to the encoder thread without copying (its buffers are transferred).
 */

/**
 * How a leaf is stored and encoded: the Parquet physical type plus what decides how its values
 * compare and are counted (hyparquet-writer's rules, which the encoder reproduces byte for byte).
 */
export type LeafKind = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'boolean' | 'string' | 'bytes' | 'fixed';

export type LeafSpec = {
  name: string;
  kind: LeafKind;
  /** REQUIRED in the schema: no definition levels, NULL is refused. */
  required: boolean;
  /** A DECIMAL: statistics are the unscaled bigint, whatever the physical type. */
  decimal: boolean;
  /** Bytes of a FIXED_LEN_BYTE_ARRAY value. */
  typeLength: number;
};

/**
 * One leaf of a row group. `defined` has one byte per row (1 = a value) and is absent for
 * required leaves; the value arrays hold only the `count` non-NULL values, in row order, and may
 * be longer than that (capacity). Variable-length values are `bytes` cut at `offsets`.
 */
export type LeafData = {
  count: number;
  defined?: Uint8Array | undefined;
  ints?: Int32Array | undefined;
  longs?: BigInt64Array | undefined;
  doubles?: Float64Array | undefined;
  bools?: Uint8Array | undefined;
  bytes?: Uint8Array | undefined;
  offsets?: Int32Array | undefined;
  /**
   * The source strings of a string leaf that holds a lone surrogate: TextEncoder writes every
   * lone surrogate as U+FFFD, so bytes cannot tell such strings apart, and the dictionary (like
   * hyparquet-writer's) keeps distinct strings distinct.
   */
  strings?: string[] | undefined;
};

export type ColumnarGroup = { rows: number; leaves: LeafData[] };

/** The leaves of the file's columns, in schema order (a timestampOffset column makes two). */
export function leafSpecs(columns: Column[]): LeafSpec[] {
  return columns.flatMap((column): LeafSpec[] => {
    const required = !column.nullable;
    if (column.type.kind === 'timestampOffset') {
      return [
        { name: column.name, kind: 'int64', required, decimal: false, typeLength: 0 },
        { name: column.name + offsetColumnSuffix, kind: 'int32', required, decimal: false, typeLength: 0 },
      ];
    }
    return [{ name: column.name, required, ...leafKind(column.type) }];
  });
}

function leafKind(type: Exclude<OutputType, { kind: 'timestampOffset' }>): Omit<LeafSpec, 'name' | 'required'> {
  const plain = (kind: LeafKind) => ({ kind, decimal: false, typeLength: 0 });
  switch (type.kind) {
    case 'int16': case 'int32': case 'date': return plain('int32');
    case 'int64': case 'time': case 'timestamp': return plain('int64');
    case 'uint64': return plain('uint64');
    case 'float32': return plain('float');
    case 'float64': return plain('double');
    case 'boolean': return plain('boolean');
    case 'string': return plain('string');
    case 'json': case 'binary': return plain('bytes');
    case 'uuid': return { kind: 'fixed', decimal: false, typeLength: 16 };
    case 'decimal':
      if (type.precision <= 9) return { kind: 'int32', decimal: true, typeLength: 0 };
      if (type.precision <= 18) return { kind: 'int64', decimal: true, typeLength: 0 };
      return { kind: 'fixed', decimal: true, typeLength: decimalBytes(type.precision) };
  }
}

/** The fewest bytes whose two's complement holds every value of the given precision (as in parquetSchema). */
function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (max >= 1n << BigInt(8 * bytes - 1)) bytes++;
  return bytes;
}

/** Every ArrayBuffer of a group, to transfer it to another thread. */
export function groupBuffers(group: ColumnarGroup): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const leaf of group.leaves) {
    for (const array of [leaf.defined, leaf.ints, leaf.longs, leaf.doubles, leaf.bools, leaf.bytes, leaf.offsets]) {
      if (array) buffers.add(array.buffer as ArrayBuffer);
    }
  }
  return [...buffers];
}

const minInt64 = -(2n ** 63n);
const maxInt64 = 2n ** 63n - 1n;
const maxUint64 = 2n ** 64n - 1n;
const two32 = 4_294_967_296;
const utf8 = new TextEncoder();

/** `array` if it has room for `length` values (a detached or missing one has none). */
function fits<T extends { length: number }>(array: T | undefined, length: number): T | undefined {
  return array && array.length >= length ? array : undefined;
}

/** Growable storage of one leaf while rows are added. */
class LeafBuilder {
  count = 0;
  defined: Uint8Array | undefined;
  ints: Int32Array | undefined;
  longs: BigInt64Array | undefined;
  /** The same memory as `longs` as 32-bit halves, to store a safe-integer number without a bigint. */
  longWords: Int32Array | undefined;
  doubles: Float64Array | undefined;
  bools: Uint8Array | undefined;
  bytes: Uint8Array | undefined;
  offsets: Int32Array | undefined;
  strings: string[] | undefined;
  used = 0;

  /** Arrays of encoded groups given back, filled again instead of allocating new ones. */
  private readonly reusable: LeafData[] = [];

  constructor(readonly spec: LeafSpec, private capacity: number) {
    this.allocate();
  }

  /** Keeps one given-back set: with one group in the encoder at a time, one is all the next group needs. */
  offer(data: LeafData): void {
    if (this.reusable.length === 0) this.reusable.push(data);
  }

  private allocate(): void {
    const capacity = this.capacity;
    const reuse = this.reusable.pop();
    const lastBytes = this.bytes?.length ?? 0;
    this.count = 0;
    this.used = 0;
    this.strings = undefined;
    this.defined = this.spec.required ? undefined : fits(reuse?.defined, capacity) ?? new Uint8Array(capacity);
    switch (this.spec.kind) {
      case 'int32': this.ints = fits(reuse?.ints, capacity) ?? new Int32Array(capacity); break;
      case 'int64': case 'uint64':
        this.longs = fits(reuse?.longs, capacity) ?? new BigInt64Array(capacity);
        this.longWords = new Int32Array(this.longs.buffer, this.longs.byteOffset, this.longs.length * 2);
        break;
      case 'float': case 'double': this.doubles = fits(reuse?.doubles, capacity) ?? new Float64Array(capacity); break;
      case 'boolean': this.bools = fits(reuse?.bools, capacity) ?? new Uint8Array(capacity); break;
      case 'string': case 'bytes':
        // As much as the last group needed, so a group of similar rows does not grow it again.
        this.bytes = fits(reuse?.bytes, 1024) ?? new Uint8Array(Math.max(1024, capacity * 16, lastBytes));
        this.offsets = fits(reuse?.offsets, capacity + 1) ?? new Int32Array(capacity + 1);
        break;
      case 'fixed': this.bytes = fits(reuse?.bytes, capacity * this.spec.typeLength) ?? new Uint8Array(capacity * this.spec.typeLength); break;
    }
  }

  /** Room for `capacity` rows, keeping what is stored. */
  grow(capacity: number): void {
    this.capacity = capacity;
    const copy = <T extends Int32Array | Uint8Array | Float64Array | BigInt64Array>(array: T | undefined, make: (length: number) => T, length: number): T | undefined => {
      if (!array) return undefined;
      const bigger = make(length);
      bigger.set(array as never);
      return bigger;
    };
    this.defined = copy(this.defined, (n) => new Uint8Array(n), capacity);
    this.ints = copy(this.ints, (n) => new Int32Array(n), capacity);
    this.longs = copy(this.longs, (n) => new BigInt64Array(n), capacity);
    this.longWords = this.longs ? new Int32Array(this.longs.buffer, this.longs.byteOffset, this.longs.length * 2) : undefined;
    this.doubles = copy(this.doubles, (n) => new Float64Array(n), capacity);
    this.bools = copy(this.bools, (n) => new Uint8Array(n), capacity);
    this.offsets = copy(this.offsets, (n) => new Int32Array(n), capacity + 1);
    if (this.spec.kind === 'fixed') this.bytes = copy(this.bytes, (n) => new Uint8Array(n), capacity * this.spec.typeLength);
  }

  /** Room for `extra` more bytes of variable-length values. */
  reserve(extra: number): Uint8Array {
    const bytes = this.bytes!;
    if (this.used + extra <= bytes.length) return bytes;
    const bigger = new Uint8Array(Math.max(bytes.length * 2, this.used + extra));
    bigger.set(bytes.subarray(0, this.used));
    this.bytes = bigger;
    return bigger;
  }

  take(): LeafData {
    const data: LeafData = {
      count: this.count, defined: this.defined, ints: this.ints, longs: this.longs, doubles: this.doubles,
      bools: this.bools, bytes: this.bytes, offsets: this.offsets, strings: this.strings,
    };
    this.allocate();
    return data;
  }
}

/** The rows of the next row group, copied into typed arrays as they are added. */
export class ColumnarGroupBuilder {
  rows = 0;
  private capacity: number;
  private readonly leaves: LeafBuilder[];
  private readonly appenders: Array<(value: unknown, row: number) => void>;

  constructor(private readonly columns: Column[], capacity: number) {
    this.capacity = Math.max(1, capacity);
    const specs = leafSpecs(columns);
    this.leaves = specs.map((spec) => new LeafBuilder(spec, this.capacity));
    let leaf = 0;
    this.appenders = columns.map((column) => {
      const appender = column.type.kind === 'timestampOffset'
        ? offsetAppender(this.leaves[leaf]!, this.leaves[leaf + 1]!)
        : valueAppender(this.leaves[leaf]!, column.type);
      leaf += column.type.kind === 'timestampOffset' ? 2 : 1;
      return appender;
    });
  }

  add(row: unknown[]): void {
    const index = this.rows;
    if (index === this.capacity) {
      this.capacity *= 2;
      for (const leaf of this.leaves) leaf.grow(this.capacity);
    }
    const appenders = this.appenders;
    for (let c = 0; c < appenders.length; c++) {
      try {
        appenders[c]!(row[c], index);
      } catch (err) {
        throw new NonRetryableError(`column ${this.columns[c]!.name}: ${errorMessage(err)}`);
      }
    }
    this.rows = index + 1;
  }

  /** Gives back the arrays of a taken group once it is encoded, for later groups to reuse. */
  recycle(group: ColumnarGroup): void {
    group.leaves.forEach((leaf, index) => this.leaves[index]?.offer(leaf));
  }

  /** The group so far; the builder starts empty again, on given-back or fresh arrays. */
  take(): ColumnarGroup {
    const group = { rows: this.rows, leaves: this.leaves.map((leaf) => leaf.take()) };
    this.rows = 0;
    return group;
  }
}

function describe(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Marks the row as NULL or not (every row is written: the array may be a reused one), or refuses
 * NULL for a required leaf. Returns whether the value is NULL.
 */
function isNull(leaf: LeafBuilder, value: unknown, row: number): boolean {
  const missing = value === null || value === undefined;
  if (leaf.defined) leaf.defined[row] = missing ? 0 : 1;
  else if (missing) throw new Error('NULL in a column declared NOT NULL');
  return missing;
}

function valueAppender(leaf: LeafBuilder, type: Exclude<OutputType, { kind: 'timestampOffset' }>): (value: unknown, row: number) => void {
  switch (type.kind) {
    case 'int16': case 'int32': case 'date':
      return (value, row) => {
        if (!isNull(leaf, value, row)) leaf.ints![leaf.count++] = int32Of(value);
      };
    case 'int64': case 'time': case 'timestamp':
      return (value, row) => {
        if (!isNull(leaf, value, row)) leaf.longs![leaf.count++] = int64Of(value);
      };
    case 'uint64':
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        if (typeof value !== 'bigint' || value < 0n || value > maxUint64) throw new RangeError(`expected an unsigned 64-bit bigint, got ${describe(value)}`);
        // Stored as the two's complement bits, which is what the file holds.
        leaf.longs![leaf.count++] = value;
      };
    case 'float32': case 'float64':
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        if (typeof value !== 'number') throw new Error(`expected a number, got ${describe(value)}`);
        leaf.doubles![leaf.count++] = value;
      };
    case 'boolean':
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        if (typeof value !== 'boolean') throw new Error(`expected a boolean, got ${describe(value)}`);
        leaf.bools![leaf.count++] = value ? 1 : 0;
      };
    case 'string':
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        if (typeof value !== 'string') throw new Error(`expected a string, got ${describe(value)}`);
        appendString(leaf, value, true);
      };
    case 'json':
      // The document's own text as UTF-8, never re-serialized.
      return (value, row) => {
        if (!isNull(leaf, value, row)) appendString(leaf, String(value), false);
      };
    case 'binary':
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        if (!(value instanceof Uint8Array)) throw new Error(`expected a Uint8Array, got ${typeof value}`);
        const bytes = leaf.reserve(value.length);
        bytes.set(value, leaf.used);
        leaf.used += value.length;
        leaf.offsets![++leaf.count] = leaf.used;
      };
    case 'uuid':
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        uuidBytes(value as string, leaf.bytes!, leaf.count * 16);
        leaf.count++;
      };
    case 'decimal': {
      const { scale } = type;
      if (leaf.spec.kind === 'int32') {
        return (value, row) => {
          if (isNull(leaf, value, row)) return;
          const unscaled = smallUnscaled(value as string, scale) ?? Number(unscaledDecimal(value as string, scale));
          leaf.ints![leaf.count++] = int32Of(unscaled);
        };
      }
      if (leaf.spec.kind === 'int64') {
        return (value, row) => {
          if (isNull(leaf, value, row)) return;
          const small = smallUnscaled(value as string, scale);
          if (small === undefined) {
            leaf.longs![leaf.count++] = int64Of(unscaledDecimal(value as string, scale));
          } else {
            // Stored as its two 32-bit halves: no bigint for the common decimal.
            const high = Math.floor(small / two32);
            leaf.longWords![2 * leaf.count] = small - high * two32;
            leaf.longWords![2 * leaf.count + 1] = high;
            leaf.count++;
          }
        };
      }
      const length = leaf.spec.typeLength;
      return (value, row) => {
        if (isNull(leaf, value, row)) return;
        twosComplement(unscaledDecimal(value as string, scale), leaf.bytes!, leaf.count * length, length);
        leaf.count++;
      };
    }
  }
}

function offsetAppender(instants: LeafBuilder, offsets: LeafBuilder): (value: unknown, row: number) => void {
  return (value, row) => {
    const offsetValue = value as TimestampWithOffset | null | undefined;
    if (isNull(instants, offsetValue, row)) {
      isNull(offsets, offsetValue, row);
      return;
    }
    isNull(offsets, offsetValue, row);
    instants.longs![instants.count++] = int64Of(offsetValue!.micros);
    offsets.ints![offsets.count++] = int32Of(offsetValue!.offsetMinutes);
  };
}

function int32Of(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`expected an integer, got ${describe(value)}`);
  if (value < -2147483648 || value > 2147483647) throw new RangeError(`expected a 32-bit integer, got ${describe(value)}`);
  return value;
}

function int64Of(value: unknown): bigint {
  if (typeof value !== 'bigint') throw new Error(`expected a bigint, got ${describe(value)}`);
  if (value < minInt64 || value > maxInt64) throw new RangeError(`64-bit integer out of range: ${value}`);
  return value;
}

/**
 * The unscaled value of plain decimal text with at most 15 digits, computed exactly in a double;
 * undefined for anything else (longer, signed with '+', malformed, extra fraction digits), which
 * unscaledDecimal then handles or rejects with its message.
 */
function smallUnscaled(text: string, scale: number): number | undefined {
  if (typeof text !== 'string') return undefined;
  const length = text.length;
  let i = 0;
  let negative = false;
  if (text.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let value = 0;
  let digits = 0;
  for (; i < length; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) break;
    value = value * 10 + code;
    digits++;
  }
  let fraction = 0;
  if (i < length) {
    if (text.charCodeAt(i) !== 46) return undefined;
    i++;
    for (; i < length; i++) {
      const code = text.charCodeAt(i) - 48;
      if (code < 0 || code > 9 || fraction === scale) return undefined;
      value = value * 10 + code;
      fraction++;
    }
  }
  if (digits === 0 || digits + scale > 15) return undefined;
  for (; fraction < scale; fraction++) value *= 10;
  // 0 rather than -0: the bigint path has no negative zero.
  return negative && value !== 0 ? -value : value;
}

/** A bigint as `length` big-endian two's complement bytes (the high bytes dropped, as hyparquet-writer's unconvertDecimal does). */
function twosComplement(value: bigint, target: Uint8Array, at: number, length: number): void {
  for (let i = length - 1; i >= 0; i--) {
    target[at + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

/** UTF-8 of a string after the leaf's bytes; ASCII is copied by hand, the rest by TextEncoder. */
function appendString(leaf: LeafBuilder, value: string, checkSurrogates: boolean): void {
  const length = value.length;
  const bytes = leaf.reserve(length * 3);
  let at = leaf.used;
  let i = 0;
  for (; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) break;
    bytes[at++] = code;
  }
  if (i < length) {
    at += utf8.encodeInto(i === 0 ? value : value.slice(i), bytes.subarray(at)).written;
    if (checkSurrogates && !leaf.strings && hasLoneSurrogate(value, i)) {
      // Keep the source strings from here on; the earlier ones were well-formed, so their bytes give them back exactly.
      const decoder = new TextDecoder();
      leaf.strings = [];
      for (let k = 0; k < leaf.count; k++) leaf.strings.push(decoder.decode(bytes.subarray(leaf.offsets![k]!, leaf.offsets![k + 1]!)));
    }
  }
  leaf.strings?.push(value);
  leaf.used = at;
  leaf.offsets![++leaf.count] = at;
}

function hasLoneSurrogate(value: string, from: number): boolean {
  for (let i = from; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code > 0xdbff) return true;
    const next = value.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/**
 * The 16 bytes of a uuid's text, written in place. Parsed here rather than by a regex and a
 * substring per byte.
 */
function uuidBytes(text: string, target: Uint8Array, at: number): void {
  if (typeof text !== 'string' || text.length !== 36 || text[8] !== '-' || text[13] !== '-' || text[18] !== '-' || text[23] !== '-') throw new Error(`Not a uuid: ${JSON.stringify(text)}`);
  let position = 0;
  for (let i = 0; i < 16; i++) {
    if (position === 8 || position === 13 || position === 18 || position === 23) position++;
    const high = hexDigit(text.charCodeAt(position));
    const low = hexDigit(text.charCodeAt(position + 1));
    if (high < 0 || low < 0) throw new Error(`Not a uuid: ${JSON.stringify(text)}`);
    target[at + i] = (high << 4) | low;
    position += 2;
  }
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}
