import { describe, expect, it } from 'vitest';
import type { OutputType } from '../../src/spec/columns.js';
import { textForm } from '../../src/formats/textForms.js';
import { parseTextForm } from '../../src/formats/parseTextForms.js';

/**
 * Re-ingest reads quarantined values from their text forms: textForm(value) -> parseTextForm ->
 * the same canonical value, for every output type, at its extremes. Without this a decimal could
 * lose a digit, an int64 pass through a float, or a timestamp its offset on the way back.
 */
const cases: Array<[OutputType, unknown[]]> = [
  [{ kind: 'int16' }, [0, -32_768, 32_767]],
  [{ kind: 'int32' }, [-2_147_483_648, 2_147_483_647, 7]],
  [{ kind: 'int64' }, [-(2n ** 63n), 2n ** 63n - 1n, 9_007_199_254_740_993n, 0n]],
  [{ kind: 'uint64' }, [0n, 2n ** 64n - 1n, 18_446_744_073_709_551_615n]],
  [{ kind: 'decimal', precision: 38, scale: 10 }, ['0.0000000000', '-12345678901234567890123456.7890123456', '9999999999999999999999999999.9999999999', '-0.0000000001']],
  [{ kind: 'decimal', precision: 12, scale: 0 }, ['0', '-999999999999', '123']],
  [{ kind: 'float64' }, [0.1, -0, 0, 1e308, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1 / 3]],
  [{ kind: 'float32' }, [Math.fround(0.1), Math.fround(3.4028234e38), Math.fround(1.4e-45), -0, Number.NaN]],
  [{ kind: 'boolean' }, [true, false]],
  [{ kind: 'string' }, ['', 'naïve 𝄞 \u0000 "quoted"\n', ' leading and trailing ']],
  [{ kind: 'json' }, ['{"a":[1,2,{"b":null}]}', '"text"', '12.50']],
  [{ kind: 'uuid' }, ['00000000-0000-0000-0000-000000000000', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
  [{ kind: 'binary' }, [new Uint8Array([]), new Uint8Array([0, 255, 1, 2]), new Uint8Array([251, 255])]],
  [{ kind: 'date' }, [0, -719_162, 2_932_896, -719_528, 19_844]],
  [{ kind: 'time' }, [0n, 86_399_999_999n, 86_400_000_000n, 45_296_000_001n]],
  [{ kind: 'timestamp', utc: true }, [0n, -62_135_596_800_000_000n, 253_402_300_799_999_999n, 1_714_577_400_123_456n, -62_167_219_200_000_000n]],
  [{ kind: 'timestamp', utc: false }, [0n, 1_714_577_400_000_001n, -62_135_596_800_000_001n]],
  [{ kind: 'timestampOffset' }, [
    { micros: 1_714_557_600_123_456n, offsetMinutes: 330 },
    { micros: 0n, offsetMinutes: -840 },
    { micros: 253_402_300_799_999_999n, offsetMinutes: 0 },
    { micros: -62_135_596_800_000_000n, offsetMinutes: 60 },
  ]],
];

describe('parseTextForm', () => {
  for (const [type, values] of cases) {
    it(`reads every ${type.kind}${type.kind === 'timestamp' ? (type.utc ? ' (utc)' : ' (wall clock)') : ''} text form back to the same canonical value`, () => {
      const text = textForm(type);
      const parse = parseTextForm(type);
      for (const value of values) {
        const written = text(value);
        const read = parse(written);
        if (typeof value === 'number' && Number.isNaN(value)) expect(Number.isNaN(read)).toBe(true);
        else expect(read, `${type.kind} ${written}`).toEqual(value);
        if (typeof value === 'number') expect(Object.is(read, value) || Number.isNaN(value)).toBe(true);
        // And the text again: the round trip is exact both ways.
        expect(text(read)).toBe(written);
      }
    });
  }

  it('keeps the types that are bigints bigints and those that are numbers numbers', () => {
    expect(typeof parseTextForm({ kind: 'int64' })('5')).toBe('bigint');
    expect(typeof parseTextForm({ kind: 'int32' })('5')).toBe('number');
    expect(typeof parseTextForm({ kind: 'time' })('00:00:01.000000')).toBe('bigint');
  });

  it('accepts lossless spellings a person may write and refuses anything that would round or guess', () => {
    expect(parseTextForm({ kind: 'decimal', precision: 10, scale: 2 })('12.3')).toBe('12.30');
    expect(parseTextForm({ kind: 'uuid' })('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(parseTextForm({ kind: 'timestamp', utc: true })('2024-05-01T12:30:00Z')).toBe(1_714_566_600_000_000n);
    const refused: Array<[OutputType, string, string]> = [
      [{ kind: 'decimal', precision: 10, scale: 2 }, '12.345', 'more than 2 digits'],
      [{ kind: 'decimal', precision: 4, scale: 2 }, '123.4', 'does not fit decimal(4,2)'],
      [{ kind: 'int16' }, '32768', 'outside the range of int16'],
      [{ kind: 'uint64' }, '-1', 'outside the range of uint64'],
      [{ kind: 'int64' }, '1.5', 'not an integer'],
      [{ kind: 'boolean' }, 'yes', 'not true or false'],
      [{ kind: 'json' }, '{oops', 'not JSON text'],
      [{ kind: 'binary' }, 'AQI', 'not base64'],
      [{ kind: 'date' }, '2023-02-29', 'not a date of the calendar'],
      [{ kind: 'date' }, '0000-01-01', 'year 0'],
      [{ kind: 'time' }, '25:00:00.000000', 'not a time'],
      [{ kind: 'timestamp', utc: true }, '2024-05-01T12:30:00', 'with Z'],
      [{ kind: 'timestamp', utc: false }, '2024-05-01T12:30:00Z', 'without a zone'],
      [{ kind: 'timestampOffset' }, '2024-05-01T12:30:00Z', 'with its offset'],
      [{ kind: 'float64' }, '0x10', 'not a number'],
    ];
    for (const [type, text, reason] of refused) expect(() => parseTextForm(type)(text), `${type.kind} ${text}`).toThrow(reason);
  });
});
