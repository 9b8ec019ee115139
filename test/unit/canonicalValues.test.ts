import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil, isoFromMicros, microsPerDay } from '../../src/formats/canonicalValues.js';

/** Reference days_from_civil (H. Hinnant), pure integer arithmetic, independent of Date. */
function refDays(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Reference civil_from_days (H. Hinnant). */
function refCivil(z: number): [number, number, number] {
  z += 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

const text = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

describe('reference implementation sanity', () => {
  it('agrees with known constants', () => {
    expect(refDays(1970, 1, 1)).toBe(0);
    expect(refDays(2000, 3, 1)).toBe(11_017);
    expect(refDays(1, 1, 1)).toBe(-719_162);
    expect(refCivil(2_932_896)).toEqual([9999, 12, 31]);
  });
});

describe('daysFromCivil', () => {
  it.each([
    [1970, 1, 1, 0],
    [1969, 12, 31, -1],
    [2000, 2, 29, 11_016],
    [2000, 3, 1, 11_017],
    [1, 1, 1, -719_162],
    [9999, 12, 31, 2_932_896],
    [1900, 3, 1, -25_508],
  ])('%i-%i-%i is day %i', (y, m, d, days) => {
    expect(daysFromCivil(y, m, d)).toBe(days);
  });

  it('treats years 0-99 as themselves, not as 1900-1999', () => {
    expect(daysFromCivil(50, 6, 15)).toBe(refDays(50, 6, 15));
    expect(daysFromCivil(99, 12, 31) + 1).toBe(daysFromCivil(100, 1, 1));
    expect(daysFromCivil(0, 1, 1)).toBe(-719_528);
  });

  it('matches the reference every 101 days from 0001-01-01 to 9999-12-31', () => {
    const mismatches: string[] = [];
    for (let days = -719_162; days <= 2_932_896; days += 101) {
      const [y, m, d] = refCivil(days);
      if (daysFromCivil(y, m, d) !== days) mismatches.push(text(y, m, d));
    }
    expect(mismatches).toEqual([]);
  });
});

describe('civilFromDays', () => {
  it.each([
    [0, '1970-01-01'],
    [-1, '1969-12-31'],
    [11_016, '2000-02-29'],
    [-719_162, '0001-01-01'],
    [2_932_896, '9999-12-31'],
    [refDays(50, 6, 15), '0050-06-15'],
  ])('day %i is %s', (days, expected) => {
    expect(civilFromDays(days)).toBe(expected);
  });

  it('round-trips with daysFromCivil every 101 days from 0001-01-01 to 9999-12-31 and at both ends', () => {
    const mismatches: string[] = [];
    const days = [-719_162, 2_932_896];
    for (let day = -719_162; day <= 2_932_896; day += 101) days.push(day);
    for (const day of days) {
      const [y, m, d] = refCivil(day);
      const expected = text(y, m, d);
      const civil = civilFromDays(day);
      if (civil !== expected) mismatches.push(`${day}: ${civil} != ${expected}`);
      const [cy, cm, cd] = civil.split('-').map(Number) as [number, number, number];
      if (daysFromCivil(cy, cm, cd) !== day) mismatches.push(`round trip of ${civil}`);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('isoFromMicros', () => {
  it('formats the epoch with and without Z', () => {
    expect(isoFromMicros(0n, true)).toBe('1970-01-01T00:00:00.000000Z');
    expect(isoFromMicros(0n, false)).toBe('1970-01-01T00:00:00.000000');
  });

  it('formats positive micros with all six digits', () => {
    // 2024-05-01T12:34:56Z is 1714566896 s
    expect(isoFromMicros(1_714_566_896_123_456n, true)).toBe('2024-05-01T12:34:56.123456Z');
    expect(isoFromMicros(1_714_566_896_000_007n, false)).toBe('2024-05-01T12:34:56.000007');
  });

  it.each([
    [-1n, '1969-12-31T23:59:59.999999'],
    [-999n, '1969-12-31T23:59:59.999001'],
    [-1_000n, '1969-12-31T23:59:59.999000'],
    [-1_001n, '1969-12-31T23:59:59.998999'],
    [-1_000_000n, '1969-12-31T23:59:59.000000'],
    [-1_000_001n, '1969-12-31T23:59:58.999999'],
    [-microsPerDay, '1969-12-31T00:00:00.000000'],
    [-14_182_940_000_000n + 500_000n, '1969-07-20T20:17:40.500000'],
  ])('formats negative micros %s as %s', (micros, expected) => {
    expect(isoFromMicros(micros, false)).toBe(expected);
    expect(isoFromMicros(micros, true)).toBe(`${expected}Z`);
  });

  it('formats the ends of years 1-9999', () => {
    expect(isoFromMicros(-62_135_596_800_000_000n, true)).toBe('0001-01-01T00:00:00.000000Z');
    expect(isoFromMicros(253_402_300_799_999_999n, true)).toBe('9999-12-31T23:59:59.999999Z');
  });
});

describe('years before 1 AD, as chunk bounds sent back to PostgreSQL', () => {
  // Without the BC form, a table whose key starts before 1 AD failed its chunk query.
  it('writes dates and timestamps in the SQL BC form', async () => {
    const { parseDateDays, parseTimestampMicros } = await import('../../src/sources/postgres/postgresTypes.js');
    expect(civilFromDays(parseDateDays('0001-01-01 BC'))).toBe('0001-01-01 BC');
    expect(civilFromDays(parseDateDays('0044-03-15 BC'))).toBe('0044-03-15 BC');
    expect(isoFromMicros(parseTimestampMicros('0044-03-15 12:00:00+00 BC'), true)).toBe('0044-03-15T12:00:00.000000Z BC');
  });
});
