/**
 * The canonical in-memory form of a value of each output type, the contract between connectors
 * (which decode their wire formats into it) and writers (which encode it):
 *
 * | output type      | canonical value                                  |
 * | ---------------- | ------------------------------------------------ |
 * | int16, int32     | number                                           |
 * | int64            | bigint                                           |
 * | uint64           | bigint, 0 to 2^64-1                              |
 * | decimal(p,s)     | string, plain decimal digits ("-12.30")          |
 * | float32, float64 | number                                           |
 * | boolean          | boolean                                          |
 * | string, json     | string                                           |
 * | uuid             | string, lowercase 8-4-4-4-12                     |
 * | binary           | Uint8Array                                       |
 * | date             | number, days since 1970-01-01                    |
 * | time             | bigint, microseconds since midnight (0 to 86,399,999,999) |
 * | timestamp        | bigint, microseconds since 1970-01-01T00:00:00 (UTC instant when utc, wall clock otherwise) |
 * | timestampOffset  | TimestampWithOffset: the UTC instant in microseconds and the source's offset in minutes |
 *
 * NULL is null in every type.
 */
export const microsPerDay = 86_400_000_000n;

export type TimestampWithOffset = { micros: bigint; offsetMinutes: number };

/** Days since the epoch of a proleptic Gregorian calendar date; works for years 1 to 9999. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return Math.round(date.getTime() / 86_400_000);
}

/**
 * Days since the epoch of a valid proleptic Gregorian date (month 1-12, day within the month),
 * by arithmetic (Howard Hinnant's days_from_civil) rather than a Date: the fast path of the
 * parsers, which check the date first; equal to daysFromCivil on every valid date.
 */
export function civilDays(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** ISO calendar text of a day; years before 1 AD are written the SQL way, `0044-03-15 BC`. */
export function civilFromDays(days: number): string {
  const date = new Date(days * 86_400_000);
  return `${yearText(date)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}${era(date)}`;
}

/** ISO text of a microsecond timestamp, with a Z when it is a UTC instant, and ` BC` before year 1. */
export function isoFromMicros(micros: bigint, utc: boolean): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const date = new Date(Number(millis));
  const text = `${yearText(date)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(Number(fraction), 6)}`;
  return `${text}${utc ? 'Z' : ''}${era(date)}`;
}

// Astronomical year 0 is 1 BC, -43 is 44 BC.
function yearText(date: Date): string {
  const year = date.getUTCFullYear();
  return pad(year > 0 ? year : 1 - year, 4);
}

function era(date: Date): string {
  return date.getUTCFullYear() > 0 ? '' : ' BC';
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
