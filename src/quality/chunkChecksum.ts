import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Text } from './crc32Text.js';
import { readType, type Column } from '../spec/columns.js';
import type { TimestampWithOffset } from '../formats/canonicalValues.js';
import { dateDigits, dateTimeParts, splitDateTime } from './calendarDigits.js';
import { hashed, hashInt8Extended, hashInt8Halves, hashTextExtended } from './postgresTextHash.js';
import type { ChecksumDialect, ChecksumTerm, ChunkChecksum, ColumnTerm } from './checksumTypes.js';

export type { ChecksumDialect, ChecksumTerm, ChunkChecksum, ColumnSum, ColumnTerm } from './checksumTypes.js';

/**
 * The reconciliation checksum of a chunk (README "Reconciliation"): the rows, and per column the
 * values that are not NULL and the exact sum of one integer per value, its term. The source
 * computes the same counts and sums in its own SQL over the chunk's range, so the two agree
 * exactly when every value read is the value the source holds. Sums make it independent of row
 * order and cheap on both sides: numbers are their own term, strings a hash the engine computes
 * at scan speed. A changed value changes its column's sum (a hash collision aside); a value that
 * became NULL or stopped being NULL changes the count; a lost or doubled row changes the rows.
 *
 * | output type            | term of a value                                                    |
 * | ---------------------- | ------------------------------------------------------------------ |
 * | int16 ... uint64       | the integer                                                        |
 * | decimal(p,s)           | the unscaled integer (value x 10^s)                                |
 * | float64, float32       | the IEEE 754 bits as a signed integer (PostgreSQL, SQL Server); none on MySQL (count only) |
 * | boolean                | 1 for true, 0 for false                                            |
 * | string, json, uuid     | PostgreSQL: hashtextextended(UTF-8 text, 0), signed 64-bit; MySQL: CRC32 of the UTF-8 bytes; SQL Server: the first 8 bytes of MD5 of the UTF-16LE bytes, a signed 64-bit big-endian integer |
 * | binary                 | PostgreSQL, SQL Server: the first 8 bytes of MD5 of the bytes, signed 64-bit big-endian; MySQL: CRC32 of the bytes |
 * | date                   | days since 1970-01-01; MySQL: YYYYMMDD (its `v + 0`)                |
 * | time                   | microseconds since midnight; PostgreSQL: time_hash_extended(v, 0), signed 64-bit |
 * | timestamp              | microseconds since 1970-01-01 (the canonical value); PostgreSQL: timestamp_hash_extended(v, 0) (its int64 microseconds since 2000-01-01, hashed); MySQL DATETIME: YYYYMMDDhhmmss.ffffff x 10^6 (its `v + 0`) |
 * | timestampOffset        | microseconds of the UTC instant plus the offset in minutes         |
 */

/** The term of each column read, as the column is read (its source text when columnTypes overrides it). */
export function checksumTerms(columns: Column[], dialect: ChecksumDialect): ColumnTerm[] {
  return columns.map((column) => {
    const type = readType(column);
    const term = ((): ChecksumTerm => {
      switch (type.kind) {
        case 'int16': case 'int32': case 'int64': case 'uint64': return 'integer';
        case 'decimal': return 'decimal';
        case 'float64': return dialect === 'mysql' ? 'count' : 'float64Bits';
        case 'float32': return dialect === 'mysql' ? 'count' : 'float32Bits';
        case 'boolean': return 'boolean';
        case 'string': case 'json': case 'uuid': return 'text';
        case 'binary': return 'binary';
        // MySQL's numeric forms cost a third of TO_DAYS and TO_SECONDS + MICROSECOND (see mysqlChecksumQuery.ts).
        case 'date': return dialect === 'mysql' ? 'dateDigits' : 'days';
        // PostgreSQL sums a hash of their int64 at integer speed rather than extract(epoch), a numeric per row.
        case 'time': return dialect === 'postgres' ? 'int8Hash' : 'micros';
        // A MySQL TIMESTAMP is an instant (UNIX_TIMESTAMP gives its microseconds); a DATETIME is not.
        case 'timestamp': return dialect === 'postgres' ? 'int8Hash' : dialect === 'mysql' && !type.utc ? 'dateTimeDigits' : 'micros';
        case 'timestampOffset': return 'offsetMicros';
      }
    })();
    // scale: a decimal's digits after the point; for a PostgreSQL timestamp, the microseconds its epoch (2000-01-01) is after 1970's.
    return { name: column.name, term, scale: type.kind === 'decimal' ? type.scale : term === 'int8Hash' && type.kind === 'timestamp' ? postgresEpochMicros : 0 };
  });
}

const two32 = 4_294_967_296;
/** 2000-01-01T00:00:00 in microseconds since 1970-01-01: PostgreSQL's timestamp epoch. */
const postgresEpochMicros = 946_684_800_000_000;
/** A number lane is folded into the bigint before it could pass 2^53 (terms added to it stay below 2^50). */
const laneLimit = 4e15;
/** Terms up to 2^50 go to the number lane as they are: under laneLimit plus one of them stays below 2^53. */
const smallLimit = 2 ** 50;

/** An exact integer sum kept in cheap lanes: small numbers, a 64-bit value as (high, low) halves, and a bigint. */
class ExactSum {
  small = 0;
  high = 0;
  low = 0;
  /** Numbers weighted by 10^12 (a MySQL datetime's YYYYMMDD part). */
  trillions = 0;
  big = 0n;

  addSmall(value: number): void {
    this.small += value;
    if (this.small > laneLimit || this.small < -laneLimit) this.fold();
  }

  /** high (a signed or unsigned 32-bit number) x 2^32 + low (unsigned 32-bit). */
  add64(high: number, low: number): void {
    this.high += high;
    this.low += low;
  }

  /**
   * A bigint: within 2^53 (every id and timestamp of microseconds until year 287,000) it is
   * split into the 64-bit halves as a number, which allocates nothing; beyond, added as it is.
   */
  addBig(value: bigint): void {
    const number = Number(value);
    // Within 2^50 (ids, counters) the number lane takes it as it is.
    if (number <= smallLimit && number >= -smallLimit) {
      this.addSmall(number);
    } else if (Number.isSafeInteger(number)) {
      const high = Math.floor(number / two32);
      this.high += high;
      this.low += number - high * two32;
    } else {
      this.big += value;
    }
  }

  /** Called at least every 2^20 add64s and addBigs, so the halves stay exact. */
  fold(): void {
    if (this.small !== 0 || this.high !== 0 || this.low !== 0) {
      this.big += BigInt(this.small) + BigInt(this.high) * 4_294_967_296n + BigInt(this.low);
      this.small = 0;
      this.high = 0;
      this.low = 0;
    }
    if (this.trillions !== 0) {
      this.big += BigInt(this.trillions) * 1_000_000_000_000n;
      this.trillions = 0;
    }
  }
}

const floatView = new DataView(new ArrayBuffer(8));

/**
 * The unscaled integer digits of a decimal's text with `scale` digits after the point ("-12.3",
 * 2 -> "-1230"); a text with more non-zero fraction digits than that comes back as it is, so it
 * can only compare unequal.
 */
export function unscaledDigits(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const body = negative || text.startsWith('+') ? text.slice(1) : text;
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  let fraction = dot < 0 ? '' : body.slice(dot + 1);
  if (fraction.length > scale) {
    if (!/^0*$/.test(fraction.slice(scale))) return text;
    fraction = fraction.slice(0, scale);
  }
  const digits = (whole + fraction.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  return negative && !/^0+$/.test(digits) ? `-${digits}` : digits;
}

/** The first 8 bytes of MD5, big-endian, as a signed 64-bit integer's halves: SQL Server's CAST(SUBSTRING(HASHBYTES('MD5', v), 1, 8) AS BIGINT). */
function md5First64(bytes: Uint8Array | string, encoding?: 'utf16le'): [number, number] {
  const digest = typeof bytes === 'string' ? createHash('md5').update(bytes, encoding ?? 'utf8').digest() : createHash('md5').update(bytes).digest();
  return [digest.readInt32BE(0), digest.readUInt32BE(4)];
}

type Adder = (value: unknown, sum: ExactSum) => void;

function addInteger(value: unknown, sum: ExactSum): void {
  if (typeof value === 'bigint') sum.addBig(value);
  else sum.addSmall(value as number);
}

function addDecimal(text: string, scale: number, sum: ExactSum): void {
  // Short decimals in the canonical form (every scale digit, the point where the scale puts
  // it) are read digit by digit into the number lane (15 digits stay exact in a double): no
  // string is made. The point's place is known from the length, so the loop only takes
  // digits (measured 47 -> 31 ms for a million numeric(18,4) values).
  const length = text.length;
  if (length <= 15 || (length === 16 && scale > 0)) {
    const negative = text.charCodeAt(0) === 45;
    const end = scale > 0 ? length - scale - 1 : length;
    let digits = 0;
    let i = negative ? 1 : 0;
    let canonical = end > i && (scale === 0 || text.charCodeAt(end) === 46);
    for (; canonical && i < end; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit >>> 0 > 9) canonical = false;
      digits = digits * 10 + digit;
    }
    for (i = end + 1; canonical && i < length; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit >>> 0 > 9) canonical = false;
      digits = digits * 10 + digit;
    }
    if (canonical) {
      sum.addSmall(negative ? -digits : digits);
      return;
    }
  }
  sum.big += BigInt(unscaledDigits(text, scale));
}

function addPostgresText(text: string, sum: ExactSum): void {
  hashTextExtended(text);
  sum.add64(hashed.high | 0, hashed.low);
}

/** A timestamp's or time's microseconds, `shift` after PostgreSQL's epoch, through hashint8extended. */
function addInt8Hash(value: bigint, shift: number, shiftBig: bigint, sum: ExactSum): void {
  const micros = Number(value);
  // Years 1685 to 2255 are safe integers (no bigint work); the rest take the bigint halves.
  if (Number.isSafeInteger(micros)) hashInt8Extended(micros - shift);
  else hashInt8Halves(Number((value - shiftBig) >> 32n), Number(BigInt.asUintN(32, value - shiftBig)));
  sum.add64(hashed.high | 0, hashed.low);
}

function addDateTimeDigits(value: bigint, sum: ExactSum): void {
  // YYYYMMDD (below 10^8, 2^20 of them stay exact) in the 10^12 lane, hhmmss.ffffff x 10^6 (below 2.4 x 10^11) in the number lane.
  splitDateTime(value);
  sum.trillions += dateTimeParts.date;
  sum.addSmall(dateTimeParts.time);
}

function adderOf(term: ColumnTerm, dialect: ChecksumDialect): Adder | undefined {
  switch (term.term) {
    case 'count': return undefined;
    case 'integer': return addInteger;
    case 'decimal': {
      const scale = term.scale;
      return (value, sum) => addDecimal(value as string, scale, sum);
    }
    case 'float64Bits': return (value, sum) => {
      floatView.setFloat64(0, value as number);
      sum.add64(floatView.getInt32(0), floatView.getUint32(4));
    };
    case 'float32Bits': return (value, sum) => {
      floatView.setFloat32(0, value as number);
      sum.addSmall(floatView.getInt32(0));
    };
    case 'boolean': return (value, sum) => {
      if (value) sum.addSmall(1);
    };
    case 'text':
      switch (dialect) {
        case 'postgres': return (value, sum) => addPostgresText(value as string, sum);
        case 'mysql': return (value, sum) => sum.addSmall(crc32Text(value as string));
        case 'sqlserver': return (value, sum) => {
          const [high, low] = md5First64(value as string, 'utf16le');
          sum.add64(high, low);
        };
      }
      break;
    case 'binary':
      if (dialect === 'mysql') return (value, sum) => sum.addSmall(crc32(value as Uint8Array));
      return (value, sum) => {
        const [high, low] = md5First64(value as Uint8Array);
        sum.add64(high, low);
      };
    case 'days': return (value, sum) => sum.addSmall(value as number);
    case 'dateDigits': return (value, sum) => sum.addSmall(dateDigits(value as number));
    case 'micros': return (value, sum) => sum.addBig(value as bigint);
    case 'dateTimeDigits': return (value, sum) => addDateTimeDigits(value as bigint, sum);
    case 'int8Hash': {
      const shift = term.scale;
      const shiftBig = BigInt(shift);
      return (value, sum) => addInt8Hash(value as bigint, shift, shiftBig, sum);
    }
    case 'offsetMicros': return (value, sum) => {
      const { micros, offsetMinutes } = value as TimestampWithOffset;
      sum.addBig(micros);
      sum.addSmall(offsetMinutes);
    };
  }
}

/** Adds one column's values of a batch to its sum; returns how many were not NULL. */
type ColumnLoop = (rows: unknown[][], c: number, sum: ExactSum) => number;

/**
 * The loop over one column's values. The common terms have a loop of their own, each calling one
 * function, which V8 then inlines; a single loop calling each column's adder in turn would see
 * a different function at one call site for every column, which it cannot inline (measured:
 * PostgreSQL, the seven columns of the bench's table, 1M rows: 182 -> 174 CPU ms).
 */
function columnLoop(term: ColumnTerm, dialect: ChecksumDialect): ColumnLoop {
  switch (term.term) {
    case 'count': return (rows, c) => {
      let nonNull = 0;
      for (let r = 0; r < rows.length; r++) if (rows[r]![c] != null) nonNull++;
      return nonNull;
    };
    case 'integer': return (rows, c, sum) => {
      let nonNull = 0;
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        if (value == null) continue;
        nonNull++;
        addInteger(value, sum);
      }
      return nonNull;
    };
    case 'decimal': {
      const scale = term.scale;
      return (rows, c, sum) => {
        let nonNull = 0;
        for (let r = 0; r < rows.length; r++) {
          const value = rows[r]![c];
          if (value == null) continue;
          nonNull++;
          addDecimal(value as string, scale, sum);
        }
        return nonNull;
      };
    }
    case 'boolean': return (rows, c, sum) => {
      let nonNull = 0;
      let trues = 0;
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        if (value == null) continue;
        nonNull++;
        if (value) trues++;
      }
      sum.addSmall(trues);
      return nonNull;
    };
    case 'days': return (rows, c, sum) => {
      let nonNull = 0;
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        if (value == null) continue;
        nonNull++;
        sum.addSmall(value as number);
      }
      return nonNull;
    };
    case 'dateDigits': return (rows, c, sum) => {
      let nonNull = 0;
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        if (value == null) continue;
        nonNull++;
        sum.addSmall(dateDigits(value as number));
      }
      return nonNull;
    };
    case 'micros': return (rows, c, sum) => {
      let nonNull = 0;
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        if (value == null) continue;
        nonNull++;
        sum.addBig(value as bigint);
      }
      return nonNull;
    };
    case 'dateTimeDigits': return (rows, c, sum) => {
      let nonNull = 0;
      for (let r = 0; r < rows.length; r++) {
        const value = rows[r]![c];
        if (value == null) continue;
        nonNull++;
        addDateTimeDigits(value as bigint, sum);
      }
      return nonNull;
    };
    case 'int8Hash': {
      const shift = term.scale;
      const shiftBig = BigInt(shift);
      return (rows, c, sum) => {
        let nonNull = 0;
        for (let r = 0; r < rows.length; r++) {
          const value = rows[r]![c];
          if (value == null) continue;
          nonNull++;
          addInt8Hash(value as bigint, shift, shiftBig, sum);
        }
        return nonNull;
      };
    }
    case 'text':
      if (dialect === 'postgres') return (rows, c, sum) => {
        let nonNull = 0;
        for (let r = 0; r < rows.length; r++) {
          const value = rows[r]![c];
          if (value == null) continue;
          nonNull++;
          addPostgresText(value as string, sum);
        }
        return nonNull;
      };
      if (dialect === 'mysql') return (rows, c, sum) => {
        let nonNull = 0;
        for (let r = 0; r < rows.length; r++) {
          const value = rows[r]![c];
          if (value == null) continue;
          nonNull++;
          sum.addSmall(crc32Text(value as string));
        }
        return nonNull;
      };
      break;
    default:
      break;
  }
  const adder = adderOf(term, dialect)!;
  return (rows, c, sum) => {
    let nonNull = 0;
    for (let r = 0; r < rows.length; r++) {
      const value = rows[r]![c];
      if (value == null) continue;
      nonNull++;
      adder(value, sum);
    }
    return nonNull;
  };
}

/** Adds rows as they are read; `result` is the chunk's checksum. */
export class ChunkChecksummer {
  private rows = 0;
  private readonly nonNull: number[];
  private readonly sums: ExactSum[];
  private readonly loops: ColumnLoop[];

  constructor(readonly terms: ColumnTerm[], dialect: ChecksumDialect) {
    this.nonNull = terms.map(() => 0);
    this.sums = terms.map(() => new ExactSum());
    this.loops = terms.map((term) => columnLoop(term, dialect));
  }

  /** Rows in the column order of the terms, canonical values (formats/canonicalValues.ts). At most 2^20 rows a call. */
  add(rows: unknown[][]): void {
    this.rows += rows.length;
    for (let c = 0; c < this.terms.length; c++) {
      const sum = this.sums[c]!;
      this.nonNull[c]! += this.loops[c]!(rows, c, sum);
      sum.fold();
    }
  }

  result(): ChunkChecksum {
    return { rows: this.rows, columns: this.terms.map((_, c) => ({ nonNull: this.nonNull[c]!, sum: String(this.sums[c]!.big) })) };
  }
}

/**
 * A source's sum text as the checksum's integer digits: NULL (no values) is 0; a decimal's sum
 * is unscaled by its scale; the others are integers already (PostgreSQL's numeric may print a
 * zero fraction, which goes).
 */
export function sourceSumDigits(term: ColumnTerm, text: string | null): string {
  if (text === null || term.term === 'count') return '0';
  return unscaledDigits(text.trim(), term.term === 'decimal' ? term.scale : 0);
}

/** A short digest of a checksum, for records and logs: the first 16 hex digits of MD5 over its JSON. */
export function checksumDigest(checksum: ChunkChecksum): string {
  return createHash('md5').update(JSON.stringify(checksum)).digest('hex').slice(0, 16);
}

/** The columns whose count or sum differ (empty when only the rows differ, or nothing does). */
export function differingColumns(terms: ColumnTerm[], source: ChunkChecksum, read: ChunkChecksum): string[] {
  return terms.flatMap((term, index) => {
    const a = source.columns[index];
    const b = read.columns[index];
    return a && b && a.nonNull === b.nonNull && a.sum === b.sum ? [] : [term.name];
  });
}
