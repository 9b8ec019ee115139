import { describe, expect, it } from 'vitest';
import { unscaledDecimal } from '../../src/formats/decimalText.js';

describe('unscaledDecimal', () => {
  it.each([
    ['-12.3', 2, -1230n],
    ['12.3', 2, 1230n],
    ['0.01', 2, 1n],
    ['-0.01', 2, -1n],
    ['123', 2, 12300n],
    ['123', 0, 123n],
    ['.5', 2, 50n],
    ['-.5', 1, -5n],
    ['5.', 1, 50n],
    ['+1.5', 1, 15n],
    ['0', 0, 0n],
    ['-0.00', 2, 0n],
    ['007.10', 2, 710n],
  ] as const)('%s at scale %i is %s', (text, scale, expected) => {
    expect(unscaledDecimal(text, scale)).toBe(expected);
  });

  it('is exact for 38-digit values', () => {
    expect(unscaledDecimal('12345678901234567890123456.789012345678', 12)).toBe(12345678901234567890123456789012345678n);
    expect(unscaledDecimal('-99999999999999999999999999999999999999', 0)).toBe(-(10n ** 38n - 1n));
    expect(unscaledDecimal('9999999999999999999999999999.9999999999', 10)).toBe(10n ** 38n - 1n);
    expect(unscaledDecimal('0.12345678901234567890123456789012345678', 38)).toBe(12345678901234567890123456789012345678n);
    expect(unscaledDecimal('-0.00000000000000000000000000000000000001', 38)).toBe(-1n);
  });

  it('pads fractions shorter than the scale', () => {
    expect(unscaledDecimal('1.5', 6)).toBe(1_500_000n);
  });

  it('accepts trailing zeros beyond the scale', () => {
    expect(unscaledDecimal('1.2300', 2)).toBe(123n);
    expect(unscaledDecimal('-1.000', 0)).toBe(-1n);
    expect(unscaledDecimal('42.0000000000', 3)).toBe(42000n);
  });

  it('throws on non-zero digits beyond the scale', () => {
    expect(() => unscaledDecimal('1.234', 2)).toThrow(/more than 2 digits/);
    expect(() => unscaledDecimal('1.5', 0)).toThrow(/more than 0 digits/);
    expect(() => unscaledDecimal('0.0001', 3)).toThrow();
    expect(() => unscaledDecimal('1.2301', 2)).toThrow();
  });

  it.each(['', '-', '+', '.', '-.', 'abc', '1e5', '1,5', ' 1', '1 ', '1.2.3', 'NaN', 'Infinity', '-Infinity', '--1', '0x10', '1_000'])(
    'throws on %j',
    (text) => {
      expect(() => unscaledDecimal(text, 2)).toThrow();
    },
  );
});
