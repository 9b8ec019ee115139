/**
 * The inverse of textForms.ts: the text form of a value of each output type back to its
 * canonical value (canonicalValues.ts), exactly, so `parseTextForm(t)(textForm(t)(v))` is `v` for
 * every value a connector can hand over. Re-ingest reads quarantined rows (and corrected rows a
 * person wrote) through it. It reuses the exact readers the copy already has: fitDecimal of
 * columnTypes for decimals (digits moved, never a float, never rounded here), the positional date
 * and time readers of sources/dateTimeText.ts, the civil calendar of canonicalValues.ts.
 *
 * A little more than the exact form is accepted where nothing can be lost (a decimal with fewer
 * fraction digits, an upper-case uuid, a fraction of fewer than six digits); anything that would
 * need rounding or guessing is refused with the reason.
 */
import type { OutputType } from '../spec/columns.js';
import { fitDecimal } from '../copy/columnOverrides.js';
import { fixedTimeMicros } from '../sources/dateTimeText.js';
import { civilDays, daysInMonth, microsPerDay, type TimestampWithOffset } from './canonicalValues.js';

/** A parser for one column: text form to canonical value; throws an Error saying why the text is not one. */
export type TextParser = (text: string) => unknown;

const integerRanges = {
  int16: [-32_768n, 32_767n],
  int32: [-2_147_483_648n, 2_147_483_647n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

export function parseTextForm(type: OutputType): TextParser {
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint64': {
      const [low, high] = integerRanges[type.kind];
      const asNumber = type.kind === 'int16' || type.kind === 'int32';
      return (text) => {
        if (!/^-?\d{1,20}$/.test(text)) throw new Error(`"${clip(text)}" is not an integer`);
        const value = BigInt(text);
        if (value < low || value > high) throw new Error(`${text} is outside the range of ${type.kind} (${low} to ${high})`);
        return asNumber ? Number(value) : value;
      };
    }
    case 'decimal': {
      const { precision, scale } = type;
      return (text) => {
        if (/\s/.test(text)) throw new Error(`"${clip(text)}" is not a decimal`);
        return fitDecimal(text, precision, scale);
      };
    }
    case 'float32':
      return (text) => Math.fround(parseFloatText(text));
    case 'float64':
      return parseFloatText;
    case 'boolean':
      return (text) => {
        if (text === 'true') return true;
        if (text === 'false') return false;
        throw new Error(`"${clip(text)}" is not true or false`);
      };
    case 'string':
      return (text) => text;
    case 'json':
      return (text) => {
        try {
          JSON.parse(text);
        } catch {
          throw new Error(`"${clip(text)}" is not JSON text`);
        }
        return text;
      };
    case 'uuid':
      return (text) => {
        const lower = text.toLowerCase();
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(lower)) throw new Error(`"${clip(text)}" is not a uuid (8-4-4-4-12 hex digits)`);
        return lower;
      };
    case 'binary':
      return (text) => {
        if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error(`"${clip(text)}" is not base64 (RFC 4648, padded)`);
        const bytes = Buffer.from(text, 'base64');
        // Buffer ignores stray bits in the last character; the text form never has them.
        if (bytes.toString('base64') !== text) throw new Error(`"${clip(text)}" is not base64 in its canonical form`);
        return new Uint8Array(bytes);
      };
    case 'date':
      return parseDateText;
    case 'time':
      return parseTimeText;
    case 'timestamp': {
      const zone = type.utc ? 'Z' : '';
      return (text) => {
        const parts = dateTimeParts(text);
        if (parts.zone !== zone) throw new Error(`"${clip(text)}" is not a timestamp as YYYY-MM-DDTHH:MM:SS.ffffff${zone ? ' with Z (a UTC instant)' : ' without a zone (a wall clock)'}`);
        return parts.micros;
      };
    }
    case 'timestampOffset':
      return (text): TimestampWithOffset => {
        const parts = dateTimeParts(text);
        const m = /^([+-])(\d\d):(\d\d)$/.exec(parts.zone);
        if (!m || Number(m[3]) > 59) throw new Error(`"${clip(text)}" is not a timestamp with its offset, as YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM`);
        const offsetMinutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
        if (Math.abs(offsetMinutes) >= 24 * 60) throw new Error(`"${clip(text)}" has an offset beyond 23:59`);
        // The text is the wall clock in that offset; the canonical value holds the instant.
        return { micros: parts.micros - BigInt(offsetMinutes) * 60_000_000n, offsetMinutes: offsetMinutes === 0 ? 0 : offsetMinutes };
      };
  }
}

function parseFloatText(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (!/^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) throw new Error(`"${clip(text)}" is not a number`);
  return Number(text);
}

/** Days since the epoch of `YYYY-MM-DD`, or `YYYY-MM-DD BC` before year 1 (the SQL form textForms writes). */
function parseDateText(text: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)( BC)?$/.exec(text);
  if (!m) throw new Error(`"${clip(text)}" is not a date as YYYY-MM-DD`);
  return civilDate(m[1]!, m[2]!, m[3]!, m[4] !== undefined, text);
}

function civilDate(yearText: string, monthText: string, dayText: string, bc: boolean, text: string): number {
  const written = Number(yearText);
  if (written === 0) throw new Error(`"${clip(text)}" has year 0, which the calendar does not have (1 BC comes before 1 AD)`);
  // Astronomical years: 1 BC is year 0, 44 BC is -43.
  const year = bc ? 1 - written : written;
  const month = Number(monthText);
  const day = Number(dayText);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new Error(`"${clip(text)}" is not a date of the calendar`);
  return civilDays(year, month, day);
}

/** Microseconds since midnight of `HH:MM:SS[.ffffff]`, up to 24:00:00 (which PostgreSQL allows). */
function parseTimeText(text: string): bigint {
  if (/^24:00:00(?:\.0{1,6})?$/.test(text)) return microsPerDay;
  const micros = fixedTimeMicros(text);
  if (micros === undefined) throw new Error(`"${clip(text)}" is not a time as HH:MM:SS.ffffff`);
  return micros;
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]`, then a zone (`Z`, `+05:30` or none), then ` BC` before year 1: the wall clock in microseconds and the zone as written. */
function dateTimeParts(text: string): { micros: bigint; zone: string } {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d(?:\.\d{1,6})?)(Z|[+-]\d\d:\d\d)?( BC)?$/.exec(text);
  if (!m) throw new Error(`"${clip(text)}" is not a timestamp as YYYY-MM-DDTHH:MM:SS.ffffff`);
  const days = civilDate(m[1]!, m[2]!, m[3]!, m[6] !== undefined, text);
  const time = fixedTimeMicros(m[4]!);
  if (time === undefined) throw new Error(`"${clip(text)}" is not a time of day`);
  return { micros: BigInt(days) * microsPerDay + time, zone: m[5] ?? '' };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
