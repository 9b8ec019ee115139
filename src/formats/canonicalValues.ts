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
  const { date, era } = civilParts(days);
  return date + era;
}

/** ISO text of a microsecond timestamp, with a Z when it is a UTC instant, and ` BC` before year 1. */
export function isoFromMicros(micros: bigint, utc: boolean): string {
  return wallClockText(micros, utc ? 'Z' : '');
}

const microsPerDayNumber = 86_400_000_000;
const pad2Table = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

export function pad2(value: number): string {
  return pad2Table[value]!;
}

function pad4(value: number): string {
  return value >= 1000 ? String(value) : String(value).padStart(4, '0');
}

function pad6(value: number): string {
  return value >= 100_000 ? String(value) : String(value).padStart(6, '0');
}

/** Astronomical year (0 is 1 BC), month and day of days since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilOf(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const cycle = Math.floor(z / 146_097);
  const dayOfCycle = z - cycle * 146_097;
  const yearOfCycle = Math.floor((dayOfCycle - Math.floor(dayOfCycle / 1460) + Math.floor(dayOfCycle / 36_524) - Math.floor(dayOfCycle / 146_096)) / 365);
  const dayOfYear = dayOfCycle - (365 * yearOfCycle + Math.floor(yearOfCycle / 4) - Math.floor(yearOfCycle / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: cycle * 400 + yearOfCycle + (month <= 2 ? 1 : 0), month, day };
}

/**
 * `YYYY-MM-DD` of days since 1970-01-01, and the era suffix for years before 1 AD. Integer civil
 * calendar (H. Hinnant's civil_from_days) because a Date per value is measurably slower on the
 * text formats' hot path.
 */
function civilParts(days: number): { date: string; era: string } {
  const { year, month, day } = civilOf(days);
  // Astronomical year 0 is 1 BC, -43 is 44 BC.
  return year > 0
    ? { date: `${pad4(year)}-${pad2(month)}-${pad2(day)}`, era: '' }
    : { date: `${pad4(1 - year)}-${pad2(month)}-${pad2(day)}`, era: ' BC' };
}

/** `HH:MM:SS.ffffff` of microseconds since midnight (a number below 2^53). */
export function clockText(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds - hours * 3600) / 60);
  return `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds - hours * 3600 - minutes * 60)}.${pad6(fraction)}`;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` of microseconds since the epoch, then `zone`, then the era. */
export function wallClockText(micros: bigint, zone: string): string {
  let days: number;
  let ofDay: number;
  const asNumber = Number(micros);
  if (Number.isSafeInteger(asNumber)) {
    // Every timestamp between years -283,000 and 287,000 fits: no bigint arithmetic per value.
    days = Math.floor(asNumber / microsPerDayNumber);
    ofDay = asNumber - days * microsPerDayNumber;
  } else {
    let whole = micros / microsPerDay;
    if (micros < 0n && whole * microsPerDay !== micros) whole -= 1n;
    days = Number(whole);
    ofDay = Number(micros - whole * microsPerDay);
  }
  const { date, era } = civilParts(days);
  return `${date}T${clockText(ofDay)}${zone}${era}`;
}
