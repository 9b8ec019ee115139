/**
 * The text form of every output type, shared by CSV and JSON Lines so the two formats can never
 * disagree about how a value reads. Each function takes a non-null canonical value (see
 * canonicalValues.ts) and returns its text; quoting and escaping belong to the format.
 *
 * | output type      | text                                                              |
 * | ---------------- | ----------------------------------------------------------------- |
 * | int16 … uint64   | decimal digits, exact (bigints never pass through a float)        |
 * | decimal(p,s)     | plain digits with exactly s fraction digits: `-12.30`             |
 * | float64          | shortest text that round-trips (`0.1`, `1e+308`, `5e-324`), `-0`, `NaN`, `Infinity`, `-Infinity` |
 * | float32          | shortest text that round-trips to the same float32 (`0.1`, not `0.10000000149011612`) |
 * | boolean          | `true`, `false`                                                   |
 * | string, json     | the text itself                                                   |
 * | uuid             | lowercase 8-4-4-4-12                                              |
 * | binary           | base64 (RFC 4648, padded)                                         |
 * | date             | `YYYY-MM-DD`                                                      |
 * | time             | `HH:MM:SS.ffffff`                                                 |
 * | timestamp        | `YYYY-MM-DDTHH:MM:SS.ffffff`, plus `Z` when it is a UTC instant   |
 * | timestampOffset  | the wall clock in the source's offset plus that offset: `2024-05-01T15:30:00.123456+05:30` |
 *
 * Fractions always carry six digits, so the text is fixed-width and exact to the microsecond.
 * Years before 1 AD take the SQL form of canonicalValues.ts (`0044-03-15 BC`, the suffix after the
 * zone), so every part of Siphon writes one calendar; ISO's signed years are read by fewer tools.
 */
import type { OutputType } from '../spec/columns.js';
import { civilFromDays, clockText, isoFromMicros, pad2, wallClockText, type TimestampWithOffset } from './canonicalValues.js';

/** A formatter for one column: canonical value (never null) to its text. */
export type TextForm = (value: unknown) => string;

export function textForm(type: OutputType): TextForm {
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint64':
      return integerText;
    case 'decimal': {
      const scale = type.scale;
      return (value) => decimalText(value as string, scale);
    }
    case 'float32': return (value) => float32Text(value as number);
    case 'float64': return (value) => float64Text(value as number);
    case 'boolean': return (value) => (value ? 'true' : 'false');
    case 'string':
    case 'json':
      return (value) => value as string;
    case 'uuid': return (value) => uuidText(value as string);
    case 'binary': return (value) => base64Text(value as Uint8Array);
    case 'date': return (value) => dateText(value as number);
    case 'time': return (value) => timeText(value as bigint);
    case 'timestamp': {
      const utc = type.utc;
      return (value) => timestampText(value as bigint, utc);
    }
    case 'timestampOffset': return (value) => offsetTimestampText(value as TimestampWithOffset);
  }
}

function integerText(value: unknown): string {
  // String() of a bigint is its exact digits; of a safe-integer number too.
  return String(value);
}

const canonicalDecimal = /^-?\d+(?:\.\d+)?$/;
const looseDecimal = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * The decimal with exactly `scale` fraction digits. Connectors normally hand that form already
 * (fast path); other spellings ("12.3", "+.5", "12.") are re-padded, never rounded.
 */
export function decimalText(text: string, scale: number): string {
  if (canonicalDecimal.test(text)) {
    const point = text.indexOf('.');
    if ((point < 0 ? 0 : text.length - point - 1) === scale) return text;
  }
  const m = looseDecimal.exec(text);
  if (!m || (m[2] === '' && !m[3])) throw new Error(`Not a finite decimal: ${JSON.stringify(text)}`);
  const fraction = m[3] ?? '';
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale))) throw new Error(`Decimal ${text} has more than ${scale} digits after the point`);
  const whole = m[2] || '0';
  const sign = m[1] === '-' ? '-' : '';
  return scale === 0 ? `${sign}${whole}` : `${sign}${whole}.${fraction.slice(0, scale).padEnd(scale, '0')}`;
}

export function float64Text(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (!Number.isFinite(value)) return nonFiniteText(value);
  return String(value);
}

/**
 * Shortest digits that read back as the same float32. The value is first rounded to float32, as
 * Parquet stores it, so a connector that handed the double nearest a REAL's text still gets `0.1`.
 * The candidate at each precision is the nearest one, which is round-trip exact and shortest in
 * all but rare power-of-two edge cases (then one digit longer, still exact).
 */
export function float32Text(value: number): string {
  const single = Math.fround(value);
  if (single === 0) return Object.is(single, -0) ? '-0' : '0';
  if (!Number.isFinite(single)) return nonFiniteText(single);
  // Integers up to 2^24 are exact in float32 and print shortest as they are.
  if (Number.isInteger(single) && Math.abs(single) <= 16_777_216) return String(single);
  for (let precision = 1; precision < 9; precision++) {
    const candidate = Number(single.toPrecision(precision));
    if (Math.fround(candidate) === single) return String(candidate);
  }
  return String(Number(single.toPrecision(9)));
}

function nonFiniteText(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checked because JSON Lines embeds it unescaped; canonical uuids are already lowercase. */
export function uuidText(value: string): string {
  if (uuidPattern.test(value)) return value;
  const lower = value.toLowerCase();
  if (uuidPattern.test(lower)) return lower;
  throw new Error(`Not a uuid: ${JSON.stringify(value)}`);
}

export function base64Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function dateText(days: number): string {
  return civilFromDays(days);
}

export function timeText(micros: bigint): string {
  // A time below 24:00:00 (or exactly 24:00:00, which PostgreSQL allows) is well within 2^53.
  return clockText(Number(micros));
}

export function timestampText(micros: bigint, utc: boolean): string {
  return isoFromMicros(micros, utc);
}

const offsetTexts = new Map<number, string>();

function offsetText(minutes: number): string {
  let text = offsetTexts.get(minutes);
  if (text === undefined) {
    const magnitude = Math.abs(minutes);
    text = `${minutes < 0 ? '-' : '+'}${pad2(Math.floor(magnitude / 60))}:${pad2(magnitude % 60)}`;
    if (offsetTexts.size < 256) offsetTexts.set(minutes, text);
  }
  return text;
}

/** The wall clock the source recorded, with its offset, so both the instant and the zone survive. */
export function offsetTimestampText(value: TimestampWithOffset): string {
  const minutes = value.offsetMinutes;
  if (!Number.isInteger(minutes) || Math.abs(minutes) >= 24 * 60) throw new Error(`Not a UTC offset in minutes: ${minutes}`);
  return wallClockText(value.micros + BigInt(minutes) * 60_000_000n, offsetText(minutes));
}
