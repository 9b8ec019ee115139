import { NonRetryableError } from '../../errors/errorTypes.js';
import { civilFromDays, daysFromCivil, isoFromMicros, microsPerDay } from '../../formats/canonicalValues.js';
import type { OutputType } from '../../spec/columns.js';
import { fixedDateDays, fixedTimeMicros, fixedTimeSeconds, fractionMicros, microsBigint } from '../dateTimeText.js';
import type { KeyKind, KeyPoint } from '../sourceConnector.js';

/**
 * A MySQL/MariaDB column type reduced to what the type map needs. Tables fill it from
 * information_schema.COLUMNS, query results from the column definitions the server sends, so both
 * paths share one map.
 */
export type MysqlTypeInfo = {
  /** information_schema DATA_TYPE spelling, lower case: `int`, `decimal`, `varchar`, `json`, `point`... */
  dataType: string;
  unsigned: boolean;
  /** Digits of a decimal, bits of a bit column. */
  precision?: number | undefined;
  scale?: number | undefined;
  /** The declared type as the user would recognise it (COLUMN_TYPE), for messages and drift checks. */
  columnType: string;
};

const spatialTypes = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

/**
 * MySQL/MariaDB type to output type. Everything not listed fails prepare with the table, column
 * and type named, before anything is written. `where` is `Table db.t, column "c" (type)`.
 */
export function outputTypeOf(info: MysqlTypeInfo, where: string): OutputType {
  switch (info.dataType) {
    // tinyint(1) is what BOOLEAN declares, but it holds -128..127, so it stays a number.
    case 'tinyint': return { kind: 'int16' };
    case 'smallint': return { kind: info.unsigned ? 'int32' : 'int16' };
    case 'mediumint': return { kind: 'int32' };
    case 'int': case 'integer': return { kind: info.unsigned ? 'int64' : 'int32' };
    case 'bigint': return { kind: info.unsigned ? 'uint64' : 'int64' };
    case 'year': return { kind: 'int16' };
    case 'decimal': case 'numeric': {
      const precision = info.precision ?? 0;
      const scale = info.scale ?? 0;
      if (precision < 1 || scale > precision) throw new NonRetryableError(`${where}: decimal without a usable precision and scale; cast it to decimal(p,s) in a query`);
      return { kind: 'decimal', precision, scale };
    }
    case 'float': return { kind: 'float32' };
    case 'double': case 'real': return { kind: 'float64' };
    case 'bit': return info.precision === 1 ? { kind: 'boolean' } : { kind: 'uint64' };
    case 'char': case 'varchar': case 'tinytext': case 'text': case 'mediumtext': case 'longtext':
    case 'enum': case 'set': case 'inet4': case 'inet6':
    // A result column of type NULL only ever holds NULL, which any type represents.
    case 'null':
      return { kind: 'string' };
    case 'binary': case 'varbinary': case 'tinyblob': case 'blob': case 'mediumblob': case 'longblob':
      return { kind: 'binary' };
    case 'json': return { kind: 'json' };
    case 'uuid': return { kind: 'uuid' };
    case 'date': return { kind: 'date' };
    case 'datetime': return { kind: 'timestamp', utc: false };
    // Sessions run with time_zone '+00:00', so a TIMESTAMP arrives as the UTC wall clock of its instant.
    case 'timestamp': return { kind: 'timestamp', utc: true };
    case 'time': return { kind: 'time' };
    default:
      if (spatialTypes.has(info.dataType)) throw new NonRetryableError(`${where}: spatial type ${info.columnType} is not supported; select ST_AsText() or ST_AsWKB() of it in a query`);
      throw new NonRetryableError(`${where}: type ${info.columnType} is not supported`);
  }
}

export function keyKindOf(info: MysqlTypeInfo, where: string): KeyKind {
  switch (info.dataType) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'int': case 'integer': case 'bigint': return 'integer';
    case 'date': return 'date';
    case 'datetime': return 'timestamp';
    case 'timestamp': return 'timestamptz';
    default: throw new NonRetryableError(`${where}: a chunk key must be an integer, date, datetime or timestamp column, not ${info.columnType}`);
  }
}

/** The subset of mysql2's column definition packet that says what a result column is. */
export type ResultField = {
  name: string;
  columnType?: number | undefined;
  flags: number | string[];
  characterSet?: number | undefined;
  columnLength?: number | undefined;
  decimals: number;
  extendedTypeName?: string | undefined;
  extendedFormat?: string | undefined;
};

const binaryCharset = 63;
const unsignedFlag = 32;
const enumFlag = 256;
const setFlag = 2048;
const notNullFlag = 1;

function fieldFlags(field: ResultField): number {
  return typeof field.flags === 'number' ? field.flags : 0;
}

export function fieldNullable(field: ResultField): boolean {
  return (fieldFlags(field) & notNullFlag) === 0;
}

/**
 * Type of a result column of a user's query, from the column definition the server sends
 * (protocol type code, flags, character set, length, MariaDB's extended type name and format).
 */
export function typeInfoFromField(field: ResultField): MysqlTypeInfo {
  const flags = fieldFlags(field);
  const unsigned = (flags & unsignedFlag) !== 0;
  const binary = field.characterSet === binaryCharset;
  const length = field.columnLength ?? 0;
  const sign = unsigned ? ' unsigned' : '';
  const info = (dataType: string, columnType = dataType, extra: Partial<MysqlTypeInfo> = {}): MysqlTypeInfo => ({ dataType, unsigned, columnType, ...extra });
  // MariaDB's own types travel as strings or blobs; only the extended metadata tells them apart.
  switch (field.extendedTypeName) {
    case 'uuid': case 'inet4': case 'inet6': return info(field.extendedTypeName);
  }
  if (field.extendedFormat === 'json') return info('json');
  switch (field.columnType) {
    case 1: return info('tinyint', `tinyint${sign}`);
    case 2: return info('smallint', `smallint${sign}`);
    case 9: return info('mediumint', `mediumint${sign}`);
    case 3: return info('int', `int${sign}`);
    case 8: return info('bigint', `bigint${sign}`);
    case 0: case 246: {
      // The display length counts the digits plus a point (when there is a scale) and a sign.
      const scale = field.decimals;
      const precision = length - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
      return info('decimal', `decimal(${precision},${scale})${sign}`, { precision, scale });
    }
    case 4: return info('float');
    case 5: return info('double');
    case 6: return info('null');
    case 7: case 17: return info('timestamp', precisionSuffix('timestamp', field.decimals));
    case 10: case 14: return info('date');
    case 11: case 19: return info('time', precisionSuffix('time', field.decimals));
    case 12: case 18: return info('datetime', precisionSuffix('datetime', field.decimals));
    case 13: return info('year');
    case 15: case 253: case 254: {
      if (flags & enumFlag) return info('enum');
      if (flags & setFlag) return info('set');
      const variable = field.columnType !== 254;
      return binary ? info(variable ? 'varbinary' : 'binary') : info(variable ? 'varchar' : 'char');
    }
    case 16: return info('bit', `bit(${length})`, { precision: length });
    case 245: return info('json');
    case 247: return info('enum');
    case 248: return info('set');
    case 249: return info(binary ? 'tinyblob' : 'tinytext');
    case 250: return info(binary ? 'mediumblob' : 'mediumtext');
    case 251: return info(binary ? 'longblob' : 'longtext');
    case 252: return info(binary ? 'blob' : 'text');
    case 255: return info(field.extendedTypeName ?? 'geometry');
    case 242: return info('vector');
    default: return info(`type code ${String(field.columnType)}`);
  }
}

function precisionSuffix(name: string, decimals: number): string {
  return decimals > 0 && decimals <= 6 ? `${name}(${decimals})` : name;
}

/**
 * Turns what mysql2 hands over into the canonical value of the output type. Sessions run with
 * the connector's driver options (text protocol; supportBigNumbers without bigNumberStrings,
 * dateStrings, decimals and JSON as text; floats read through CAST AS DOUBLE), so a value
 * arrives as:
 * - TINYINT to INT, YEAR, FLOAT, DOUBLE: a number mysql2 parsed from the digits;
 * - BIGINT: a number when it is a safe integer, otherwise its exact digits (mysql2 parses the
 *   digits into a number itself and falls back to the text only beyond 2^53);
 * - DECIMAL, strings, JSON: text; DATE, DATETIME, TIMESTAMP, TIME: the server's text;
 * - BIT, binary strings and blobs: bytes.
 * `where` names table and column for the errors bad values raise mid-copy.
 */
export function decoderFor(type: OutputType, where: string): (raw: unknown) => unknown {
  const decode = valueDecoder(type, where);
  return (raw) => (raw === null || raw === undefined ? null : decode(raw));
}

function valueDecoder(type: OutputType, where: string): (raw: unknown) => unknown {
  switch (type.kind) {
    case 'int16': case 'int32': case 'float64': return (raw) => (typeof raw === 'number' ? raw : Number(text(raw)));
    // The server sent the float widened to a double, so rounding back to float32 is exact.
    case 'float32': return (raw) => Math.fround(typeof raw === 'number' ? raw : Number(text(raw)));
    case 'int64': return (raw) => BigInt(typeof raw === 'number' ? raw : text(raw));
    case 'uint64': return (raw) => (raw instanceof Uint8Array ? bitsToBigint(raw) : BigInt(typeof raw === 'number' ? raw : text(raw)));
    case 'boolean': return (raw) => (raw instanceof Uint8Array ? raw.some((byte) => byte !== 0) : Number(raw) !== 0);
    case 'decimal': case 'string': case 'json': return text;
    case 'uuid': return (raw) => text(raw).toLowerCase();
    case 'binary': return (raw) => (raw instanceof Uint8Array ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : new TextEncoder().encode(text(raw)));
    case 'date': return (raw) => parseDateDays(text(raw), where);
    case 'time': return (raw) => parseTimeMicros(text(raw), where);
    case 'timestamp': return (raw) => parseDateTimeMicros(text(raw), where);
    case 'timestampOffset': throw new Error(`${where}: MySQL has no timestampOffset values`);
  }
}

function text(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  return String(raw);
}

/** A BIT(n) value arrives as big-endian bytes. */
export function bitsToBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

const dateText = /^(\d{4})-(\d\d)-(\d\d)$/;
const dateTimeText = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const timeText = /^(-)?(\d{2,3}):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/**
 * Days since the epoch of a DATE's text. MySQL can store zero dates ('0000-00-00') and dates
 * with a zero month or day; they name no day, so they fail instead of turning into a wrong one.
 * A valid `YYYY-MM-DD` is read by position; anything else goes through the pattern and its checks.
 */
export function parseDateDays(value: string, where: string): number {
  return (value.length === 10 ? fixedDateDays(value) : undefined) ?? dateDaysByPattern(value, where);
}

/** The general form of parseDateDays, exported to test the positional reading against it. */
export function dateDaysByPattern(value: string, where: string): number {
  const m = dateText.exec(value);
  if (!m) throw new NonRetryableError(`${where}: date '${value}' is not a calendar date`);
  return calendarDays(value, Number(m[1]), Number(m[2]), Number(m[3]), where);
}

/**
 * Microseconds since the epoch of a DATETIME's or (in a UTC session) TIMESTAMP's text. A valid
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` is read by position, anything else by the pattern.
 */
export function parseDateTimeMicros(value: string, where: string): bigint {
  return fixedDateTimeMicros(value) ?? dateTimeMicrosByPattern(value, where);
}

/** The general form of parseDateTimeMicros, exported to test the positional reading against it. */
export function dateTimeMicrosByPattern(value: string, where: string): bigint {
  const m = dateTimeText.exec(value);
  if (!m) throw new NonRetryableError(`${where}: datetime '${value}' is not a calendar date and time`);
  const days = calendarDays(value, Number(m[1]), Number(m[2]), Number(m[3]), where);
  const hours = Number(m[4]);
  const minutes = Number(m[5]);
  const seconds = Number(m[6]);
  if (hours > 23 || minutes > 59 || seconds > 59) throw new NonRetryableError(`${where}: datetime '${value}' has no valid time of day`);
  const fraction = m[7] ? BigInt(m[7].padEnd(6, '0')) : 0n;
  return BigInt(days) * microsPerDay + BigInt(hours * 3600 + minutes * 60 + seconds) * 1_000_000n + fraction;
}

function fixedDateTimeMicros(value: string): bigint | undefined {
  const length = value.length;
  if (length < 19 || (value.charCodeAt(10) !== 32 && value.charCodeAt(10) !== 84)) return undefined;
  const days = fixedDateDays(value);
  const time = fixedTimeSeconds(value, 11);
  if (days === undefined || time < 0) return undefined;
  const fraction = length === 19 ? 0 : value.charCodeAt(19) === 46 ? fractionMicros(value, 20, length) : -1;
  return fraction < 0 ? undefined : microsBigint(days * 86_400 + time, fraction);
}

function calendarDays(value: string, year: number, month: number, day: number, where: string): number {
  if (year === 0 && month === 0 && day === 0) {
    throw new NonRetryableError(`${where}: zero date '${value}' names no day; replace it with NULL in the source or map it in a query`);
  }
  if (year < 1 || month < 1 || month > 12 || day < 1) {
    throw new NonRetryableError(`${where}: date '${value}' has a zero year, month or day and names no day; fix it in the source or map it in a query`);
  }
  const days = daysFromCivil(year, month, day);
  // daysFromCivil rolls 02-30 over into March; a day that does not exist must fail instead.
  if (civilFromDays(days) !== `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`) {
    throw new NonRetryableError(`${where}: date '${value}' does not exist in the calendar`);
  }
  return days;
}

/**
 * Microseconds since midnight of a TIME's text. MySQL's TIME is an interval from -838:59:59 to
 * 838:59:59; only the values that are a time of day have an output type. A time of day
 * `HH:MM:SS[.ffffff]` is read by position, anything else (negative, 100 hours and more) by pattern.
 */
export function parseTimeMicros(value: string, where: string): bigint {
  return fixedTimeMicros(value) ?? timeMicrosByPattern(value, where);
}

/** The general form of parseTimeMicros, exported to test the positional reading against it. */
export function timeMicrosByPattern(value: string, where: string): bigint {
  const m = timeText.exec(value);
  if (!m) throw new NonRetryableError(`${where}: time '${value}' is not a time of day`);
  const micros = BigInt(Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1_000_000n + (m[5] ? BigInt(m[5].padEnd(6, '0')) : 0n);
  if (Number(m[3]) > 59 || Number(m[4]) > 59) throw new NonRetryableError(`${where}: time '${value}' is not a time of day`);
  if ((m[1] && micros !== 0n) || micros >= microsPerDay) {
    throw new NonRetryableError(`${where}: time '${value}' is outside 00:00:00..23:59:59.999999; a time column holds a time of day, so an interval must be cast (e.g. TIME_TO_SEC) in a query`);
  }
  return micros;
}

/** A key's canonical value (as decoded from a row: number or bigint) as integer digits, the form of KeyBounds. */
export function keyDigitsOf(value: unknown): string {
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return String(value);
  throw new Error(`Key value ${String(value)} is not an integer, day or microsecond count`);
}

/**
 * A chunk bound (integer digits) as a value to bind. Integers are bound as bigint, which mysql2
 * writes as an integer literal: a digit string would make MySQL compare as doubles and blur keys
 * above 2^53. Dates and times are bound as text, which MySQL compares as the column's type;
 * TIMESTAMP text is read in the session's UTC time zone.
 */
export function keyParameter(kind: KeyKind, digits: string): bigint | string {
  switch (kind) {
    case 'integer': return BigInt(digits);
    case 'date': return civilFromDays(Number(digits));
    case 'timestamp': case 'timestamptz': return isoFromMicros(BigInt(digits), false).replace('T', ' ');
    case 'rowversion': throw new NonRetryableError('rowversion keys exist only in SQL Server');
  }
}

/** A key value as the engines write it in statistics (`123`, `2024-01-31`, `2024-01-31 10:00:00.000000`) as digits. */
export function keyDigitsFromText(kind: KeyKind, value: string): string {
  switch (kind) {
    case 'integer':
      if (!/^-?\d+$/.test(value)) throw new Error(`Key value ${value} is not an integer`);
      return BigInt(value).toString();
    case 'date': return String(parseDateDays(value, 'statistics'));
    case 'timestamp': case 'timestamptz': return String(parseDateTimeMicros(value, 'statistics'));
    case 'rowversion': throw new NonRetryableError('rowversion keys exist only in SQL Server');
  }
}

/**
 * Points of a MySQL 8 histogram (information_schema.COLUMN_STATISTICS.HISTOGRAM): singleton
 * buckets `[value, cumulative frequency]` or equi-height buckets `[lower, upper, cumulative
 * frequency, distinct values]`, in key order. Each bucket becomes a point at its upper value
 * weighing its own share of rows. Integers beyond 2^53 come out of JSON rounded, which only moves
 * a cut slightly. Undefined when the histogram cannot be read.
 */
export function mysqlHistogramPoints(histogramJson: string, kind: KeyKind): KeyPoint[] | undefined {
  let histogram: unknown;
  try {
    histogram = JSON.parse(histogramJson);
  } catch {
    return undefined;
  }
  if (typeof histogram !== 'object' || histogram === null || !('buckets' in histogram) || !Array.isArray(histogram.buckets)) return undefined;
  const points: KeyPoint[] = [];
  let previous = 0;
  for (const bucket of histogram.buckets as unknown[]) {
    if (!Array.isArray(bucket) || (bucket.length !== 2 && bucket.length !== 4)) return undefined;
    const upper: unknown = bucket.length === 2 ? bucket[0] : bucket[1];
    const cumulative: unknown = bucket.length === 2 ? bucket[1] : bucket[2];
    if (typeof cumulative !== 'number') return undefined;
    const key = histogramKey(kind, upper);
    if (key === undefined) return undefined;
    points.push({ key, weight: Math.max(0, cumulative - previous) });
    previous = cumulative;
  }
  return points.length > 0 ? points : undefined;
}

function histogramKey(kind: KeyKind, value: unknown): string | undefined {
  try {
    if (typeof value === 'number') return kind === 'integer' && Number.isFinite(value) ? BigInt(Math.round(value)).toString() : undefined;
    if (typeof value === 'string') return keyDigitsFromText(kind, value);
  } catch {
    // A value the key type cannot hold (a zero date): the histogram is unusable, sample instead.
  }
  return undefined;
}

/** A row of MariaDB's mysql.column_stats for the key column. */
export type MariadbColumnStats = { minValue: string | null; maxValue: string | null; histType: string | null; histogram: Uint8Array | null };

/**
 * Points of a MariaDB engine-independent histogram (mysql.column_stats).
 * - JSON_HB: buckets `{start, size, ndv}` (the last also has `end`), sizes are shares of rows;
 *   a bucket covers start up to the next bucket's start, so its point sits just below that.
 * - SINGLE_PREC_HB / DOUBLE_PREC_HB: equi-height bucket ends stored as 1- or 2-byte fractions of
 *   max - min. The fraction is linear in the value only for integers (dates are positioned by
 *   their YYYYMMDD number), and it is computed in doubles, so a histogram whose ends collapse
 *   onto one value is useless: both cases return undefined and the caller samples instead.
 */
export function mariadbHistogramPoints(stats: MariadbColumnStats, kind: KeyKind): KeyPoint[] | undefined {
  if (!stats.histogram || stats.histogram.length === 0 || !stats.histType) return undefined;
  try {
    if (stats.histType === 'JSON_HB') return jsonHistogramPoints(Buffer.from(stats.histogram).toString('utf8'), kind);
    if (stats.histType === 'SINGLE_PREC_HB' || stats.histType === 'DOUBLE_PREC_HB') {
      if (kind !== 'integer' || stats.minValue === null || stats.maxValue === null) return undefined;
      return binaryHistogramPoints(stats.histogram, stats.histType === 'DOUBLE_PREC_HB' ? 2 : 1, BigInt(keyDigitsFromText(kind, stats.minValue)), BigInt(keyDigitsFromText(kind, stats.maxValue)));
    }
  } catch {
    // Unreadable statistics are not an error: sampling gives the same answer, only slower.
  }
  return undefined;
}

function jsonHistogramPoints(json: string, kind: KeyKind): KeyPoint[] | undefined {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || !('histogram_hb' in parsed) || !Array.isArray(parsed.histogram_hb)) return undefined;
  const buckets = parsed.histogram_hb as Array<{ start?: unknown; end?: unknown; size?: unknown }>;
  const points: KeyPoint[] = [];
  for (let i = 0; i < buckets.length; i++) {
    const bucket = buckets[i]!;
    const next = buckets[i + 1];
    if (typeof bucket.size !== 'number') return undefined;
    let key: string;
    if (next) {
      if (typeof next.start !== 'string') return undefined;
      key = (BigInt(keyDigitsFromText(kind, next.start)) - 1n).toString();
    } else {
      const end = typeof bucket.end === 'string' ? bucket.end : bucket.start;
      if (typeof end !== 'string') return undefined;
      key = keyDigitsFromText(kind, end);
    }
    points.push({ key, weight: bucket.size });
  }
  return points.length > 0 ? points : undefined;
}

function binaryHistogramPoints(histogram: Uint8Array, width: 1 | 2, min: bigint, max: bigint): KeyPoint[] | undefined {
  const full = width === 2 ? 65_535n : 255n;
  const ends: bigint[] = [];
  for (let offset = 0; offset + width <= histogram.length; offset += width) {
    const position = width === 2 ? BigInt(histogram[offset]! | (histogram[offset + 1]! << 8)) : BigInt(histogram[offset]!);
    ends.push(min + ((max - min) * position) / full);
  }
  if (ends.length === 0 || ends.every((end) => end === ends[0])) return undefined;
  // n ends cut n + 1 buckets of equal row counts; the last ends at max.
  const weight = 1 / (ends.length + 1);
  return [...ends, max].map((end) => ({ key: end.toString(), weight }));
}
