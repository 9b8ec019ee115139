import { describe, expect, it } from 'vitest';
import { cursorText, lookbackDigits, parseCursorText } from '../../src/copy/cursorValues.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';

describe('parseCursorText and cursorText', () => {
  it('reads integers exactly beyond 2^53', () => {
    expect(parseCursorText('integer', '9007199254740993', 'w')).toBe('9007199254740993');
    expect(parseCursorText('integer', '-5', 'w')).toBe('-5');
  });

  it('reads dates as days and timestamps as microseconds, applying an offset', () => {
    expect(parseCursorText('date', '1970-01-02', 'w')).toBe('1');
    expect(parseCursorText('timestamp', '1970-01-01T00:00:01.5', 'w')).toBe('1500000');
    expect(parseCursorText('timestamptz', '1970-01-01T05:30:00+05:30', 'w')).toBe('0');
    expect(parseCursorText('timestamptz', '2024-05-01 12:00:00Z', 'w')).toBe(String(BigInt(Date.UTC(2024, 4, 1, 12)) * 1000n));
  });

  it('round-trips through the text people read', () => {
    for (const [kind, text] of [['date', '2024-02-29'], ['timestamp', '2024-05-01T12:34:56.123456'], ['timestamptz', '0001-01-01T00:00:00.000000Z']] as const) {
      expect(cursorText(kind, parseCursorText(kind, text, 'w'))).toBe(text);
    }
  });

  it('refuses text of the wrong shape, naming where it came from, without retry', () => {
    expect(() => parseCursorText('date', '2024-5-1', 'Pipeline p, backfill.from')).toThrow(NonRetryableError);
    expect(() => parseCursorText('integer', '12.5', 'Pipeline p, backfill.to')).toThrow(/Pipeline p, backfill.to: "12.5" is not a whole number/);
  });
});

describe('lookbackDigits', () => {
  it('is seconds in microseconds for timestamps, whole days for dates, values for integers', () => {
    expect(lookbackDigits('timestamptz', { column: 'c', lookbackSeconds: 90 }, 'w')).toBe(90_000_000n);
    expect(lookbackDigits('date', { column: 'c', lookbackSeconds: 90_000 }, 'w')).toBe(2n);
    expect(lookbackDigits('integer', { column: 'c', lookbackValues: 100 }, 'w')).toBe(100n);
    expect(lookbackDigits('integer', { column: 'c' }, 'w')).toBe(0n);
  });

  it('refuses the kind of lookback that does not fit the cursor', () => {
    expect(() => lookbackDigits('integer', { column: 'c', lookbackSeconds: 5 }, 'w')).toThrow(/integer cursor takes lookbackValues/);
    expect(() => lookbackDigits('timestamp', { column: 'c', lookbackValues: 5 }, 'w')).toThrow(/timestamp cursor takes lookbackSeconds/);
  });
});

describe('rowversion cursors', () => {
  it('reads a rowversion as SQL Server prints it, or as its unsigned integer, over all 64 bits', () => {
    expect(parseCursorText('rowversion', '0x00000000000007D1', 'w')).toBe('2001');
    expect(parseCursorText('rowversion', '0x7d1', 'w')).toBe('2001');
    expect(parseCursorText('rowversion', '2001', 'w')).toBe('2001');
    expect(parseCursorText('rowversion', '0xFFFFFFFFFFFFFFFF', 'w')).toBe('18446744073709551615');
    expect(parseCursorText('rowversion', '18446744073709551615', 'w')).toBe('18446744073709551615');
  });

  it('writes 0x and 16 upper-case hex digits, round-tripping', () => {
    expect(cursorText('rowversion', '2001')).toBe('0x00000000000007D1');
    expect(cursorText('rowversion', '9223372036854775808')).toBe('0x8000000000000000');
    for (const text of ['0x0000000000000000', '0x00000000000007D1', '0xFFFFFFFFFFFFFFFF']) expect(cursorText('rowversion', parseCursorText('rowversion', text, 'w'))).toBe(text);
    // A lower bound pulled below zero by a lookback has no hex form.
    expect(cursorText('rowversion', '-3')).toBe('-3');
  });

  it('refuses what is no rowversion, naming where it came from', () => {
    for (const text of ['-1', '18446744073709551616', '0x10000000000000000', '0x', '0xZZ', '7D1', '2001.0']) {
      expect(() => parseCursorText('rowversion', text, 'Pipeline p, backfill.from'), text).toThrow(NonRetryableError);
    }
    expect(() => parseCursorText('rowversion', 'abc', 'Pipeline p, backfill.to')).toThrow(/Pipeline p, backfill.to: "abc" is not a rowversion \(0x/);
  });

  it('looks back by values, like an integer cursor', () => {
    expect(lookbackDigits('rowversion', { column: 'rv', lookbackValues: 50 }, 'w')).toBe(50n);
    expect(lookbackDigits('rowversion', { column: 'rv' }, 'w')).toBe(0n);
    expect(() => lookbackDigits('rowversion', { column: 'rv', lookbackSeconds: 5 }, 'w')).toThrow(/a rowversion cursor takes lookbackValues/);
  });
});
