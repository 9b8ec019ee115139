/**
 * SQL Server types in the test double: their names, how each is held in PostgreSQL, their TDS
 * TYPE_INFO (MS-TDS 2.2.5.4 / 2.2.5.5) and the encoding of their values in ROW tokens, and the
 * decoding of typed RPC parameters.
 *
 * Every value travels between the server and PostgreSQL as text in a *canonical form* per type
 * (the form PostgreSQL prints for the storage type below):
 *
 * | SQL Server type                    | PostgreSQL storage           | canonical text                          |
 * | ---------------------------------- | ---------------------------- | --------------------------------------- |
 * | tinyint, smallint / int / bigint   | int2 / int4 / int8           | digits                                  |
 * | bit                                | bool                         | `t` / `f`                               |
 * | decimal(p,s), numeric(p,s)         | numeric(p,s)                 | digits with s decimals                  |
 * | money / smallmoney                 | numeric(19,4) / numeric(10,4)| digits with 4 decimals                  |
 * | real / float                       | float4 / float8              | shortest exact digits                   |
 * | char, varchar, nchar, nvarchar     | char(n) / varchar(n) / text  | the text                                |
 * | binary, varbinary                  | bytea                        | `\x` + hex                              |
 * | timestamp (rowversion)             | bytea, 8 bytes big-endian    | `\x` + 16 hex digits                    |
 * | uniqueidentifier                   | uuid                         | 8-4-4-4-12                              |
 * | date                               | date                         | `YYYY-MM-DD`                            |
 * | time(n)                            | text                         | `hh:mm:ss.fffffff` (always 7 digits)    |
 * | datetime2(n)                       | text                         | `YYYY-MM-DD hh:mm:ss.fffffff`           |
 * | datetimeoffset(n)                  | text                         | `YYYY-MM-DD hh:mm:ss.fffffff +hh:mm` (local wall time and its offset, as SQL Server writes it) |
 * | datetime / smalldatetime           | timestamp(3) / timestamp(0)  | `YYYY-MM-DD hh:mm:ss[.fff]`             |
 *
 * The 100-nanosecond types are text because PostgreSQL's timestamps stop at microseconds; the
 * fixed-width forms sort as their values do (datetimeoffset through siphon_tds.dto_utc).
 */

export type SqlType = { name: string; length?: number | 'max'; precision?: number; scale?: number };

/** Types whose values the server can send; others (xml, text, geography, ...) exist only in the catalog. */
export const encodableTypes = new Set([
  'tinyint', 'smallint', 'int', 'bigint', 'bit', 'decimal', 'numeric', 'money', 'smallmoney', 'real', 'float',
  'char', 'varchar', 'nchar', 'nvarchar', 'binary', 'varbinary', 'uniqueidentifier', 'date', 'time', 'datetime2',
  'datetimeoffset', 'datetime', 'smalldatetime', 'timestamp',
]);

const typeText = /^\s*([a-z_][a-z0-9_]*)\s*(?:\(\s*(max|-?\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i;

/** `decimal(38,10)`, `nvarchar(max)`, `datetime2`, `sysname` as a SqlType, with SQL Server's defaults filled in. */
export function parseSqlType(text: string, context: 'declaration' | 'conversion' = 'declaration'): SqlType {
  const m = typeText.exec(text);
  if (!m) throw new Error(`not a SQL Server type: ${text}`);
  const name = m[1]!.toLowerCase();
  const first = m[2]?.toLowerCase();
  const second = m[3];
  const size = first === undefined ? undefined : first === 'max' ? ('max' as const) : Number(first);
  switch (name) {
    case 'sysname': return { name: 'nvarchar', length: 128 };
    case 'decimal': case 'numeric': case 'dec':
      return { name: name === 'dec' ? 'decimal' : name, precision: typeof size === 'number' ? size : 18, scale: second === undefined ? 0 : Number(second) };
    case 'float':
      return typeof size === 'number' && size <= 24 ? { name: 'real' } : { name: 'float' };
    case 'time': case 'datetime2': case 'datetimeoffset':
      return { name, scale: typeof size === 'number' ? size : 7 };
    case 'char': case 'varchar': case 'nchar': case 'nvarchar': case 'binary': case 'varbinary':
      // CONVERT(varchar, x) without a length means 30; a column declared without one has 1.
      return { name, length: size ?? (context === 'conversion' ? 30 : 1) };
    case 'rowversion': return { name: 'timestamp' };
    case 'integer': return { name: 'int' };
    default:
      return { name };
  }
}

/** As SQL Server writes it in system_type_name: `decimal(38,10)`, `nvarchar(max)`, `datetime2(7)`. */
export function formatSqlType(type: SqlType): string {
  switch (type.name) {
    case 'decimal': case 'numeric': return `${type.name}(${type.precision},${type.scale})`;
    case 'time': case 'datetime2': case 'datetimeoffset': return `${type.name}(${type.scale})`;
    case 'char': case 'varchar': case 'nchar': case 'nvarchar': case 'binary': case 'varbinary': return `${type.name}(${type.length})`;
    default: return type.name;
  }
}

/** The PostgreSQL type that holds this type's canonical form (what a value is cast to before it is sent). */
export function storageType(type: SqlType): string {
  switch (type.name) {
    case 'tinyint': case 'smallint': return 'int2';
    case 'int': return 'int4';
    case 'bigint': return 'int8';
    case 'bit': return 'bool';
    case 'decimal': case 'numeric': return `numeric(${type.precision},${type.scale})`;
    case 'money': return 'numeric(19,4)';
    case 'smallmoney': return 'numeric(10,4)';
    case 'real': return 'float4';
    case 'float': return 'float8';
    case 'binary': case 'varbinary': case 'timestamp': return 'bytea';
    case 'uniqueidentifier': return 'uuid';
    case 'date': return 'date';
    case 'datetime': return 'timestamp(3)';
    case 'smalldatetime': return 'timestamp(0)';
    default: return 'text';
  }
}

/** SQL Server's data type precedence (highest first): in a comparison the lower type converts to the higher. */
const precedence = [
  'sql_variant', 'datetimeoffset', 'datetime2', 'datetime', 'smalldatetime', 'date', 'time', 'float', 'real', 'decimal', 'numeric',
  'money', 'smallmoney', 'bigint', 'int', 'smallint', 'tinyint', 'bit', 'uniqueidentifier', 'nvarchar', 'nchar', 'varchar', 'char',
  // rowversion is not in SQL Server's list; it compares with binary values as the 8 bytes it is.
  'timestamp', 'varbinary', 'binary',
];

export function higherType(a: SqlType, b: SqlType): SqlType {
  if (a.name === 'null') return b;
  if (b.name === 'null') return a;
  const ia = precedence.indexOf(a.name);
  const ib = precedence.indexOf(b.name);
  if (ia === ib && (a.name === 'decimal' || a.name === 'numeric')) {
    const scale = Math.max(a.scale!, b.scale!);
    const digits = Math.max(a.precision! - a.scale!, b.precision! - b.scale!);
    return { name: a.name, precision: Math.min(38, digits + scale), scale };
  }
  return ia <= ib ? a : b;
}

export const isStringType = (type: SqlType) => ['char', 'varchar', 'nchar', 'nvarchar'].includes(type.name);
export const isIntegerType = (type: SqlType) => ['tinyint', 'smallint', 'int', 'bigint'].includes(type.name);
export const isNumericType = (type: SqlType) => isIntegerType(type) || ['decimal', 'numeric', 'money', 'smallmoney', 'real', 'float', 'bit'].includes(type.name);
const isMax = (type: SqlType) => type.length === 'max';

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian), exact for years 1 to 9999.

/** Days since 1970-01-01. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Days from 0001-01-01 (TDS date) to 1970-01-01. */
const epochFromYearOne = 719162;
/** Days from 1900-01-01 (TDS datetime) to 1970-01-01. */
const epochFrom1900 = 25567;
const ticksPerDay = 864_000_000_000n;

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

function dateText(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** `hh:mm:ss.fffffff` of 100 ns ticks since midnight. */
function timeText(ticks: bigint): string {
  const seconds = ticks / 10_000_000n;
  const fraction = ticks % 10_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, 7)}`;
}

function parseDays(text: string, at = 0): number {
  return daysFromCivil(Number(text.slice(at, at + 4)), Number(text.slice(at + 5, at + 7)), Number(text.slice(at + 8, at + 10)));
}

/** Ticks of a canonical `hh:mm:ss.fffffff` starting at `at`. */
function parseTicks(text: string, at = 0): bigint {
  const seconds = (Number(text.slice(at, at + 2)) * 60 + Number(text.slice(at + 3, at + 5))) * 60 + Number(text.slice(at + 6, at + 8));
  const fraction = text.length > at + 9 && text[at + 8] === '.' ? text.slice(at + 9, at + 16).padEnd(7, '0') : '0';
  return BigInt(seconds) * 10_000_000n + BigInt(fraction);
}

function offsetMinutesOf(text: string): number {
  const sign = text[0] === '-' ? -1 : 1;
  return sign * (Number(text.slice(1, 3)) * 60 + Number(text.slice(4, 6)));
}

function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

// ---------------------------------------------------------------------------------------------
// Canonical forms of T-SQL literals (what tests insert into the PostgreSQL storage)

const dateTimeLiteral = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d\d:\d\d)?$/;

/**
 * The canonical storage text of a T-SQL literal for a column of `type`, e.g. datetimeoffset
 * `2024-05-01T15:30:00.1234567+05:30` -> `2024-05-01 15:30:00.1234567 +05:30`. Values more
 * precise than the type's scale are refused rather than rounded, so a test states exactly what
 * the source holds.
 */
export function canonicalLiteral(type: SqlType, literal: string): string {
  switch (type.name) {
    case 'time': {
      const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?$/.exec(literal.trim());
      if (!m) throw new Error(`${literal} is not a time`);
      checkScale(m[4], type, literal);
      return `${m[1]}:${m[2]}:${m[3]}.${(m[4] ?? '').padEnd(7, '0')}`;
    }
    case 'datetime2': case 'datetimeoffset': {
      const m = dateTimeLiteral.exec(literal.trim());
      if (!m) throw new Error(`${literal} is not a ${type.name}`);
      checkScale(m[7], type, literal);
      const wall = `${m[1]}-${m[2]}-${m[3]} ${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}.${(m[7] ?? '').padEnd(7, '0')}`;
      if (type.name === 'datetime2') {
        if (m[8]) throw new Error(`${literal} has an offset, a datetime2 has none`);
        return wall;
      }
      const offset = m[8] === undefined || m[8] === 'Z' ? '+00:00' : m[8];
      if (Math.abs(offsetMinutesOf(offset)) > 14 * 60) throw new Error(`${literal}: offset outside ±14:00`);
      return `${wall} ${offset}`;
    }
    default:
      return literal;
  }
}

function checkScale(fraction: string | undefined, type: SqlType, literal: string): void {
  if (fraction && fraction.length > type.scale! && /[^0]/.test(fraction.slice(type.scale!))) {
    throw new Error(`${literal} has more fractional digits than ${formatSqlType(type)} holds`);
  }
}

// ---------------------------------------------------------------------------------------------
// TYPE_INFO

export const TdsType = {
  null: 0x1f, int1: 0x30, bit: 0x32, int2: 0x34, int4: 0x38, int8: 0x7f, flt4: 0x3b, flt8: 0x3e, money: 0x3c, money4: 0x7a,
  datetime: 0x3d, datetim4: 0x3a, intN: 0x26, bitN: 0x68, fltN: 0x6d, moneyN: 0x6e, datetimeN: 0x6f, guid: 0x24,
  decimalN: 0x6a, numericN: 0x6c, dateN: 0x28, timeN: 0x29, datetime2N: 0x2a, datetimeOffsetN: 0x2b,
  bigVarChar: 0xa7, bigChar: 0xaf, nVarChar: 0xe7, nChar: 0xef, bigVarBinary: 0xa5, bigBinary: 0xad,
} as const;

/** SQL_Latin1_General_CP1_CI_AS, code page 1252: the default collation of a SQL Server install. */
export const serverCollation = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

/** Bytes of a decimal value by precision. */
export function decimalLength(precision: number): number {
  return precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17;
}

/** Bytes of the time part of time/datetime2/datetimeoffset by scale. */
export function timeLength(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

/** TYPE_INFO of a result column. NOT NULL integer, bit, float, money and datetime columns use the fixed-length types, as SQL Server does. */
export function typeInfo(type: SqlType, nullable: boolean): Buffer {
  const fixedOr = (fixed: number, variable: number, length: number) => (nullable ? Buffer.from([variable, length]) : Buffer.from([fixed]));
  const withLength = (id: number, length: number, collation: boolean) => {
    const buffer = Buffer.alloc(collation ? 8 : 3);
    buffer[0] = id;
    buffer.writeUInt16LE(length, 1);
    if (collation) serverCollation.copy(buffer, 3);
    return buffer;
  };
  switch (type.name) {
    case 'tinyint': return fixedOr(TdsType.int1, TdsType.intN, 1);
    case 'smallint': return fixedOr(TdsType.int2, TdsType.intN, 2);
    case 'int': return fixedOr(TdsType.int4, TdsType.intN, 4);
    case 'bigint': return fixedOr(TdsType.int8, TdsType.intN, 8);
    case 'bit': return fixedOr(TdsType.bit, TdsType.bitN, 1);
    case 'real': return fixedOr(TdsType.flt4, TdsType.fltN, 4);
    case 'float': return fixedOr(TdsType.flt8, TdsType.fltN, 8);
    case 'money': return fixedOr(TdsType.money, TdsType.moneyN, 8);
    case 'smallmoney': return fixedOr(TdsType.money4, TdsType.moneyN, 4);
    case 'datetime': return fixedOr(TdsType.datetime, TdsType.datetimeN, 8);
    case 'smalldatetime': return fixedOr(TdsType.datetim4, TdsType.datetimeN, 4);
    case 'decimal': case 'numeric':
      return Buffer.from([type.name === 'decimal' ? TdsType.decimalN : TdsType.numericN, decimalLength(type.precision!), type.precision!, type.scale!]);
    case 'uniqueidentifier': return Buffer.from([TdsType.guid, 16]);
    case 'date': return Buffer.from([TdsType.dateN]);
    case 'time': return Buffer.from([TdsType.timeN, type.scale!]);
    case 'datetime2': return Buffer.from([TdsType.datetime2N, type.scale!]);
    case 'datetimeoffset': return Buffer.from([TdsType.datetimeOffsetN, type.scale!]);
    case 'char': return withLength(TdsType.bigChar, type.length as number, true);
    case 'varchar': return withLength(TdsType.bigVarChar, isMax(type) ? 0xffff : (type.length as number), true);
    case 'nchar': return withLength(TdsType.nChar, (type.length as number) * 2, true);
    case 'nvarchar': return withLength(TdsType.nVarChar, isMax(type) ? 0xffff : (type.length as number) * 2, true);
    case 'binary': return withLength(TdsType.bigBinary, type.length as number, false);
    case 'varbinary': return withLength(TdsType.bigVarBinary, isMax(type) ? 0xffff : (type.length as number), false);
    // SQL Server sends rowversion as binary(8) (user type 80, see colMetadataToken).
    case 'timestamp': return withLength(TdsType.bigBinary, 8, false);
    default: throw new Error(`the TDS test server cannot send values of type ${formatSqlType(type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Values

/** A growable byte buffer that rows are encoded into; reused from row to row. */
export class ByteSink {
  buffer = Buffer.allocUnsafe(64 * 1024);
  position = 0;

  reset(): void {
    this.position = 0;
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.position);
  }

  ensure(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(next, 0, 0, this.position);
    this.buffer = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.position++] = value;
  }

  u16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeUInt16LE(value, this.position);
  }

  i16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeInt16LE(value, this.position);
  }

  u32(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeUInt32LE(value, this.position);
  }

  i32(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeInt32LE(value, this.position);
  }

  i64(value: bigint): void {
    this.ensure(8);
    this.position = this.buffer.writeBigInt64LE(value, this.position);
  }

  u64(value: bigint): void {
    this.ensure(8);
    this.position = this.buffer.writeBigUInt64LE(value, this.position);
  }

  /** An unsigned little-endian integer of `bytes` bytes. */
  uint(value: bigint, bytes: number): void {
    this.ensure(bytes);
    let rest = value;
    for (let i = 0; i < bytes; i++) {
      this.buffer[this.position++] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  }

  bytes(data: Buffer): void {
    this.ensure(data.length);
    this.position += data.copy(this.buffer, this.position);
  }

  utf16(text: string): void {
    this.ensure(text.length * 2);
    this.position += this.buffer.write(text, this.position, 'utf16le');
  }
}

/** PLP values go out in chunks of this many bytes (SQL Server uses about one packet). */
export let plpChunkBytes = 8000;
export function setPlpChunkBytes(bytes: number): void {
  plpChunkBytes = bytes;
}

const plpNull = 0xffff_ffff_ffff_ffffn;

function writePlp(sink: ByteSink, data: Buffer): void {
  sink.u64(BigInt(data.length));
  for (let offset = 0; offset < data.length; offset += plpChunkBytes) {
    const chunk = data.subarray(offset, offset + plpChunkBytes);
    sink.u32(chunk.length);
    sink.bytes(chunk);
  }
  sink.u32(0);
}

/** Writes a NULL of this type as a ROW token holds it (NBCROW leaves NULLs out altogether). */
export function writeNull(sink: ByteSink, type: SqlType, nullable: boolean): void {
  if (!nullable) throw new Error(`NULL in a NOT NULL ${formatSqlType(type)} column`);
  switch (type.name) {
    case 'char': case 'nchar': case 'binary': case 'timestamp': sink.u16(0xffff); return;
    case 'varchar': case 'nvarchar': case 'varbinary':
      if (isMax(type)) sink.u64(plpNull);
      else sink.u16(0xffff);
      return;
    default: sink.u8(0);
  }
}

/**
 * Writes a value (canonical text, see the table above) as a ROW token holds it: with its length
 * prefix for the variable-length types, bare for the fixed ones.
 */
export function writeValue(sink: ByteSink, type: SqlType, nullable: boolean, text: string): void {
  const lengthPrefix = (length: number) => {
    if (nullable) sink.u8(length);
  };
  switch (type.name) {
    case 'tinyint': lengthPrefix(1); sink.u8(Number(text)); return;
    case 'smallint': lengthPrefix(2); sink.i16(Number(text)); return;
    case 'int': lengthPrefix(4); sink.i32(Number(text)); return;
    case 'bigint': lengthPrefix(8); sink.i64(BigInt(text)); return;
    case 'bit': lengthPrefix(1); sink.u8(text === 't' || text === 'true' || text === '1' ? 1 : 0); return;
    case 'real': lengthPrefix(4); sink.ensure(4); sink.position = sink.buffer.writeFloatLE(Number(text), sink.position); return;
    case 'float': lengthPrefix(8); sink.ensure(8); sink.position = sink.buffer.writeDoubleLE(Number(text), sink.position); return;
    case 'money': {
      lengthPrefix(8);
      const units = decimalUnits(text, 4);
      sink.i32(Number(BigInt.asIntN(32, units >> 32n)));
      sink.u32(Number(BigInt.asUintN(32, units)));
      return;
    }
    case 'smallmoney': lengthPrefix(4); sink.i32(Number(decimalUnits(text, 4))); return;
    case 'decimal': case 'numeric': {
      const length = decimalLength(type.precision!);
      const units = decimalUnits(text, type.scale!);
      sink.u8(length);
      sink.u8(units < 0n ? 0 : 1);
      sink.uint(units < 0n ? -units : units, length - 1);
      return;
    }
    case 'uniqueidentifier': sink.u8(16); sink.bytes(guidBytes(text)); return;
    case 'date': sink.u8(3); sink.uint(BigInt(parseDays(text) + epochFromYearOne), 3); return;
    case 'time': {
      const length = timeLength(type.scale!);
      sink.u8(length);
      sink.uint(scaledTicks(parseTicks(text), type.scale!), length);
      return;
    }
    case 'datetime2': {
      const length = timeLength(type.scale!);
      sink.u8(length + 3);
      sink.uint(scaledTicks(parseTicks(text, 11), type.scale!), length);
      sink.uint(BigInt(parseDays(text) + epochFromYearOne), 3);
      return;
    }
    case 'datetimeoffset': {
      // On the wire: the UTC date and time, then the offset in minutes.
      const length = timeLength(type.scale!);
      const offset = offsetMinutesOf(text.slice(28));
      const utc = BigInt(parseDays(text)) * ticksPerDay + parseTicks(text, 11) - BigInt(offset) * 600_000_000n;
      const days = utc / ticksPerDay - (utc % ticksPerDay < 0n ? 1n : 0n);
      sink.u8(length + 5);
      sink.uint(scaledTicks(utc - days * ticksPerDay, type.scale!), length);
      sink.uint(days + BigInt(epochFromYearOne), 3);
      sink.i16(offset);
      return;
    }
    case 'datetime': {
      lengthPrefix(8);
      const ms = millisOfDay(text);
      sink.i32(parseDays(text) + epochFrom1900);
      // 1/300 s ticks; SQL Server's datetime values are the milliseconds .xx0, .xx3 and .xx7.
      sink.u32(Math.round((ms * 3) / 10));
      return;
    }
    case 'smalldatetime': {
      lengthPrefix(4);
      sink.u16(parseDays(text) + epochFrom1900);
      sink.u16(Math.floor(millisOfDay(text) / 60_000));
      return;
    }
    case 'char': case 'varchar': {
      const bytes = encodeCp1252(text);
      if (isMax(type)) writePlp(sink, bytes);
      else {
        sink.u16(bytes.length);
        sink.bytes(bytes);
      }
      return;
    }
    case 'nchar': case 'nvarchar':
      if (isMax(type)) writePlp(sink, Buffer.from(text, 'utf16le'));
      else {
        sink.u16(text.length * 2);
        sink.utf16(text);
      }
      return;
    case 'binary': case 'varbinary': case 'timestamp': {
      const bytes = Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
      if (isMax(type)) writePlp(sink, bytes);
      else {
        sink.u16(bytes.length);
        sink.bytes(bytes);
      }
      return;
    }
    default:
      throw new Error(`the TDS test server cannot send values of type ${formatSqlType(type)}`);
  }
}

function scaledTicks(ticks: bigint, scale: number): bigint {
  return ticks / 10n ** BigInt(7 - scale);
}

function millisOfDay(text: string): number {
  const fraction = text.length > 20 ? Number(text.slice(20, 23).padEnd(3, '0')) : 0;
  return ((Number(text.slice(11, 13)) * 60 + Number(text.slice(14, 16))) * 60 + Number(text.slice(17, 19))) * 1000 + fraction;
}

/** `-12.3400` at scale 4 -> -123400n. Digits beyond the scale must be zeros. */
export function decimalUnits(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  if (/[^0]/.test(fraction.slice(scale))) throw new Error(`${text} has more than ${scale} decimals`);
  const units = BigInt((whole || '0') + fraction.slice(0, scale).padEnd(scale, '0'));
  return negative ? -units : units;
}

export function unitsText(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** A GUID's bytes: the first three groups little-endian (as Windows stores them), the last two as written. */
export function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const bytes = Buffer.from(hex, 'hex');
  return Buffer.from([bytes[3]!, bytes[2]!, bytes[1]!, bytes[0]!, bytes[5]!, bytes[4]!, bytes[7]!, bytes[6]!, ...bytes.subarray(8)]);
}

export function guidText(bytes: Buffer): string {
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  const hex = order.map((i) => bytes[i]!.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Windows-1252 differs from Latin-1 only in 0x80-0x9F.
const cp1252High: Record<number, number> = {
  0x20ac: 0x80, 0x201a: 0x82, 0x0192: 0x83, 0x201e: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87, 0x02c6: 0x88, 0x2030: 0x89,
  0x0160: 0x8a, 0x2039: 0x8b, 0x0152: 0x8c, 0x017d: 0x8e, 0x2018: 0x91, 0x2019: 0x92, 0x201c: 0x93, 0x201d: 0x94, 0x2022: 0x95,
  0x2013: 0x96, 0x2014: 0x97, 0x02dc: 0x98, 0x2122: 0x99, 0x0161: 0x9a, 0x203a: 0x9b, 0x0153: 0x9c, 0x017e: 0x9e, 0x0178: 0x9f,
};
const cp1252Low = new Map(Object.entries(cp1252High).map(([code, byte]) => [byte, Number(code)]));

/** Text in code page 1252; a character it cannot hold becomes `?`, as SQL Server stores it in a varchar. */
export function encodeCp1252(text: string): Buffer {
  if (/^[\x00-\x7f]*$/.test(text)) return Buffer.from(text, 'latin1');
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) bytes.push(code);
    else bytes.push(cp1252High[code] ?? 0x3f);
  }
  return Buffer.from(bytes);
}

export function decodeCp1252(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(cp1252Low.get(byte) ?? byte);
  return text;
}

// ---------------------------------------------------------------------------------------------
// RPC parameters: TYPE_INFO and value, read back into a SqlType and canonical text.

export type ParamValue = { type: SqlType; value: string | null };

/** Reads one parameter's TYPE_INFO and value at `offset`; returns it and the offset after it. */
export function readParam(buf: Buffer, start: number): { param: ParamValue; offset: number } {
  let offset = start;
  const id = buf[offset++]!;
  const u8 = () => buf[offset++]!;
  const u16 = () => {
    const v = buf.readUInt16LE(offset);
    offset += 2;
    return v;
  };
  const bytes = (n: number) => {
    const b = buf.subarray(offset, offset + n);
    offset += n;
    return b;
  };
  const uint = (n: number) => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i]!);
    offset += n;
    return v;
  };
  const done = (type: SqlType, value: string | null) => ({ param: { type, value }, offset });
  const fixedInt = (name: string, size: number) => done({ name }, String(size === 8 ? buf.readBigInt64LE((offset += 8) - 8) : size === 4 ? buf.readInt32LE((offset += 4) - 4) : size === 2 ? buf.readInt16LE((offset += 2) - 2) : buf[offset++]!));
  switch (id) {
    case TdsType.int1: return fixedInt('tinyint', 1);
    case TdsType.int2: return fixedInt('smallint', 2);
    case TdsType.int4: return fixedInt('int', 4);
    case TdsType.int8: return fixedInt('bigint', 8);
    case TdsType.intN: {
      const max = u8();
      const name = max === 1 ? 'tinyint' : max === 2 ? 'smallint' : max === 4 ? 'int' : 'bigint';
      const length = u8();
      if (length === 0) return done({ name }, null);
      return fixedInt(name, length);
    }
    case TdsType.bit: return done({ name: 'bit' }, u8() ? 't' : 'f');
    case TdsType.bitN: {
      u8();
      const length = u8();
      return done({ name: 'bit' }, length === 0 ? null : u8() ? 't' : 'f');
    }
    case TdsType.fltN: {
      const max = u8();
      const length = u8();
      const name = max === 4 ? 'real' : 'float';
      if (length === 0) return done({ name }, null);
      const value = length === 4 ? buf.readFloatLE(offset) : buf.readDoubleLE(offset);
      offset += length;
      return done({ name }, String(value));
    }
    case TdsType.decimalN: case TdsType.numericN: {
      u8();
      const precision = u8();
      const scale = u8();
      const type = { name: id === TdsType.decimalN ? 'decimal' : 'numeric', precision, scale };
      const length = u8();
      if (length === 0) return done(type, null);
      const positive = u8() === 1;
      const magnitude = uint(length - 1);
      return done(type, unitsText(positive ? magnitude : -magnitude, scale));
    }
    case TdsType.moneyN: {
      const max = u8();
      const length = u8();
      const type = { name: max === 4 ? 'smallmoney' : 'money' };
      if (length === 0) return done(type, null);
      if (length === 4) return done(type, unitsText(BigInt(buf.readInt32LE((offset += 4) - 4)), 4));
      const high = BigInt(buf.readInt32LE(offset));
      const low = BigInt(buf.readUInt32LE(offset + 4));
      offset += 8;
      return done(type, unitsText((high << 32n) + low, 4));
    }
    case TdsType.guid: {
      u8();
      const length = u8();
      return done({ name: 'uniqueidentifier' }, length === 0 ? null : guidText(bytes(16)));
    }
    case TdsType.dateN: {
      const length = u8();
      return done({ name: 'date' }, length === 0 ? null : dateText(Number(uint(3)) - epochFromYearOne));
    }
    case TdsType.timeN: case TdsType.datetime2N: case TdsType.datetimeOffsetN: {
      const scale = u8();
      const name = id === TdsType.timeN ? 'time' : id === TdsType.datetime2N ? 'datetime2' : 'datetimeoffset';
      const type = { name, scale };
      const length = u8();
      if (length === 0) return done(type, null);
      const ticks = uint(timeLength(scale)) * 10n ** BigInt(7 - scale);
      if (name === 'time') return done(type, timeText(ticks));
      const days = Number(uint(3)) - epochFromYearOne;
      if (name === 'datetime2') return done(type, `${dateText(days)} ${timeText(ticks)}`);
      const offsetMinutes = buf.readInt16LE(offset);
      offset += 2;
      const local = BigInt(days) * ticksPerDay + ticks + BigInt(offsetMinutes) * 600_000_000n;
      const localDays = local / ticksPerDay - (local % ticksPerDay < 0n ? 1n : 0n);
      return done(type, `${dateText(Number(localDays))} ${timeText(local - localDays * ticksPerDay)} ${offsetText(offsetMinutes)}`);
    }
    case TdsType.datetimeN: {
      const max = u8();
      const length = u8();
      const type = { name: max === 4 ? 'smalldatetime' : 'datetime' };
      if (length === 0) return done(type, null);
      if (length === 4) {
        const days = u16() - epochFrom1900;
        const minutes = u16();
        return done(type, `${dateText(days)} ${timeText(BigInt(minutes) * 600_000_000n).slice(0, 8)}`);
      }
      const days = buf.readInt32LE(offset) - epochFrom1900;
      const ticks300 = buf.readUInt32LE(offset + 4);
      offset += 8;
      const ms = Math.round((ticks300 * 10) / 3);
      return done(type, `${dateText(days)} ${timeText(BigInt(ms) * 10_000n).slice(0, 12)}`);
    }
    case TdsType.bigVarChar: case TdsType.bigChar: case TdsType.nVarChar: case TdsType.nChar:
    case TdsType.bigVarBinary: case TdsType.bigBinary: {
      const max = u16();
      const textual = id !== TdsType.bigVarBinary && id !== TdsType.bigBinary;
      if (textual) bytes(5);
      const unicode = id === TdsType.nVarChar || id === TdsType.nChar;
      const name = { [TdsType.bigVarChar]: 'varchar', [TdsType.bigChar]: 'char', [TdsType.nVarChar]: 'nvarchar', [TdsType.nChar]: 'nchar', [TdsType.bigVarBinary]: 'varbinary', [TdsType.bigBinary]: 'binary' }[id]!;
      const type: SqlType = { name, length: max === 0xffff ? 'max' : unicode ? max / 2 : max };
      let data: Buffer | null;
      if (max === 0xffff) {
        const total = buf.readBigUInt64LE(offset);
        offset += 8;
        if (total === plpNull) data = null;
        else {
          const parts: Buffer[] = [];
          for (;;) {
            const chunk = buf.readUInt32LE(offset);
            offset += 4;
            if (chunk === 0) break;
            parts.push(bytes(chunk));
          }
          data = Buffer.concat(parts);
        }
      } else {
        const length = u16();
        data = length === 0xffff ? null : bytes(length);
      }
      if (data === null) return done(type, null);
      if (!textual) return done(type, `\\x${data.toString('hex')}`);
      return done(type, unicode ? data.toString('utf16le') : decodeCp1252(data));
    }
    default:
      throw new Error(`RPC parameter of TDS type 0x${id.toString(16)} is not supported by the TDS test server`);
  }
}
