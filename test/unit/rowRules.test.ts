import { describe, expect, it } from 'vitest';
import { compileRowRules } from '../../src/validation/rowRules.js';
import { validationSchema } from '../../src/spec/validationSpec.js';
import { patternProblem } from '../../src/spec/patternProblem.js';
import type { Column, OutputType } from '../../src/spec/columns.js';

const column = (name: string, type: OutputType): Column => ({ name, sourceType: 'test', type, nullable: true }) as Column;

function checker(columns: Column[], rules: unknown) {
  const compiled = compileRowRules(columns, validationSchema.parse({ rules }), 'Table t');
  expect(compiled.refusals).toEqual([]);
  return compiled.check!;
}

describe('compileRowRules', () => {
  it('matches a ReDoS pattern against a 50,000-character value in linear time', () => {
    const check = checker([column('s', { kind: 'string' })], { s: { pattern: '^(a+)+$' } });
    const hostile = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    const failures = check([hostile]);
    // A backtracking engine takes longer than the age of the universe here.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(failures).toEqual([{ column: 's', rule: 'pattern', message: 'does not match ^(a+)+$' }]);
    expect(check(['a'.repeat(50_000)])).toEqual([]);
  });

  it('compares decimals and 64-bit integers exactly, not through a float', () => {
    const check = checker([column('d', { kind: 'decimal', precision: 38, scale: 2 }), column('n', { kind: 'int64' })], {
      d: { max: '12345678901234567890123456789012.50' },
      n: { min: '-9223372036854775807' },
    });
    expect(check(['12345678901234567890123456789012.50', -9223372036854775807n])).toEqual([]);
    // As doubles both pairs would be equal, and pass.
    expect(check(['12345678901234567890123456789012.51', -9223372036854775808n]).map((failure) => failure.rule)).toEqual(['max', 'min']);
    expect(check(['12345678901234567890123456789012.51', 0n])[0]!.message).toBe('12345678901234567890123456789012.51 is above the maximum 12345678901234567890123456789012.50');
  });

  it('takes bounds of dates and timestamps as ISO text, compared as days and microseconds', () => {
    const check = checker([column('day', { kind: 'date' }), column('at', { kind: 'timestamp', utc: true }), column('wall', { kind: 'timestamp', utc: false })], {
      day: { min: '2020-01-01' },
      at: { max: '2030-01-01T00:00:00+01:00' },
      wall: { max: '2030-01-01T00:00:00.000001' },
    });
    const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
    expect(check([18_262, micros('2029-12-31T23:00:00Z'), micros('2030-01-01T00:00:00Z') + 1n])).toEqual([]);
    expect(check([18_261, micros('2029-12-31T23:00:00Z') + 1n, micros('2030-01-01T00:00:00Z') + 2n]).map((failure) => `${failure.column}.${failure.rule}`)).toEqual(['day.min', 'at.max', 'wall.max']);
  });

  it('lets only notNull speak of NULL', () => {
    const check = checker([column('s', { kind: 'string' }), column('t', { kind: 'string' })], { s: { notNull: true }, t: { maxLength: 2, pattern: 'x' } });
    expect(check([null, null])).toEqual([{ column: 's', rule: 'notNull', message: 'is NULL' }]);
  });

  it('counts characters, not UTF-16 units, for maxLength', () => {
    const check = checker([column('s', { kind: 'string' })], { s: { maxLength: 2 } });
    expect(check(['😀😀'])).toEqual([]);
    expect(check(['😀😀😀'])[0]!.message).toBe('is 3 characters long, more than 2');
  });

  it('refuses rules that do not fit the column, naming the field', () => {
    const compiled = compileRowRules(
      [column('flag', { kind: 'boolean' }), column('n', { kind: 'int32' }), column('day', { kind: 'date' })],
      validationSchema.parse({ rules: { flag: { min: 1 }, n: { pattern: 'x', max: 1.5 }, day: { max: 20200101 }, gone: { notNull: true } } }),
      'Table t',
    );
    expect(compiled.refusals.map((refusal) => refusal.path)).toEqual(['validation.rules.flag.min', 'validation.rules.n.max', 'validation.rules.n.pattern', 'validation.rules.day.max', 'validation.rules.gone']);
    expect(compiled.refusals[0]!.reason).toBe('Table t, column "flag" (boolean): min does not apply to a boolean (min and max are for numbers, dates, times and timestamps)');
  });

  it('refuses a pattern re2 does not compile, naming the field', () => {
    const compiled = compileRowRules([column('s', { kind: 'string' })], validationSchema.parse({ rules: { s: { pattern: '(a' } } }), 'Table t');
    expect(compiled.refusals.map((refusal) => refusal.path)).toEqual(['validation.rules.s.pattern']);
    expect(patternProblem('(a')).toContain('not a pattern re2 compiles');
    // Backreferences are not linear-time: re2 refuses them.
    expect(patternProblem('(a)\\1')).toBeDefined();
    expect(patternProblem('^(a+)+$')).toBeUndefined();
  });
});
