import { NonRetryableError } from '../../errors/errorTypes.js';
import type { Column, OutputType } from '../../spec/columns.js';
import { daysFromCivil, microsPerDay } from '../../formats/canonicalValues.js';
import { digitsAt, fixedDateDays, fixedTimeMicros, fixedTimeSeconds, fractionMicros, microsBigint } from '../dateTimeText.js';
import type { KeyKind } from '../sourceConnector.js';

/** A column's type as the catalog describes it (domains already resolved to their base type). */
export type PgType = { typeName: string; typmod: number; typtype: string; category: string; formatted: string };

/** money's text form depends on lc_monetary; cast to numeric it is plain digits with two decimals. */
const moneyType = { kind: 'decimal', precision: 19, scale: 2 } as const;

/**
 * PostgreSQL type to output type. Everything not listed fails prepare with the column named,
 * before anything is written.
 */
export function outputTypeOf(type: PgType, where: string): OutputType {
  // Arrays become JSON arrays: Parquet LIST would need nested writers downstream tools disagree on.
  if (type.category === 'A') return { kind: 'json' };
  if (type.typtype === 'e') return { kind: 'string' };
  switch (type.typeName) {
    case 'int2': return { kind: 'int16' };
    case 'int4': return { kind: 'int32' };
    case 'int8': return { kind: 'int64' };
    case 'float4': return { kind: 'float32' };
    case 'float8': return { kind: 'float64' };
    case 'bool': return { kind: 'boolean' };
    case 'text': case 'varchar': case 'bpchar': case 'name': case 'citext': case 'xml': case 'bit': case 'varbit': case 'inet': case 'cidr': case 'macaddr': case 'macaddr8':
      return { kind: 'string' };
    case 'json': case 'jsonb': return { kind: 'json' };
    case 'uuid': return { kind: 'uuid' };
    case 'bytea': return { kind: 'binary' };
    case 'date': return { kind: 'date' };
    case 'time': return { kind: 'time' };
    case 'timestamp': return { kind: 'timestamp', utc: false };
    case 'timestamptz': return { kind: 'timestamp', utc: true };
    case 'money': return moneyType;
    case 'numeric': {
      if (type.typmod < 0) throw new NonRetryableError(`${where}: numeric without precision and scale has no fixed scale to write every value with; declare numeric(p,s) or cast it in a query pipeline`);
      const precision = ((type.typmod - 4) >> 16) & 0xffff;
      const scale = (type.typmod - 4) & 0xffff;
      if (scale > precision) throw new NonRetryableError(`${where}: numeric with a negative scale or a scale above its precision has no decimal output type; cast it in a query pipeline`);
      return { kind: 'decimal', precision, scale };
    }
    case 'timetz':
      throw new NonRetryableError(`${where}: type timetz (a time of day with an offset) has no faithful output type; cast it to time or text in a query pipeline`);
    case 'interval':
      throw new NonRetryableError(`${where}: type interval has no faithful output type (Parquet INTERVAL cannot hold microseconds); cast it to text or a number of seconds in a query pipeline`);
    default:
      throw new NonRetryableError(`${where}: type ${type.formatted} is not supported`);
  }
}

/**
 * The select-list entry for a column: most are read as they are; money and arrays are cast on
 * the server into forms the exact parsers below take (plain numeric digits, JSON text).
 */
export function selectExpression(column: Column, qualifiedName: string): string {
  if (column.type.kind === 'json' && column.sourceType.endsWith('[]')) return `to_json(${qualifiedName})::text AS ${qualifiedName}`;
  if (column.sourceType === 'money') return `${qualifiedName}::numeric AS ${qualifiedName}`;
  return qualifiedName;
}

export function keyKindOf(typeName: string, where: string): KeyKind {
  switch (typeName) {
    case 'int2': case 'int4': case 'int8': return 'integer';
    case 'timestamp': return 'timestamp';
    case 'timestamptz': return 'timestamptz';
    case 'date': return 'date';
    default: throw new NonRetryableError(`${where}: a chunk key must be an integer, date or timestamp column, not ${typeName}`);
  }
}

/** Type oids whose text form pg would otherwise turn into lossy JS values. */
export const typeOids = { int8: 20, numeric: 1700, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, json: 114, jsonb: 3802 } as const;

// Sessions run with DateStyle ISO and TimeZone UTC, so times arrive as `1999-01-08 04:05:06.789+00`.
const timestampText = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;
const dateText = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;

/**
 * A timestamp's text as microseconds since the epoch. The common form (an AD year of four
 * digits, a valid date and time, a fraction of up to six digits, an offset of hours, minutes and
 * seconds with colons, or none) is read by position; anything else (BC, years past 9999,
 * infinity, unusual offsets) takes the general pattern, which also gives the errors.
 */
export function parseTimestampMicros(text: string): bigint {
  return fixedTimestampMicros(text) ?? timestampMicrosByPattern(text);
}

/** The general form of parseTimestampMicros, exported to test the positional reading against it. */
export function timestampMicrosByPattern(text: string): bigint {
  const m = timestampText.exec(text);
  if (!m) throw new NonRetryableError(`Timestamp ${text} cannot be represented (infinite or out of range)`);
  const year = m[12] ? 1 - Number(m[1]) : Number(m[1]);
  const days = daysFromCivil(year, Number(m[2]), Number(m[3]));
  const seconds = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]);
  const fraction = m[7] ? BigInt(m[7].padEnd(6, '0')) : 0n;
  if (!Number.isFinite(days) || Math.abs(year) > 9999) throw new NonRetryableError(`Timestamp ${text} is outside years 1 BC..9999 that Siphon writes`);
  let micros = BigInt(days) * microsPerDay + BigInt(seconds) * 1_000_000n + fraction;
  if (m[8]) {
    const offsetSeconds = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0);
    micros -= BigInt(m[8] === '-' ? -offsetSeconds : offsetSeconds) * 1_000_000n;
  }
  return micros;
}

/** Days since the epoch of a date's text; the common `YYYY-MM-DD` by position, the rest by pattern. */
export function parseDateDays(text: string): number {
  return (text.length === 10 ? fixedDateDays(text) : undefined) ?? dateDaysByPattern(text);
}

/** The general form of parseDateDays, exported to test the positional reading against it. */
export function dateDaysByPattern(text: string): number {
  const m = dateText.exec(text);
  if (!m) throw new NonRetryableError(`Date ${text} cannot be represented (infinite or out of range)`);
  const year = m[4] ? 1 - Number(m[1]) : Number(m[1]);
  const days = daysFromCivil(year, Number(m[2]), Number(m[3]));
  if (!Number.isFinite(days) || Math.abs(year) > 9999) throw new NonRetryableError(`Date ${text} is outside years 1 BC..9999 that Siphon writes`);
  return days;
}

function fixedTimestampMicros(text: string): bigint | undefined {
  const length = text.length;
  if (length < 19 || text.charCodeAt(10) !== 32) return undefined;
  const days = fixedDateDays(text);
  const time = fixedTimeSeconds(text, 11);
  if (days === undefined || time < 0) return undefined;
  let i = 19;
  let fraction = 0;
  if (i < length && text.charCodeAt(i) === 46) {
    const start = ++i;
    while (i < length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    fraction = fractionMicros(text, start, i);
    if (fraction < 0) return undefined;
  }
  let offset = 0;
  if (i < length) {
    const sign = text.charCodeAt(i);
    if (sign !== 43 && sign !== 45) return undefined;
    // ±hh, then :mm, then :ss, each two digits (the pattern does not check their ranges either).
    for (let part = 0; i < length; part++) {
      if (part > 2 || (part > 0 && text.charCodeAt(i) !== 58) || i + 3 > length) return undefined;
      const value = digitsAt(text, i + 1, 2);
      if (value < 0) return undefined;
      offset += value * (part === 0 ? 3600 : part === 1 ? 60 : 1);
      i += 3;
    }
    if (sign === 45) offset = -offset;
  }
  return microsBigint(days * 86_400 + time - offset, fraction);
}

const timeText = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/**
 * `HH:MM:SS[.ffffff]` to microseconds since midnight; PostgreSQL's 24:00:00 has no place in a
 * Parquet TIME. Times of day are read by position, anything else by pattern.
 */
export function parseTimeMicros(text: string): bigint {
  return fixedTimeMicros(text) ?? timeMicrosByPattern(text);
}

/** The general form of parseTimeMicros, exported to test the positional reading against it. */
export function timeMicrosByPattern(text: string): bigint {
  const m = timeText.exec(text);
  if (!m) throw new NonRetryableError(`Time ${text} cannot be represented`);
  const micros = (BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1_000_000n) + BigInt((m[4] ?? '').padEnd(6, '0') || '0');
  if (micros >= microsPerDay) throw new NonRetryableError(`Time ${text} is outside 00:00:00 to 23:59:59.999999 that a Parquet TIME holds`);
  return micros;
}
