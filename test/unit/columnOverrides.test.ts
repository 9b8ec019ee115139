import { describe, expect, it } from 'vitest';
import { fitDecimal } from '../../src/copy/columnOverrides.js';
import { columnTypesSchema } from '../../src/spec/columnTypes.js';

describe('fitDecimal', () => {
  it.each([
    ['12.3', 5, 2, '12.30'],
    ['-12.30', 5, 2, '-12.30'],
    ['0', 3, 0, '0'],
    ['-0.00', 4, 2, '0.00'],
    ['+7', 3, 1, '7.0'],
    ['1.5E+10', 12, 1, '15000000000.0'],
    ['1.5e-3', 6, 4, '0.0015'],
    ['.5', 2, 1, '0.5'],
    ['99999999999999999999999999999999999.999999999999999999999999999999', 65, 30, '99999999999999999999999999999999999.999999999999999999999999999999'],
    ['12345678901234567890.120000000000', 38, 2, '12345678901234567890.12'],
  ])('%s as decimal(%i,%i) is %s', (text, precision, scale, expected) => {
    expect(fitDecimal(text, precision, scale)).toBe(expected);
  });

  it('refuses more fraction digits unless told how to round, and rounds exactly as told', () => {
    expect(() => fitDecimal('1.005', 5, 2)).toThrow('1.005 has more than 2 digits after the point (set rounding to round it)');
    expect(fitDecimal('1.005', 5, 2, 'halfEven')).toBe('1.00');
    expect(fitDecimal('1.015', 5, 2, 'halfEven')).toBe('1.02');
    expect(fitDecimal('1.005', 5, 2, 'halfUp')).toBe('1.01');
    expect(fitDecimal('-1.005', 5, 2, 'halfUp')).toBe('-1.01');
    expect(fitDecimal('1.0051', 5, 2, 'halfEven')).toBe('1.01');
    expect(fitDecimal('-0.004', 5, 2, 'halfEven')).toBe('0.00');
    expect(fitDecimal('9.995', 4, 2, 'halfUp')).toBe('10.00');
  });

  it('always refuses too many integer digits, including those rounding creates', () => {
    expect(() => fitDecimal('1000', 5, 2)).toThrow('1000 does not fit decimal(5,2): more than 3 digits before the point');
    expect(() => fitDecimal('999.995', 5, 2, 'halfUp')).toThrow('does not fit decimal(5,2)');
    expect(() => fitDecimal('1e40', 38, 0)).toThrow('does not fit');
  });

  it('refuses text that is not a number', () => {
    for (const text of ['', 'abc', '1.2.3', 'NaN', 'Infinity', '1e', '--1']) expect(() => fitDecimal(text, 10, 2)).toThrow('is not a number');
  });
});

describe('columnTypes', () => {
  it('takes "string", "decimal(p,s)" and an object with rounding', () => {
    expect(columnTypesSchema.parse({ a: 'string', b: 'decimal(18, 2)', c: { type: 'decimal(10,0)', rounding: 'halfEven' } })).toEqual({
      a: { type: { kind: 'string' } },
      b: { type: { kind: 'decimal', precision: 18, scale: 2 } },
      c: { type: { kind: 'decimal', precision: 10, scale: 0 }, rounding: 'halfEven' },
    });
  });

  it('names the field of what it refuses', () => {
    const issues = columnTypesSchema.safeParse({ a: 'float', b: 'decimal(3,4)', c: { type: 'string', rounding: 'halfUp' }, d: { type: 'string', extra: 1 } }).error!.issues;
    expect(issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual(expect.arrayContaining([
      ['a.type', '"float" is not a type a column can be read as: use "string" or "decimal(p,s)"'],
      ['b.type', 'decimal(3,4): precision must be 1 to 1000 and scale 0 to the precision'],
      ['c.rounding', 'only a decimal is rounded'],
    ]));
    expect(issues.some((issue) => issue.path.join('.') === 'd' && issue.message.includes('extra'))).toBe(true);
  });
});
