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

  it('fails a row whose check is false or cannot be computed; NULL passes, as SQL CHECK', () => {
    const columns = [column('ordered_at', { kind: 'date' }), column('shipped_at', { kind: 'date' }), column('qty', { kind: 'int32' })];
    const compiled = compileRowRules(columns, validationSchema.parse({
      rules: { qty: { notNull: true } },
      checks: [{ name: 'ships after ordering', expression: 'shipped_at >= ordered_at' }, { name: 'per unit', expression: '10 / qty > 1' }],
    }), 'Table t');
    expect(compiled.refusals).toEqual([]);
    const check = compiled.check!;
    expect(check([100, 101, 2])).toEqual([]);
    // NULL is unknown, not false: the check passes.
    expect(check([100, null, 2])).toEqual([]);
    expect(check([100, 99, 2])).toEqual([{ column: 'ships after ordering', rule: 'expression', message: 'is false: shipped_at >= ordered_at' }]);
    expect(check([100, 100, 0])).toEqual([{ column: 'per unit', rule: 'expression', message: 'cannot be computed: division by zero' }]);
    expect(check([100, 100, 20])).toEqual([{ column: 'per unit', rule: 'expression', message: 'is false: 10 / qty > 1' }]);
    expect(check([100, 99, null]).map((failure) => failure.rule)).toEqual(['notNull', 'expression']);
  });

  it('refuses a check that is not boolean, names an unknown column or does not parse, naming the field and position', () => {
    const compiled = compileRowRules([column('a', { kind: 'int32' }), column('s', { kind: 'string' })], validationSchema.parse({
      checks: [{ name: 'sum', expression: 'a + 1' }, { name: 'gone', expression: 'a > b' }, { name: 'typed', expression: "a > 1 and s + 1 > 'x'" }, { name: 'broken', expression: 'a >' }],
    }), 'Table t');
    expect(compiled.refusals.map((refusal) => refusal.path)).toEqual(['validation.checks.0.expression', 'validation.checks.1.expression', 'validation.checks.2.expression', 'validation.checks.3.expression']);
    expect(compiled.refusals[0]!.reason).toBe('Table t: validation.checks.0.expression (check "sum"): a check must be true or false, and this expression gives an int64 at position 1');
    expect(compiled.refusals[1]!.reason).toContain('unknown column b at position 5');
    expect(compiled.refusals[2]!.reason).toContain('cannot add a string and an integer at position 11');
    expect(compiled.refusals[3]!.reason).toContain('unexpected end of the expression at position 4');
  });

  it('takes checks without column rules, each name once', () => {
    expect(validationSchema.safeParse({ checks: [{ name: 'x', expression: 'true' }] }).success).toBe(true);
    expect(validationSchema.safeParse({}).success).toBe(false);
    const twice = validationSchema.safeParse({ checks: [{ name: 'x', expression: 'true' }, { name: 'x', expression: 'false' }] });
    expect(twice.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['checks.1.name']);
  });
});
