import { NonRetryableError } from '../../errors/errorTypes.js';
import { daysFromCivil, microsPerDay, type TimestampWithOffset } from '../../formats/canonicalValues.js';
import { readType, type Column, type OutputType } from '../../spec/columns.js';
import { digitsAt, fixedDateDays, fixedTimeSeconds, fractionMicros as fractionDigitsMicros, microsBigint } from '../dateTimeText.js';
import type { KeyKind } from '../sourceConnector.js';

/**
 * SQL Server types and how their values become canonical values (formats/canonicalValues.ts).
 *
 * tedious decodes some types lossily: decimal, numeric, money and smallmoney arrive as JS
 * numbers (15-17 significant digits), datetime2 / time / datetimeoffset arrive as JS Dates with
 * millisecond precision, and datetimeoffset loses its offset altogether. Those columns are
 * therefore selected as text (see wireFormOf and the dialect's selectExpression) and parsed here
 * exactly. Every other type is taken as tedious decodes it, which is exact for it.
 *
 * Policy for the 100-nanosecond types (datetime2(7), time(7), datetimeoffset(7)): canonical
 * values are microseconds, so the seventh fractional digit is TRUNCATED (the value is rounded
 * toward the earlier microsecond). Scales 0-6 are exact. Chunk-key bounds round outwards instead
 * (min down, max up) so a range never misses the row that holds the extreme.
 */

/** What the catalog says about a column's type; typeName is the base system type, lowercase. */
export type SqlServerTypeInfo = { typeName: string; maxLength: number; precision: number; scale: number };

/** The declared type as SQL Server writes it (nvarchar(50), decimal(18,2), datetime2(7), varbinary(max)). */
export function formatSqlServerType(info: SqlServerTypeInfo): string {
  const name = info.typeName;
  switch (name) {
    case 'char': case 'varchar': case 'binary': case 'varbinary':
      return `${name}(${info.maxLength === -1 ? 'max' : info.maxLength})`;
    // max_length counts bytes, two per UTF-16 code unit.
    case 'nchar': case 'nvarchar':
      return `${name}(${info.maxLength === -1 ? 'max' : info.maxLength / 2})`;
    case 'decimal': case 'numeric':
      return `${name}(${info.precision},${info.scale})`;
    case 'time': case 'datetime2': case 'datetimeoffset':
      return `${name}(${info.scale})`;
    default:
      return name;
  }
}

/** `decimal(18,2)` -> `decimal`: the part of a sourceType that decides mapping and decoding. */
export function baseTypeName(sourceType: string): string {
  return (/^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(sourceType)?.[1] ?? sourceType).toLowerCase();
}

const unsupportedHints: Record<string, string> = {
  sql_variant: 'read it through a query that converts it to one concrete type, e.g. CONVERT(nvarchar(4000), col)',
  hierarchyid: 'read it through a query that selects col.ToString()',
  geometry: 'read it through a query that selects col.STAsText() or col.STAsBinary()',
  geography: 'read it through a query that selects col.STAsText() or col.STAsBinary()',
  vector: 'read it through a query that selects CONVERT(nvarchar(max), col)',
};

/**
 * SQL Server type to output type. Anything not listed (sql_variant, hierarchyid, geometry,
 * geography, vector, CLR user-defined types) fails prepare with the column named, before
 * anything is written. `where` names the table (or query), the column and its type.
 */
export function outputTypeOf(info: SqlServerTypeInfo, where: string): OutputType {
  switch (info.typeName) {
    // tinyint is unsigned 0-255: it needs 16 bits to stay a signed integer.
    case 'tinyint': case 'smallint': return { kind: 'int16' };
    case 'int': return { kind: 'int32' };
    case 'bigint': return { kind: 'int64' };
    case 'bit': return { kind: 'boolean' };
    case 'decimal': case 'numeric': {
      if (info.precision < 1 || info.precision > 38 || info.scale < 0 || info.scale > info.precision) {
        throw new NonRetryableError(`${where}: ${info.typeName}(${info.precision},${info.scale}) is not a decimal Siphon can write exactly`);
      }
      return { kind: 'decimal', precision: info.precision, scale: info.scale };
    }
    // money is a 64-bit integer of ten-thousandths, smallmoney a 32-bit one.
    case 'money': return { kind: 'decimal', precision: 19, scale: 4 };
    case 'smallmoney': return { kind: 'decimal', precision: 10, scale: 4 };
    case 'real': return { kind: 'float32' };
    case 'float': return { kind: 'float64' };
    case 'char': case 'varchar': case 'text': case 'nchar': case 'nvarchar': case 'ntext': case 'xml':
      return { kind: 'string' };
    case 'json': return { kind: 'json' };
    // rowversion (catalog name `timestamp`) is 8 opaque bytes, kept as they are.
    case 'binary': case 'varbinary': case 'image': case 'timestamp': case 'rowversion':
      return { kind: 'binary' };
    case 'uniqueidentifier': return { kind: 'uuid' };
    case 'date': return { kind: 'date' };
    case 'time': return { kind: 'time' };
    // Wall-clock values with no zone: they stay wall clock, never shifted to UTC.
    case 'datetime': case 'smalldatetime': case 'datetime2': return { kind: 'timestamp', utc: false };
    case 'datetimeoffset': return { kind: 'timestampOffset' };
    default: {
      const hint = unsupportedHints[info.typeName] ?? 'it has no exact output type; read it through a query that converts it to text or binary';
      throw new NonRetryableError(`${where}: type ${info.typeName} is not supported (${hint})`);
    }
  }
}

export function keyKindOf(typeName: string, where: string): KeyKind {
  switch (typeName) {
    case 'tinyint': case 'smallint': case 'int': case 'bigint': return 'integer';
    case 'date': return 'date';
    case 'datetime': case 'smalldatetime': case 'datetime2': return 'timestamp';
    case 'datetimeoffset': return 'timestamptz';
    // rowversion's catalog name is `timestamp`; it has nothing to do with dates.
    case 'timestamp': case 'rowversion': return 'rowversion';
    default: throw new NonRetryableError(`${where}: a chunk key must be an integer, date, datetime, datetime2, datetimeoffset or rowversion column, not ${typeName}`);
  }
}

/**
 * How a column's values travel: `native` as tedious decodes them, or converted to text by the
 * SELECT (the dialect writes the conversion, the decoders below parse it; both read this).
 */
export type WireForm = 'native' | 'decimalText' | 'moneyText' | 'datetime2Text' | 'datetimeoffsetText' | 'timeText' | 'nvarcharText' | 'floatText' | 'dateTimeText';

export function wireFormOf(column: Column): WireForm {
  const form = exactWireForm(column);
  if (!column.override || form !== 'native') return form;
  // Read as text for columnTypes: the server's own text, with every digit a float has (style 3)
  // and the ISO form of the older date types (style 121).
  switch (baseTypeName(column.sourceType)) {
    case 'float': case 'real': return 'floatText';
    case 'datetime': case 'smalldatetime': case 'date': return 'dateTimeText';
    default: return 'nvarcharText';
  }
}

function exactWireForm(column: Column): WireForm {
  switch (baseTypeName(column.sourceType)) {
    case 'decimal': case 'numeric': return 'decimalText';
    case 'money': case 'smallmoney': return 'moneyText';
    case 'datetime2': return 'datetime2Text';
    case 'datetimeoffset': return 'datetimeoffsetText';
    case 'time': return 'timeText';
    // The native json type is sent to clients that do not announce it (tedious) as nvarchar(max)
    // anyway; converting says so instead of relying on it.
    case 'json': return 'nvarcharText';
    default: return 'native';
  }
}

export type Decoder = (value: unknown) => unknown;

/** The function that turns what arrives for this column into its canonical value; null stays null. */
export function decoderFor(column: Column, where: string): Decoder {
  const decode = valueDecoder(column, where);
  return (value) => (value === null || value === undefined ? null : decode(value));
}

function valueDecoder(column: Column, where: string): Decoder {
  const type = readType(column);
  const wire = wireFormOf(column);
  const fail = (value: unknown, expected: string): never => {
    throw new NonRetryableError(`${where}: expected ${expected} from the driver, got ${describeValue(value)}`);
  };
  const text = (value: unknown): string => (typeof value === 'string' ? value : fail(value, 'text'));
  switch (type.kind) {
    case 'int16': case 'int32':
      return (value) => (typeof value === 'number' && Number.isInteger(value) ? value : fail(value, 'an integer'));
    case 'int64':
      return (value) => parseBigIntText(typeof value === 'bigint' ? String(value) : text(value), where);
    case 'boolean':
      return (value) => (typeof value === 'boolean' ? value : fail(value, 'a boolean'));
    case 'float32': case 'float64':
      return (value) => (typeof value === 'number' ? value : fail(value, 'a number'));
    case 'decimal': {
      if (wire !== 'decimalText' && wire !== 'moneyText') throw new NonRetryableError(`${where}: a decimal must be selected as text, not ${wire}`);
      const scale = type.scale;
      return (value) => parseDecimalText(text(value), scale, where);
    }
    case 'string': case 'json':
      return text;
    case 'uuid':
      return (value) => parseUuidText(text(value), where);
    case 'binary':
      return (value) => (value instanceof Uint8Array ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : fail(value, 'bytes'));
    case 'date':
      return (value) => (value instanceof Date ? daysOfDate(value, where) : fail(value, 'a Date'));
    case 'time':
      return (value) => parseTimeMicros(text(value), where);
    case 'timestamp':
      if (wire === 'datetime2Text') return (value) => parseDateTime2Micros(text(value), where);
      return (value) => (value instanceof Date ? microsOfDate(value, where) : fail(value, 'a Date'));
    case 'timestampOffset':
      return (value) => parseDateTimeOffset(text(value), where);
    default:
      throw new NonRetryableError(`${where}: no SQL Server decoder for output type ${type.kind}`);
  }
}

function describeValue(value: unknown): string {
  if (value instanceof Date) return 'a Date';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}

const bigintText = /^-?\d{1,19}$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/**
 * tedious hands bigint columns over as decimal strings; BigInt keeps all 64 bits. Up to 15
 * digits (every key and count below a quadrillion) they are read into a number by position,
 * whose BigInt costs half that of the text's.
 */
export function parseBigIntText(text: string, where = 'bigint'): bigint {
  const small = smallIntegerOf(text);
  return small === undefined ? bigIntByPattern(text, where) : BigInt(small);
}

/** The general form of parseBigIntText, exported to test the positional reading against it. */
export function bigIntByPattern(text: string, where = 'bigint'): bigint {
  if (!bigintText.test(text)) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a bigint`);
  const value = BigInt(text);
  if (value < int64Min || value > int64Max) throw new NonRetryableError(`${where}: ${text} is outside the bigint range`);
  return value;
}

const decimalText = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * The text of CONVERT(varchar, decimal) or CONVERT(varchar, money, 2) as a canonical decimal:
 * plain digits, exactly `scale` of them after the point ("-0.50", "12", "922337203685477.5807").
 */
export function parseDecimalText(text: string, scale: number, where = 'decimal'): string {
  // What CONVERT writes for a decimal is nearly always canonical already: no copy, no pattern.
  return isCanonicalDecimal(text, scale) ? text : decimalByPattern(text, scale, where);
}

/** The general form of parseDecimalText, exported to test the positional reading against it. */
export function decimalByPattern(text: string, scale: number, where = 'decimal'): string {
  const m = decimalText.exec(text.trim());
  if (!m || (!m[2] && !m[3])) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a decimal`);
  const fraction = m[3] ?? '';
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale))) {
    throw new NonRetryableError(`${where}: ${text} has more than ${scale} digits after the point`);
  }
  const whole = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const digits = scale > 0 ? `${whole}.${fraction.slice(0, scale).padEnd(scale, '0')}` : whole;
  // Negative zero is zero; its sign would only make readers disagree.
  const negative = m[1] === '-' && /[1-9]/.test(digits);
  return negative ? `-${digits}` : digits;
}

const uuidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** tedious writes uniqueidentifiers in upper case unless told otherwise; canonical is lower. */
export function parseUuidText(text: string, where = 'uniqueidentifier'): string {
  const lower = text.toLowerCase();
  if (!uuidText.test(lower)) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a uniqueidentifier`);
  return lower;
}

/** tedious (useUTC) builds a date as midnight UTC of that day; any other time means the session was not UTC. */
export function daysOfDate(value: Date, where = 'date'): number {
  const ms = value.getTime();
  if (!Number.isFinite(ms) || ms % 86_400_000 !== 0) throw new NonRetryableError(`${where}: ${String(value)} is not a whole day (is useUTC off?)`);
  return ms / 86_400_000;
}

/**
 * datetime and smalldatetime arrive as Dates whose UTC fields are the wall clock (useUTC).
 * datetime ticks are 1/300 s; tedious rounds them to the millisecond, which is exactly what
 * SQL Server itself prints for them (.000, .003, .007).
 */
export function microsOfDate(value: Date, where = 'datetime'): bigint {
  const ms = value.getTime();
  if (!Number.isFinite(ms)) throw new NonRetryableError(`${where}: invalid Date`);
  return BigInt(ms) * 1000n;
}

// CONVERT(varchar, x, 121) writes `yyyy-mm-dd hh:mi:ss.fffffff` and, for datetimeoffset,
// ` +hh:mm`; style 126 writes a T and omits a zero fraction. Both are accepted.
const dateTimeText = /^(\d{4,5})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?(?: ?(Z|[+-]\d\d:\d\d))?$/;
const timeText = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?$/;
const dateOnlyText = /^(\d{4})-(\d\d)-(\d\d)$/;

export type Rounding = 'floor' | 'ceil';

/** A 0-7 digit fraction of a second as microseconds: the 100 ns digit truncated, or rounded up on request. */
function fractionMicros(fraction: string | undefined, rounding: Rounding): bigint {
  const digits = (fraction ?? '').padEnd(7, '0');
  const micros = BigInt(digits.slice(0, 6));
  return rounding === 'ceil' && digits[6] !== '0' ? micros + 1n : micros;
}

type DateTimeParts = { wallMicros: bigint; offsetMinutes: number | undefined };

function parseDateTimeParts(text: string, what: string, where: string, rounding: Rounding): DateTimeParts {
  const m = dateTimeText.exec(text.trim());
  if (!m) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a ${what}`);
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a valid ${what}`);
  }
  const days = daysFromCivil(year, month, day);
  const wallMicros = BigInt(days) * microsPerDay + BigInt((hour * 60 + minute) * 60 + second) * 1_000_000n + fractionMicros(m[7], rounding);
  const zone = m[8];
  let offsetMinutes: number | undefined;
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    if (minutes > 14 * 60) throw new NonRetryableError(`${where}: offset ${zone} in ${JSON.stringify(text)} is outside ±14:00`);
    offsetMinutes = sign * minutes;
  }
  return { wallMicros, offsetMinutes };
}

/** A datetime2 as wall-clock microseconds since 1970-01-01T00:00:00 (see the 100 ns policy above). */
export function parseDateTime2Micros(text: string, where = 'datetime2', rounding: Rounding = 'floor'): bigint {
  return fixedWallMicros(text, text.length, rounding) ?? dateTime2MicrosByPattern(text, where, rounding);
}

/** The general form of parseDateTime2Micros, exported to test the positional reading against it. */
export function dateTime2MicrosByPattern(text: string, where = 'datetime2', rounding: Rounding = 'floor'): bigint {
  const parts = parseDateTimeParts(text, 'datetime2', where, rounding);
  if (parts.offsetMinutes !== undefined) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} carries an offset, a datetime2 has none`);
  return parts.wallMicros;
}

/** A datetimeoffset as its UTC instant in microseconds and the offset it was recorded in. */
export function parseDateTimeOffset(text: string, where = 'datetimeoffset', rounding: Rounding = 'floor'): TimestampWithOffset {
  return fixedDateTimeOffset(text, rounding) ?? dateTimeOffsetByPattern(text, where, rounding);
}

/** The general form of parseDateTimeOffset, exported to test the positional reading against it. */
export function dateTimeOffsetByPattern(text: string, where = 'datetimeoffset', rounding: Rounding = 'floor'): TimestampWithOffset {
  const parts = parseDateTimeParts(text, 'datetimeoffset', where, rounding);
  if (parts.offsetMinutes === undefined) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} has no offset`);
  return { micros: parts.wallMicros - BigInt(parts.offsetMinutes) * 60_000_000n, offsetMinutes: parts.offsetMinutes };
}

// Positional readers: the decoders' first try for every value of a bigint, decimal, datetime2 and
// datetimeoffset column (a chunk reads hundreds of thousands per second). They take only the
// plain forms tedious and CONVERT(varchar, x, 121) produce and read them by character code,
// without a pattern, a Date or intermediate strings; anything else (spaces around, a T, a
// five-digit year, a day past the month's end) returns undefined and goes to the patterns, which
// also raise the errors. Both give the same value wherever both apply (tested).

/** The value of an optional minus and 1 to 15 ASCII digits, or undefined. */
function smallIntegerOf(text: string): number | undefined {
  const length = text.length;
  const negative = text.charCodeAt(0) === 45;
  const start = negative ? 1 : 0;
  if (length === start || length - start > 15) return undefined;
  const value = digitsAt(text, start, length - start);
  if (value < 0) return undefined;
  return negative ? -value : value;
}

/** Whether `text` is already a canonical decimal of `scale`: [-]digits without a leading zero, a point and `scale` digits, no negative zero. */
function isCanonicalDecimal(text: string, scale: number): boolean {
  const length = text.length;
  const start = text.charCodeAt(0) === 45 ? 1 : 0;
  const point = scale > 0 ? length - scale - 1 : length;
  if (point <= start || (scale > 0 && text.charCodeAt(point) !== 46)) return false;
  if (text.charCodeAt(start) === 48 && point - start > 1) return false;
  let nonZero = false;
  for (let at = start; at < length; at++) {
    if (at === point) continue;
    const digit = text.charCodeAt(at) - 48;
    if (!(digit >= 0 && digit <= 9)) return false;
    if (digit !== 0) nonZero = true;
  }
  return start === 0 || nonZero;
}

/**
 * Wall-clock microseconds of `yyyy-mm-dd hh:mi:ss[.f{1,7}]` filling text[0, end), or undefined.
 * The seventh fractional digit is truncated, or rounds up under `ceil` (see the policy above).
 */
function fixedWallMicros(text: string, end: number, rounding: Rounding): bigint | undefined {
  if (end < 19 || end === 20 || end > 27 || text.charCodeAt(10) !== 32) return undefined;
  const days = fixedDateDays(text);
  const seconds = fixedTimeSeconds(text, 11);
  if (days === undefined || seconds < 0) return undefined;
  let fraction = 0;
  let roundUp = false;
  if (end > 19) {
    if (text.charCodeAt(19) !== 46) return undefined;
    fraction = fractionDigitsMicros(text, 20, Math.min(end, 26));
    if (fraction < 0) return undefined;
    if (end === 27) {
      const seventh = digitsAt(text, 26, 1);
      if (seventh < 0) return undefined;
      roundUp = rounding === 'ceil' && seventh !== 0;
    }
  }
  const micros = microsBigint(days * 86_400 + seconds, fraction);
  return roundUp ? micros + 1n : micros;
}

/** A datetimeoffset written `yyyy-mm-dd hh:mi:ss[.f{1,7}] +hh:mm` (offset within ±14:00), or undefined. */
function fixedDateTimeOffset(text: string, rounding: Rounding): TimestampWithOffset | undefined {
  const zone = text.length - 6;
  const sign = text.charCodeAt(zone);
  if (zone < 20 || text.charCodeAt(zone - 1) !== 32 || (sign !== 43 && sign !== 45) || text.charCodeAt(zone + 3) !== 58) return undefined;
  const hours = digitsAt(text, zone + 1, 2);
  const minutes = digitsAt(text, zone + 4, 2);
  if (hours < 0 || minutes < 0 || minutes > 59 || hours * 60 + minutes > 14 * 60) return undefined;
  const wallMicros = fixedWallMicros(text, zone - 1, rounding);
  if (wallMicros === undefined) return undefined;
  const offsetMinutes = (sign === 45 ? -1 : 1) * (hours * 60 + minutes);
  return { micros: wallMicros - BigInt(offsetMinutes) * 60_000_000n, offsetMinutes };
}

/** A time(n) as microseconds since midnight, 0 to 86,399,999,999. */
export function parseTimeMicros(text: string, where = 'time'): bigint {
  const m = timeText.exec(text.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a time`);
  return BigInt((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1_000_000n + fractionMicros(m[4], 'floor');
}

export function parseDateDays(text: string, where = 'date'): number {
  const m = dateOnlyText.exec(text.trim());
  if (!m) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a date`);
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * A chunk key's text (as the dialect's keyText writes it) as the integer digits of KeyBounds.
 * `floor` for lower bounds and `ceil` for upper ones, so a bound never cuts off the row holding
 * a 100 ns value that microseconds cannot express.
 */
export function keyDigits(kind: KeyKind, text: string, rounding: Rounding, where = 'chunk key'): string {
  switch (kind) {
    case 'integer': return String(parseBigIntText(text.trim(), where));
    case 'date': return String(parseDateDays(text, where));
    case 'timestamp': return String(parseDateTime2Micros(text, where, rounding));
    case 'timestamptz': return String(parseDateTimeOffset(text, where, rounding).micros);
    case 'rowversion': return String(parseRowversionText(text, where));
  }
}

const rowversionText = /^0x([0-9a-f]{1,16})$/i;

/** CONVERT(varchar(18), CONVERT(binary(8), rv), 1) writes `0x00000000000007D1`: the unsigned big-endian integer. */
export function parseRowversionText(text: string, where = 'rowversion'): bigint {
  const m = rowversionText.exec(text.trim());
  if (!m) throw new NonRetryableError(`${where}: ${JSON.stringify(text)} is not a rowversion (0x and 16 hex digits)`);
  return BigInt(`0x${m[1]}`);
}
