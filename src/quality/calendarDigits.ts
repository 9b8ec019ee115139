/**
 * MySQL's numeric form of dates and datetimes (`v + 0`: YYYYMMDD, YYYYMMDDhhmmss.ffffff) computed
 * from the canonical values (days, microseconds since 1970-01-01), with integer arithmetic only:
 * the reconciliation checksum's terms for MySQL dates and datetimes (quality/chunkChecksum.ts),
 * which the server computes at a third of TO_DAYS' or TO_SECONDS' cost.
 */

/**
 * YYYYMMDD of a day counted from 1970-01-01 (proleptic Gregorian; H. Hinnant's civil_from_days).
 * From year 0 on (every MySQL date) every quotient is of non-negative numbers, and `| 0`
 * truncates them at a fraction of Math.floor's cost; earlier days take the floors.
 */
export function dateDigits(days: number): number {
  const z = days + 719_468;
  if (z < 0) return dateDigitsFloored(z);
  const era = (z / 146_097) | 0;
  const dayOfEra = z - era * 146_097;
  const yearOfEra = ((dayOfEra - ((dayOfEra / 1460) | 0) + ((dayOfEra / 36_524) | 0) - ((dayOfEra / 146_096) | 0)) / 365) | 0;
  const dayOfYear = dayOfEra - (365 * yearOfEra + ((yearOfEra / 4) | 0) - ((yearOfEra / 100) | 0));
  const shiftedMonth = ((5 * dayOfYear + 2) / 153) | 0;
  const day = dayOfYear - (((153 * shiftedMonth + 2) / 5) | 0) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0)) * 10_000 + month * 100 + day;
}

function dateDigitsFloored(z: number): number {
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return year * 10_000 + month * 100 + day;
}

const microsPerDay = 86_400_000_000;
const microsPerDayBig = 86_400_000_000n;

/**
 * A datetime's YYYYMMDDhhmmss.ffffff times 10^6, as its two parts: `date` (YYYYMMDD, to be
 * weighted by 10^12) and `time` (hhmmss x 10^6 + microseconds), left in `dateTimeParts`. The
 * whole can pass 2^53; the parts cannot.
 */
export const dateTimeParts = { date: 0, time: 0 };

export function splitDateTime(micros: bigint): void {
  const number = Number(micros);
  let days: number;
  let ofDay: number;
  if (Number.isSafeInteger(number)) {
    days = Math.floor(number / microsPerDay);
    ofDay = number - days * microsPerDay;
  } else {
    const remainder = ((micros % microsPerDayBig) + microsPerDayBig) % microsPerDayBig;
    days = Number((micros - remainder) / microsPerDayBig);
    ofDay = Number(remainder);
  }
  const seconds = Math.floor(ofDay / 1_000_000);
  const fraction = ofDay - seconds * 1_000_000;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds - hours * 3600) / 60);
  dateTimeParts.date = dateDigits(days);
  dateTimeParts.time = (hours * 10_000 + minutes * 100 + (seconds - hours * 3600 - minutes * 60)) * 1_000_000 + fraction;
}
