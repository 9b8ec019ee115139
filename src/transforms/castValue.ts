import type { OutputType } from '../spec/columns.js';
import type { CastType } from '../spec/transformsSpec.js';
import { castTypeText } from '../spec/transformsSpec.js';
import { fitDecimal } from '../copy/columnOverrides.js';
import { float64Text, textForm } from '../formats/textForms.js';
import { microsPerDay, type TimestampWithOffset } from '../formats/canonicalValues.js';
import { fixedDateDays, fixedTimeMicros } from '../sources/dateTimeText.js';

/**
 * Thrown for one value a cast cannot make into its type; the copy sends the row to quarantine
 * (rule `cast`) with this message, which names the value and the type.
 */
export class CastFailure extends Error {}

/** Canonical value (never NULL: NULL casts to NULL) of `from` to the canonical value of the cast's type; throws CastFailure. */
export type Cast = (value: unknown) => unknown;

const integerKinds = new Set<OutputType['kind']>(['int16', 'int32', 'int64', 'uint64']);
const integerRange = { int16: [-32_768n, 32_767n], int32: [-2_147_483_648n, 2_147_483_647n], int64: [-(2n ** 63n), 2n ** 63n - 1n] } as const;

/**
 * The cast of values of `from` to `to`, or why no value of `from` could ever be one of `to` (a
 * refusal at prepare, naming the step). Numbers convert exactly or fail (a decimal with more
 * fraction digits than the scale, an integer out of range, 2.5 to an integer); text is read in
 * the text forms Siphon writes (formats/textForms.ts), trimmed. Timestamps: a wall clock read as
 * an instant is taken as UTC; a timestampOffset becomes its instant, or its own wall clock.
 */
export function castOf(from: OutputType, to: CastType): Cast | string {
  const target = castTypeText(to);
  const fail = (value: unknown, why: string): never => {
    throw new CastFailure(`cannot cast ${shown(from, value)} to ${target}: ${why}`);
  };
  if (sameType(from, to)) return (value) => value;
  if (to.kind === 'string') {
    const text = textForm(from);
    return (value) => text(value);
  }
  const isInteger = integerKinds.has(from.kind);
  const isNumber = isInteger || from.kind === 'decimal' || from.kind === 'float32' || from.kind === 'float64';
  switch (to.kind) {
    case 'int16':
    case 'int32':
    case 'int64': {
      if (!isNumber && from.kind !== 'string') return refusal(from, target);
      const [low, high] = integerRange[to.kind];
      const make = to.kind === 'int64' ? (digits: bigint) => digits : (digits: bigint) => Number(digits);
      const ranged = (digits: bigint, value: unknown) => (digits < low || digits > high ? fail(value, `outside ${low} to ${high}`) : make(digits));
      if (isInteger) return (value) => ranged(BigInt(value as number | bigint), value);
      if (from.kind === 'float32' || from.kind === 'float64') return (value) => (Number.isInteger(value) ? ranged(BigInt(value as number), value) : fail(value, 'not a whole number'));
      return (value) => {
        const text = (value as string).trim();
        const m = /^([+-]?\d+)(?:\.(\d*))?$/.exec(text);
        if (!m) return fail(value, 'not an integer');
        if (m[2] && /[^0]/.test(m[2])) return fail(value, 'not a whole number');
        return ranged(BigInt(m[1]!), value);
      };
    }
    case 'float64': {
      if (isInteger || from.kind === 'float32') return (value) => Number(value);
      if (from.kind === 'decimal') return (value) => Number(value);
      if (from.kind !== 'string') return refusal(from, target);
      return (value) => {
        const text = (value as string).trim();
        if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return Number(text);
        if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return fail(value, 'not a number');
        return Number(text);
      };
    }
    case 'decimal': {
      if (!isNumber && from.kind !== 'string') return refusal(from, target);
      const { precision, scale } = to;
      const fit = (text: string, value: unknown) => {
        try {
          return fitDecimal(text, precision, scale);
        } catch (err) {
          return fail(value, err instanceof Error ? err.message : String(err));
        }
      };
      if (isInteger) return (value) => fit(String(value), value);
      if (from.kind === 'float32' || from.kind === 'float64') return (value) => (Number.isFinite(value) ? fit(float64Text(value as number), value) : fail(value, 'not a finite number'));
      return (value) => fit(value as string, value);
    }
    case 'boolean': {
      if (isInteger) return (value) => (BigInt(value as number | bigint) === 0n ? false : BigInt(value as number | bigint) === 1n ? true : fail(value, 'only 0 and 1 are booleans'));
      if (from.kind !== 'string') return refusal(from, target);
      return (value) => {
        const text = (value as string).trim().toLowerCase();
        return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : fail(value, 'not true, false, 1 or 0');
      };
    }
    case 'date': {
      if (from.kind === 'timestamp') return (value) => Number(floorDiv(value as bigint, microsPerDay));
      if (from.kind === 'timestampOffset') return (value) => Number(floorDiv(localMicros(value as TimestampWithOffset), microsPerDay));
      if (from.kind !== 'string') return refusal(from, target);
      return (value) => {
        const text = (value as string).trim();
        const days = text.length === 10 ? fixedDateDays(text) : undefined;
        return days === undefined ? fail(value, 'not a date as YYYY-MM-DD') : days;
      };
    }
    case 'timestamp': {
      const utc = to.utc;
      if (from.kind === 'timestamp') return (value) => value;
      if (from.kind === 'timestampOffset') return utc ? (value) => (value as TimestampWithOffset).micros : (value) => localMicros(value as TimestampWithOffset);
      if (from.kind === 'date') return (value) => BigInt(value as number) * microsPerDay;
      if (from.kind !== 'string') return refusal(from, target);
      return (value) => {
        const micros = timestampTextMicros((value as string).trim(), utc);
        return typeof micros === 'string' ? fail(value, micros) : micros;
      };
    }
  }
}

/** Whether a cast to `to` leaves values of `from` as they are. */
export function sameType(from: OutputType, to: CastType): boolean {
  if (from.kind !== to.kind) return false;
  if (from.kind === 'decimal' && to.kind === 'decimal') return from.precision === to.precision && from.scale === to.scale;
  if (from.kind === 'timestamp' && to.kind === 'timestamp') return from.utc === to.utc;
  return true;
}

function refusal(from: OutputType, target: string): string {
  return `a ${typeText(from)} cannot be cast to ${target}`;
}

export function typeText(type: OutputType): string {
  if (type.kind === 'decimal') return `decimal(${type.precision},${type.scale})`;
  if (type.kind === 'timestamp') return type.utc ? 'timestamptz' : 'timestamp';
  return type.kind;
}

/** The value as the message shows it: its text form, quoted when it is text, cut to 100 characters. */
function shown(type: OutputType, value: unknown): string {
  let text: string;
  try {
    text = textForm(type)(value);
  } catch {
    text = String(value);
  }
  if (text.length > 100) text = `${text.slice(0, 100)}...`;
  return type.kind === 'string' || type.kind === 'json' ? JSON.stringify(text) : text;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a < 0n && q * b !== a ? q - 1n : q;
}

function localMicros(value: TimestampWithOffset): bigint {
  return value.micros + BigInt(value.offsetMinutes) * 60_000_000n;
}

/**
 * Microseconds of `YYYY-MM-DD[(T| )HH:MM:SS[.ffffff]][Z|±HH:MM]`. To an instant, a text without a
 * zone is UTC; to a wall clock, a zone is refused (which wall clock it means is not said).
 */
function timestampTextMicros(text: string, utc: boolean): bigint | string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  const days = m ? fixedDateDays(m[1]!) : undefined;
  const time = m?.[2] === undefined ? 0n : fixedTimeMicros(m[2]);
  if (!m || days === undefined || time === undefined) return 'not a timestamp as YYYY-MM-DDTHH:MM:SS[.ffffff]';
  const zone = m[3];
  if (!utc && zone !== undefined) return 'a wall clock has no zone';
  const offsetMinutes = zone === undefined || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return BigInt(days) * microsPerDay + time - BigInt(offsetMinutes) * 60_000_000n;
}
