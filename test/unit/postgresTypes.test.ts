import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import {
  dateDaysByPattern, keyKindOf, outputTypeOf, parseDateDays, parseTimeMicros, parseTimestampMicros, selectExpression, timeMicrosByPattern, timestampMicrosByPattern,
  type PgType,
} from '../../src/sources/postgres/postgresTypes.js';
import { outcome } from '../support/thrown.js';

/** A base type as the catalog reports it; `category` 'A' marks arrays, typtype 'e' enums. */
function pg(typeName: string, typmod = -1, extra: Partial<PgType> = {}): PgType {
  return { typeName, typmod, typtype: 'b', category: 'X', formatted: typeName, ...extra };
}

const microsPerSecond = 1_000_000n;
const microsPerDay = 86_400_000_000n;
/** 0001-01-01T00:00:00Z in microseconds since the epoch (-62135596800 s). */
const year1 = -62_135_596_800_000_000n;
/** 0000-01-01T00:00:00Z, i.e. 1 BC January 1st (-62167219200 s); year 0 is a leap year: 366 days before year1. */
const year0 = -62_167_219_200_000_000n;

/** Microseconds from Date.UTC (valid for years >= 1970 here) plus a fraction. */
function utcMicros(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, fraction = 0n): bigint {
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) * 1000n + fraction;
}

function expectNonRetryable(fn: () => unknown, pattern?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(NonRetryableError);
  if (pattern) expect((thrown as Error).message).toMatch(pattern);
}

describe('parseTimestampMicros', () => {
  it('parses a UTC timestamp with six fractional digits', () => {
    expect(parseTimestampMicros('2024-05-01 12:34:56.123456+00')).toBe(utcMicros(2024, 5, 1, 12, 34, 56, 123_456n));
  });

  it('pads a short fraction (.5 is 500000 µs, .000001 is 1 µs)', () => {
    expect(parseTimestampMicros('2024-05-01 12:34:56.5+00')).toBe(utcMicros(2024, 5, 1, 12, 34, 56, 500_000n));
    expect(parseTimestampMicros('2024-05-01 12:34:56.000001+00')).toBe(utcMicros(2024, 5, 1, 12, 34, 56, 1n));
  });

  it('parses a timestamp without a fraction', () => {
    expect(parseTimestampMicros('2024-05-01 12:34:56+00')).toBe(utcMicros(2024, 5, 1, 12, 34, 56));
  });

  it('subtracts a positive offset with minutes (+05:30)', () => {
    expect(parseTimestampMicros('2024-05-01 12:34:56+05:30')).toBe(utcMicros(2024, 5, 1, 7, 4, 56));
  });

  it('adds a negative hour offset (-08)', () => {
    expect(parseTimestampMicros('2024-05-01 12:34:56.25-08')).toBe(utcMicros(2024, 5, 1, 20, 34, 56, 250_000n));
  });

  it('handles an offset that crosses midnight and a seconds offset', () => {
    expect(parseTimestampMicros('2024-01-01 01:00:00+02')).toBe(utcMicros(2023, 12, 31, 23, 0, 0));
    expect(parseTimestampMicros('2024-01-01 00:00:00+00:09:21')).toBe(utcMicros(2024, 1, 1) - 561n * microsPerSecond);
  });

  it('reads a timestamp without time zone as wall-clock microseconds', () => {
    expect(parseTimestampMicros('2024-05-01 12:34:56.000007')).toBe(utcMicros(2024, 5, 1, 12, 34, 56, 7n));
  });

  it('is 0 at the epoch and -1 one microsecond before', () => {
    expect(parseTimestampMicros('1970-01-01 00:00:00+00')).toBe(0n);
    expect(parseTimestampMicros('1969-12-31 23:59:59.999999+00')).toBe(-1n);
  });

  it('parses pre-1970 timestamps', () => {
    // 1969-07-20 20:17:40 UTC is -14182940 s
    expect(parseTimestampMicros('1969-07-20 20:17:40.5+00')).toBe(-14_182_940n * microsPerSecond + 500_000n);
  });

  it('parses 0001-01-01 00:00:00+00', () => {
    expect(parseTimestampMicros('0001-01-01 00:00:00+00')).toBe(year1);
  });

  it('parses 9999-12-31 23:59:59.999999+00', () => {
    // 253402300799 s is 9999-12-31T23:59:59Z
    expect(parseTimestampMicros('9999-12-31 23:59:59.999999+00')).toBe(253_402_300_799_999_999n);
    expect(parseTimestampMicros('9999-12-31 23:59:59.999999+00')).toBe(utcMicros(9999, 12, 31, 23, 59, 59, 999_999n));
  });

  it('parses BC timestamps (1 BC is astronomical year 0)', () => {
    expect(parseTimestampMicros('0001-01-01 00:00:00+00 BC')).toBe(year0);
    expect(parseTimestampMicros('0001-12-31 23:59:59.999999+00 BC')).toBe(year1 - 1n);
    // 2 BC (year -1) is not a leap year: 365 days before year 0
    expect(parseTimestampMicros('0002-01-01 12:00:00+00 BC')).toBe(year0 - 365n * microsPerDay + 12n * 3600n * microsPerSecond);
  });

  it.each(['infinity', '-infinity', '', '2024-05-01', '2024-05-01T12:34:56Z', '2024-05-01 12:34:56.1234567+00', 'garbage'])(
    'throws NonRetryableError on %j',
    (text) => {
      expectNonRetryable(() => parseTimestampMicros(text));
    },
  );
});

describe('parseDateDays', () => {
  it.each([
    ['1970-01-01', 0],
    ['1970-01-02', 1],
    ['1969-12-31', -1],
    ['2000-03-01', 11_017],
    ['2024-05-01', Date.UTC(2024, 4, 1) / 86_400_000],
    ['0001-01-01', -719_162],
    ['9999-12-31', 2_932_896],
    ['0001-01-01 BC', -719_528],
    ['0001-12-31 BC', -719_163],
  ] as const)('%s is day %i', (text, days) => {
    expect(parseDateDays(text)).toBe(days);
  });

  it.each(['infinity', '-infinity', '2024-05-01 00:00:00', '24-05-01', ''])('throws NonRetryableError on %j', (text) => {
    expectNonRetryable(() => parseDateDays(text));
  });
});

describe('positional parsing equals the general pattern', () => {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  let seed = 12345;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12345) >>> 0;
    return seed % n;
  };
  const dates = [
    '0001-01-01', '0001-12-31', '9999-12-31', '9999-01-01', '1970-01-01', '1969-12-31', '2000-02-29', '1900-02-28', '2024-02-29',
    '1900-02-29', '2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '0000-01-01', '2024-1-01', '2024/01/01', '20240101',
    ...Array.from({ length: 3000 }, () => `${pad(1 + next(9999), 4)}-${pad(1 + next(12), 2)}-${pad(1 + next(31), 2)}`),
  ];
  const times = ['00:00:00', '23:59:59', '12:34:56', '24:00:00', '23:60:00', '23:59:60', '1:00:00', ...Array.from({ length: 50 }, () => `${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}`)];
  const fractions = ['', '.5', '.12', '.123', '.1234', '.12345', '.123456', '.000001', '.1234567', '.', '.x'];
  const offsets = ['', '+00', '-00', '+05', '-08', '+05:30', '-09:30', '+00:09:21', '-03:07:02', '+0530', '+5', '+05:3', 'Z', ' BC', '+00 BC', '+14:00'];

  it('for dates: AD, BC, year 1 and 9999, leap days, invalid days, other shapes', () => {
    for (const date of [...dates, '0044-03-15 BC', '0001-01-01 BC', '10000-01-01', 'infinity', '-infinity', '']) {
      expect(outcome(() => parseDateDays(date)), date).toEqual(outcome(() => dateDaysByPattern(date)));
    }
  });

  it('for timestamps: fractions of 0 to 7 digits, offsets of hours, minutes and seconds, BC, out of range', () => {
    let checked = 0;
    for (const date of dates) {
      const time = times[next(times.length)]!;
      for (const text of [`${date} ${time}${fractions[next(fractions.length)]}${offsets[next(offsets.length)]}`, `${date} ${time}${fractions[next(fractions.length)]}`]) {
        expect(outcome(() => parseTimestampMicros(text)), text).toEqual(outcome(() => timestampMicrosByPattern(text)));
        checked++;
      }
    }
    for (const fraction of fractions) {
      for (const offset of offsets) {
        for (const text of [`0001-01-01 00:00:00${fraction}${offset}`, `9999-12-31 23:59:59${fraction}${offset}`, `1970-01-01 00:00:00${fraction}${offset}`, `2262-04-11 23:47:16${fraction}${offset}`]) {
          expect(outcome(() => parseTimestampMicros(text)), text).toEqual(outcome(() => timestampMicrosByPattern(text)));
          checked++;
        }
      }
    }
    for (const text of ['10000-01-01 00:00:00+00', 'infinity', '-infinity', '2024-05-01T12:34:56+00', '2024-05-01 12:34', '']) {
      expect(outcome(() => parseTimestampMicros(text)), text).toEqual(outcome(() => timestampMicrosByPattern(text)));
    }
    expect(checked).toBeGreaterThan(6000);
  });

  it('for times of day, 24:00:00 and other shapes', () => {
    for (const time of [...times, '24:00:00', '00:00', '']) {
      for (const fraction of fractions) expect(outcome(() => parseTimeMicros(`${time}${fraction}`)), `${time}${fraction}`).toEqual(outcome(() => timeMicrosByPattern(`${time}${fraction}`)));
    }
  });
});

describe('outputTypeOf', () => {
  const numericTypmod = (precision: number, scale: number) => ((precision << 16) | scale) + 4;

  it('maps numeric(12,2) through its typmod', () => {
    expect(numericTypmod(12, 2)).toBe(786_438);
    expect(outputTypeOf(pg('numeric', 786_438), 'col')).toEqual({ kind: 'decimal', precision: 12, scale: 2 });
  });

  it('maps numeric(38,0), numeric(1,0) and numeric(38,38)', () => {
    expect(outputTypeOf(pg('numeric', numericTypmod(38, 0)), 'c')).toEqual({ kind: 'decimal', precision: 38, scale: 0 });
    expect(outputTypeOf(pg('numeric', numericTypmod(1, 0)), 'c')).toEqual({ kind: 'decimal', precision: 1, scale: 0 });
    expect(outputTypeOf(pg('numeric', numericTypmod(38, 38)), 'c')).toEqual({ kind: 'decimal', precision: 38, scale: 38 });
  });

  it('maps numeric beyond 38 digits to its exact decimal (the format decides whether it can hold it)', () => {
    expect(outputTypeOf(pg('numeric', numericTypmod(39, 2)), 'c')).toEqual({ kind: 'decimal', precision: 39, scale: 2 });
    expect(outputTypeOf(pg('numeric', numericTypmod(1000, 500)), 'c')).toEqual({ kind: 'decimal', precision: 1000, scale: 500 });
  });

  it('rejects numeric without typmod with a NonRetryableError naming the column', () => {
    const where = 'Table sales.orders, column "amount" (numeric)';
    expectNonRetryable(() => outputTypeOf(pg('numeric', -1), where), /^Table sales\.orders, column "amount" \(numeric\): numeric without precision/);
  });

  it('rejects an unknown type with a NonRetryableError naming the column and type', () => {
    const where = 'Table sales.orders, column "spot" (point)';
    expectNonRetryable(() => outputTypeOf(pg('point', -1), where), /^Table sales\.orders, column "spot" \(point\): type point is not supported$/);
  });

  it('rejects interval and timetz, saying why and what to do instead', () => {
    expectNonRetryable(() => outputTypeOf(pg('interval'), 'Table s.t, column "span" (interval)'), /^Table s\.t, column "span" \(interval\): type interval has no faithful output type.*query pipeline$/);
    expectNonRetryable(() => outputTypeOf(pg('timetz'), 'Table s.t, column "at" (time with time zone)'), /column "at".*timetz.*cast it to time or text/);
  });

  it('maps arrays to JSON, enums to strings, money to decimal(19,2), domains through their base type', () => {
    expect(outputTypeOf(pg('_int8', -1, { category: 'A', formatted: 'bigint[]' }), 'c')).toEqual({ kind: 'json' });
    expect(outputTypeOf(pg('mood', -1, { typtype: 'e', category: 'E' }), 'c')).toEqual({ kind: 'string' });
    expect(outputTypeOf(pg('money'), 'c')).toEqual({ kind: 'decimal', precision: 19, scale: 2 });
    expect(outputTypeOf(pg('time'), 'c')).toEqual({ kind: 'time' });
  });

  it.each([
    ['int2', { kind: 'int16' }],
    ['int4', { kind: 'int32' }],
    ['int8', { kind: 'int64' }],
    ['float4', { kind: 'float32' }],
    ['float8', { kind: 'float64' }],
    ['bool', { kind: 'boolean' }],
    ['text', { kind: 'string' }],
    ['varchar', { kind: 'string' }],
    ['bpchar', { kind: 'string' }],
    ['json', { kind: 'json' }],
    ['jsonb', { kind: 'json' }],
    ['uuid', { kind: 'uuid' }],
    ['bytea', { kind: 'binary' }],
    ['date', { kind: 'date' }],
    ['timestamp', { kind: 'timestamp', utc: false }],
    ['timestamptz', { kind: 'timestamp', utc: true }],
  ] as const)('maps %s', (typeName, expected) => {
    expect(outputTypeOf(pg(typeName), 'c')).toEqual(expected);
  });
});

describe('selectExpression', () => {
  it('reads arrays as JSON text and money as numeric, everything else as it is', () => {
    expect(selectExpression({ name: 'tags', sourceType: 'text[]', nullable: true, type: { kind: 'json' } }, '"tags"')).toBe('to_json("tags")::text AS "tags"');
    expect(selectExpression({ name: 'doc', sourceType: 'jsonb', nullable: true, type: { kind: 'json' } }, '"doc"')).toBe('"doc"');
    expect(selectExpression({ name: 'price', sourceType: 'money', nullable: true, type: { kind: 'decimal', precision: 19, scale: 2 } }, '"price"')).toBe('"price"::numeric AS "price"');
  });
});

describe('parseTimeMicros', () => {
  it('reads times of day to the microsecond', () => {
    expect(parseTimeMicros('00:00:00')).toBe(0n);
    expect(parseTimeMicros('23:59:59.999999')).toBe(86_399_999_999n);
    expect(parseTimeMicros('12:34:56.5')).toBe(45_296_500_000n);
  });

  it('rejects 24:00:00, which PostgreSQL allows and a Parquet TIME does not', () => {
    expectNonRetryable(() => parseTimeMicros('24:00:00'), /24:00:00 is outside/);
  });
});

describe('keyKindOf', () => {
  it('accepts integer, date and timestamp keys', () => {
    expect(['int2', 'int4', 'int8', 'date', 'timestamp', 'timestamptz'].map((t) => keyKindOf(t, 'c'))).toEqual([
      'integer',
      'integer',
      'integer',
      'date',
      'timestamp',
      'timestamptz',
    ]);
  });

  it('rejects other key types, naming the column', () => {
    expectNonRetryable(() => keyKindOf('uuid', 'Table s.t, chunk key "id"'), /^Table s\.t, chunk key "id": .*not uuid$/);
  });
});

describe('values and types with no faithful output fail clearly, without retries', () => {
  it('rejects dates and timestamps past year 9999 with NonRetryableError', async () => {
    const { NonRetryableError } = await import('../../src/errors/errorTypes.js');
    expect(() => parseDateDays('300000-01-01')).toThrow(NonRetryableError);
    expect(() => parseTimestampMicros('294276-12-31 23:59:59.999999+00')).toThrow(NonRetryableError);
  });

  it('rejects numeric with a negative scale or a scale above the precision', async () => {
    const { NonRetryableError } = await import('../../src/errors/errorTypes.js');
    expect(() => outputTypeOf(pg('numeric', 329730), 'Table t, column "c"')).toThrow(NonRetryableError); // numeric(5,-2)
    expect(() => outputTypeOf(pg('numeric', 131081), 'Table t, column "c"')).toThrow(/column "c"/); // numeric(2,5)
  });
});
