import { civilDays, daysInMonth } from '../formats/canonicalValues.js';

/**
 * Positional reading of the date and time texts the drivers hand over (`2024-05-01`,
 * `2024-05-01 12:34:56.123456`): character codes at fixed places and arithmetic, no regex, no
 * Date and no intermediate strings. Each returns undefined (or -1) for anything that is not the
 * plain, valid form, and the connector then takes its general pattern, which handles the
 * unusual forms and produces the errors, so both paths give the same result for every text.
 */

/** The number written by `count` ASCII digits at `at`, or -1 if any of them is not a digit. */
export function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Days since the epoch of `YYYY-MM-DD` at the start of `text` (a valid date of years 1 to 9999), or undefined. */
export function fixedDateDays(text: string): number | undefined {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return civilDays(year, month, day);
}

/** Seconds since midnight of a valid `HH:MM:SS` at `at` (00:00:00 to 23:59:59), or -1. */
export function fixedTimeSeconds(text: string, at: number): number {
  if (text.charCodeAt(at + 2) !== 58 || text.charCodeAt(at + 5) !== 58) return -1;
  const hours = digitsAt(text, at, 2);
  const minutes = digitsAt(text, at + 3, 2);
  const seconds = digitsAt(text, at + 6, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return -1;
  return hours * 3600 + minutes * 60 + seconds;
}

/** Microseconds of a valid `HH:MM:SS[.f]` time of day (up to 23:59:59.999999), or undefined. */
export function fixedTimeMicros(text: string): bigint | undefined {
  const length = text.length;
  if (length < 8) return undefined;
  const seconds = fixedTimeSeconds(text, 0);
  const fraction = length === 8 ? 0 : text.charCodeAt(8) === 46 ? fractionMicros(text, 9, length) : -1;
  return seconds < 0 || fraction < 0 ? undefined : BigInt(seconds * 1_000_000 + fraction);
}

/**
 * Microseconds of 1 to 6 fraction digits at `at` up to `end`, scaled to six digits (`.5` is
 * 500000), or -1 if there are none, more than six, or a non-digit among them.
 */
export function fractionMicros(text: string, at: number, end: number): number {
  const digits = end - at;
  if (digits < 1 || digits > 6) return -1;
  const value = digitsAt(text, at, digits);
  return value < 0 ? -1 : value * 10 ** (6 - digits);
}

/**
 * Microseconds since the epoch as a bigint: made from one exact double where it fits (years 1685
 * to 2255), by bigint arithmetic beyond.
 */
export function microsBigint(seconds: number, fraction: number): bigint {
  const micros = seconds * 1_000_000 + fraction;
  return Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(seconds) * 1_000_000n + BigInt(fraction);
}
