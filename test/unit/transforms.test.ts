import { describe, expect, it } from 'vitest';
import { compileTransforms, TransformFailure } from '../../src/transforms/compileTransforms.js';
import { deriveOutputColumns } from '../../src/transforms/planTransforms.js';
import { castOf, CastFailure } from '../../src/transforms/castValue.js';
import { transformsSchema, transformNameProblems, castTypeOf, type CastType } from '../../src/spec/transformsSpec.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import type { Column, OutputType } from '../../src/spec/columns.js';

const column = (name: string, type: OutputType, nullable = true): Column => ({ name, sourceType: 'test', type, nullable }) as Column;
const steps = (list: unknown) => transformsSchema.parse(list);

/** Every output type, one column each, with a canonical value and its text form. */
const everyType: Array<{ column: Column; value: unknown; text: string }> = [
  { column: column('i16', { kind: 'int16' }), value: -32768, text: '-32768' },
  { column: column('i32', { kind: 'int32' }), value: 2147483647, text: '2147483647' },
  { column: column('i64', { kind: 'int64' }), value: -9223372036854775808n, text: '-9223372036854775808' },
  { column: column('u64', { kind: 'uint64' }), value: 18446744073709551615n, text: '18446744073709551615' },
  { column: column('dec', { kind: 'decimal', precision: 38, scale: 10 }), value: '-1234567890123456789012345678.0000000001', text: '-1234567890123456789012345678.0000000001' },
  { column: column('f32', { kind: 'float32' }), value: Math.fround(0.1), text: '0.1' },
  { column: column('f64', { kind: 'float64' }), value: 0.1, text: '0.1' },
  { column: column('bool', { kind: 'boolean' }), value: true, text: 'true' },
  { column: column('str', { kind: 'string' }), value: 'Zoë 😀', text: 'Zoë 😀' },
  { column: column('js', { kind: 'json' }), value: '{"a":1}', text: '{"a":1}' },
  { column: column('id', { kind: 'uuid' }), value: '123e4567-e89b-12d3-a456-426614174000', text: '123e4567-e89b-12d3-a456-426614174000' },
  { column: column('bin', { kind: 'binary' }), value: new Uint8Array([0, 255]), text: 'AP8=' },
  { column: column('day', { kind: 'date' }), value: -719162, text: '0001-01-01' },
  { column: column('tm', { kind: 'time' }), value: 86399999999n, text: '23:59:59.999999' },
  { column: column('wall', { kind: 'timestamp', utc: false }), value: 253402300799999999n, text: '9999-12-31T23:59:59.999999' },
  { column: column('at', { kind: 'timestamp', utc: true }), value: 1714563000123456n, text: '2024-05-01T11:30:00.123456Z' },
  { column: column('off', { kind: 'timestampOffset' }), value: { micros: 1714563000123456n, offsetMinutes: 330 }, text: '2024-05-01T17:00:00.123456+05:30' },
];
const allColumns = everyType.map((entry) => entry.column);
const allValues = everyType.map((entry) => entry.value);

function compiled(columns: Column[], list: unknown) {
  const made = compileTransforms(columns, steps(list));
  expect(made.refusals).toEqual([]);
  return made;
}

describe('deriveOutputColumns', () => {
  it('renames and drops by name, keeping types, nullability and order', () => {
    const out = deriveOutputColumns([column('a', { kind: 'int32' }, false), column('b', { kind: 'string' }), column('c', { kind: 'date' })], steps([
      { step: 'rename', columns: { a: 'id' } },
      { step: 'drop', columns: ['b'] },
    ]));
    expect(out.refusals).toEqual([]);
    expect(out.columns).toEqual([column('id', { kind: 'int32' }, false), column('c', { kind: 'date' })]);
  });

  it('types cast, mapValues and concat columns, with their nullability', () => {
    const out = deriveOutputColumns([column('code', { kind: 'string' }, false), column('n', { kind: 'int64' }), column('s', { kind: 'string' }, false)], steps([
      { step: 'cast', column: 'code', type: 'Decimal(12, 3)' },
      { step: 'mapValues', column: 'n', type: 'string', values: { 1: 'one' }, default: 'many' },
      { step: 'concat', name: 'both', columns: ['s', 'code'], separator: '-' },
    ]));
    expect(out.refusals).toEqual([]);
    expect(out.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['code', { kind: 'decimal', precision: 12, scale: 3 }, false],
      ['n', { kind: 'string' }, true],
      ['s', { kind: 'string' }, false],
      // NULL only when every part is: s never is.
      ['both', { kind: 'string' }, false],
    ]);
  });

  it('refuses, naming the step and field, what does not fit the columns read', () => {
    const out = deriveOutputColumns([column('a', { kind: 'int32' }), column('b', { kind: 'binary' }), column('t', { kind: 'time' })], steps([
      { step: 'rename', columns: { a: 'B' } },
      { step: 'drop', columns: ['missing'] },
      { step: 'cast', column: 'b', type: 'int32' },
      { step: 'mapValues', column: 't', values: { '12:00:00.000000': 'noon' } },
      { step: 'concat', name: 'A', columns: ['a'] },
    ]));
    expect(out.refusals.map((refusal) => [refusal.path, refusal.reason])).toEqual([
      ['transforms.0.columns.a', 'transforms[0] (rename): "B" is already a column here ("b"); drop or rename it first'],
      ['transforms.1.columns.0', 'transforms[1] (drop): "missing" is not a column at this step (columns: "a", "b", "t")'],
      ['transforms.2.type', 'transforms[2] (cast): column "b": a binary cannot be cast to int32'],
      ['transforms.3.values', 'transforms[3] (mapValues): column "t" (time): a lookup table cannot give a time; give "type" (time to string, say)'],
      ['transforms.4.name', 'transforms[4] (concat): "A" is already a column here ("a"); drop or rename it first'],
    ]);
  });

  it('refuses a lookup value that is not of the column type', () => {
    const out = deriveOutputColumns([column('n', { kind: 'int32' })], steps([{ step: 'mapValues', column: 'n', values: { 1: 'one' } }]));
    expect(out.refusals.map((refusal) => [refusal.path, refusal.reason])).toEqual([
      ['transforms.0.values.1', 'transforms[0] (mapValues): column "n": cannot cast "one" to int32: not an integer'],
    ]);
  });

  it('refuses dropping every column', () => {
    const out = deriveOutputColumns([column('a', { kind: 'int32' })], steps([{ step: 'drop', columns: ['a'] }]));
    expect(out.refusals[0]!.path).toBe('transforms.0.columns');
  });
});

describe('transform steps on canonical values', () => {
  it('rename and drop leave every type\'s values exactly as read', () => {
    const made = compiled(allColumns, [
      { step: 'rename', columns: Object.fromEntries(allColumns.map((c) => [c.name, `${c.name}_x`])) },
      { step: 'drop', columns: ['bin_x'] },
    ]);
    const row = [...allValues];
    const out = made.apply!(row) as unknown[];
    expect(out).toEqual(allValues.filter((_, index) => allColumns[index]!.name !== 'bin'));
    expect(made.columns.map((c) => c.name)).toEqual(allColumns.filter((c) => c.name !== 'bin').map((c) => `${c.name}_x`));
    // The row read is untouched (the quarantine writes it as read).
    expect(row).toEqual(allValues);
  });

  it('concat joins every type\'s text form; NULL parts are left out and all NULL is NULL', () => {
    const made = compiled(allColumns, [{ step: 'concat', name: 'all', columns: allColumns.map((c) => c.name), separator: '|' }]);
    const out = made.apply!(allValues) as unknown[];
    expect(out.at(-1)).toBe(everyType.map((entry) => entry.text).join('|'));
    const some = compiled([column('a', { kind: 'string' }), column('b', { kind: 'decimal', precision: 5, scale: 2 })], [{ step: 'concat', name: 'ab', columns: ['a', 'b'], separator: ', ' }]);
    expect((some.apply!([null, '1.50']) as unknown[])[2]).toBe('1.50');
    expect((some.apply!([null, null]) as unknown[])[2]).toBeNull();
  });

  it('mapValues looks values up by their text form, of every type, with a default or keeping them', () => {
    for (const entry of everyType) {
      const made = compiled([entry.column], [{ step: 'mapValues', column: entry.column.name, type: 'string', values: { [entry.text]: 'found' }, default: 'other' }]);
      expect(made.apply!([entry.value])).toEqual(['found']);
      expect(made.apply!([null])).toEqual([null]);
    }
    const kept = compiled([column('d', { kind: 'decimal', precision: 10, scale: 2 })], [{ step: 'mapValues', column: 'd', values: { '1.50': '2.25', '9.99': null } }]);
    expect(kept.apply!(['1.50'])).toEqual(['2.25']);
    expect(kept.apply!(['9.99'])).toEqual([null]);
    expect(kept.apply!(['3.00'])).toEqual(['3.00']);
    expect(kept.columns[0]!.type).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    // Timestamps are given as their text too and kept as microseconds.
    const ts = compiled([column('t', { kind: 'timestamp', utc: true })], [{ step: 'mapValues', column: 't', values: { '2024-05-01T11:30:00.123456Z': '1970-01-01T00:00:00.000001Z' } }]);
    expect(ts.apply!([1714563000123456n])).toEqual([1n]);
  });

  it('mapValues gives the same answers for values seen before (remembered), -0 and 0 told apart, failures every time', () => {
    const made = compiled([column('f', { kind: 'float64' })], [{ step: 'mapValues', column: 'f', type: 'string', values: { '-0': 'minus zero', 0: 'zero', NaN: 'not a number' } }]);
    for (let round = 0; round < 2; round++) {
      expect(made.apply!([0])).toEqual(['zero']);
      expect(made.apply!([-0])).toEqual(['minus zero']);
      expect(made.apply!([Number.NaN])).toEqual(['not a number']);
      expect(made.apply!([1.5])).toEqual(['1.5']);
    }
    const strict = compiled([column('s', { kind: 'string' })], [{ step: 'mapValues', column: 's', type: 'int32', values: { a: 1 } }]);
    expect(strict.apply!(['x'])).toBeInstanceOf(TransformFailure);
    expect(strict.apply!(['x'])).toBeInstanceOf(TransformFailure);
    expect(strict.apply!(['7'])).toEqual([7]);
    expect(strict.apply!(['7'])).toEqual([7]);
  });

  it('mapValues to a new type casts values not listed, and a value that does not convert rejects the row', () => {
    const made = compiled([column('s', { kind: 'string' })], [{ step: 'mapValues', column: 's', type: 'int64', values: { none: 0 } }]);
    expect(made.canReject).toBe(true);
    expect(made.apply!(['none'])).toEqual([0n]);
    expect(made.apply!(['9223372036854775807'])).toEqual([9223372036854775807n]);
    expect(made.apply!(['x'])).toEqual(new TransformFailure('s', 'cast', 'transforms[0] (mapValues "s"): cannot cast "x" to int64: not an integer'));
  });

  it('cast converts exactly, and a value that does not convert rejects the row naming the value and type', () => {
    const made = compiled([column('s', { kind: 'string' }), column('n', { kind: 'int64' })], [
      { step: 'cast', column: 's', type: 'decimal(38,10)' },
      { step: 'cast', column: 'n', type: 'int32' },
    ]);
    expect(made.apply!(['12345678901234567890123456.1234567891', 5n])).toEqual(['12345678901234567890123456.1234567891', 5]);
    expect(made.apply!([null, null])).toEqual([null, null]);
    expect(made.apply!(['1.00000000001', 5n])).toEqual(new TransformFailure('s', 'cast', 'transforms[0] (cast "s"): cannot cast "1.00000000001" to decimal(38,10): 1.00000000001 has more than 10 digits after the point (set rounding to round it)'));
    expect(made.apply!(['1', 2147483648n])).toEqual(new TransformFailure('n', 'cast', 'transforms[1] (cast "n"): cannot cast 2147483648 to int32: outside -2147483648 to 2147483647'));
  });
});

describe('castOf', () => {
  const cast = (from: OutputType, to: string, value: unknown) => {
    const made = castOf(from, castTypeOf(to) as CastType);
    if (typeof made === 'string') throw new Error(made);
    return made(value);
  };
  it('casts every type to string as its text form', () => {
    for (const entry of everyType) expect(cast(entry.column.type, 'string', entry.value)).toBe(entry.text);
  });
  it('makes timestamps, dates and decimals from text exactly', () => {
    expect(cast({ kind: 'string' }, 'timestamptz', '2024-05-01T17:00:00.123456+05:30')).toBe(1714563000123456n);
    expect(cast({ kind: 'string' }, 'timestamptz', '2024-05-01 11:30:00.123456')).toBe(1714563000123456n);
    expect(cast({ kind: 'string' }, 'timestamp', '0001-01-01T00:00:00')).toBe(-62135596800000000n);
    expect(() => cast({ kind: 'string' }, 'timestamp', '2024-05-01T00:00:00Z')).toThrow(CastFailure);
    expect(cast({ kind: 'string' }, 'date', '2024-02-29')).toBe(19782);
    expect(() => cast({ kind: 'string' }, 'date', '2023-02-29')).toThrow('cannot cast "2023-02-29" to date: not a date as YYYY-MM-DD');
    expect(cast({ kind: 'string' }, 'decimal(3,1)', '-1.5e1')).toBe('-15.0');
    expect(cast({ kind: 'int64' }, 'decimal(20,0)', -9223372036854775808n)).toBe('-9223372036854775808');
    expect(cast({ kind: 'decimal', precision: 20, scale: 2 }, 'int64', '-9223372036854775808.00')).toBe(-9223372036854775808n);
    expect(() => cast({ kind: 'decimal', precision: 20, scale: 2 }, 'int64', '1.50')).toThrow('not a whole number');
    expect(cast({ kind: 'float64' }, 'decimal(10,3)', 0.1)).toBe('0.100');
    expect(cast({ kind: 'string' }, 'boolean', ' TRUE ')).toBe(true);
    expect(cast({ kind: 'string' }, 'float64', '1e-3')).toBe(0.001);
  });
  it('moves instants and wall clocks between timestamp kinds and dates', () => {
    const instant = { micros: 1714563000123456n, offsetMinutes: -300 };
    expect(cast({ kind: 'timestampOffset' }, 'timestamptz', instant)).toBe(1714563000123456n);
    expect(cast({ kind: 'timestampOffset' }, 'timestamp', instant)).toBe(1714563000123456n - 300n * 60_000_000n);
    expect(cast({ kind: 'timestamp', utc: true }, 'date', -1n)).toBe(-1);
    expect(cast({ kind: 'date' }, 'timestamp', 1)).toBe(86_400_000_000n);
  });
});

describe('transform names at create', () => {
  it('names a column used after a step removed it, one made later, and a name made twice', () => {
    const problems = transformNameProblems(steps([
      { step: 'rename', columns: { a: 'b' } },
      { step: 'cast', column: 'a', type: 'string' },
      { step: 'drop', columns: ['later'] },
      { step: 'compute', name: 'later', expression: '1' },
      { step: 'concat', name: 'b', columns: ['x'] },
    ]), undefined);
    expect(problems).toEqual([
      { path: [1, 'column'], message: '"a" is no longer a column here: transforms[0] renamed it' },
      { path: [2, 'columns', 0], message: '"later" is made by a later step (transforms[3]); steps run in order' },
      { path: [4, 'name'], message: '"b" is already a column here (made by transforms[0]); drop or rename it first' },
    ]);
  });

  it('with the spec\'s columns, refuses names not read and a new name that is read', () => {
    const result = pipelineSpecSchema.safeParse({
      id: 'p', source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' }, table: { schema: 'public', name: 't' }, columns: ['a', 'b'],
      output: { container: 'out' },
      transforms: [{ step: 'cast', column: 'c', type: 'string' }, { step: 'concat', name: 'A', columns: ['a', 'b'] }],
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['transforms.0.column', '"c" is not among the columns read'],
      ['transforms.1.name', '"A" is already a column here (read from the source); drop or rename it first'],
    ]);
  });

  it('stores a spec that parses to itself (cast types normalized, separator defaulted)', () => {
    const once = steps([{ step: 'cast', column: 'a', type: ' DECIMAL(10, 2) ' }, { step: 'concat', name: 'c', columns: ['a'] }, { step: 'mapValues', column: 'a', values: { x: null }, type: 'TimestampTZ' }]);
    expect(once).toEqual([{ step: 'cast', column: 'a', type: 'decimal(10,2)' }, { step: 'concat', name: 'c', columns: ['a'], separator: '' }, { step: 'mapValues', column: 'a', values: { x: null }, type: 'timestamptz' }]);
    expect(steps(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });

  it('refuses more than 100 steps and unknown step kinds at their index', () => {
    expect(transformsSchema.safeParse(Array.from({ length: 101 }, () => ({ step: 'drop', columns: ['a'] }))).success).toBe(false);
    const unknown = transformsSchema.safeParse([{ step: 'explode', column: 'a' }]);
    expect(unknown.error!.issues[0]!.path).toEqual([0, 'step']);
  });
});

describe('expression steps', () => {
  const cols = [column('id', { kind: 'int64' }, false), column('amount', { kind: 'decimal', precision: 20, scale: 6 }), column('qty', { kind: 'int32' }), column('status', { kind: 'string' }), column('at', { kind: 'timestamp', utc: true })];

  it('compute adds a column of the expression\'s type, exact, or of the declared type', () => {
    const made = compiled(cols, [
      { step: 'compute', name: 'total', expression: 'amount * qty' },
      { step: 'compute', name: 'rounded', expression: 'amount * qty', type: 'decimal(30,6)' },
      { step: 'compute', name: 'next', expression: 'id + 1' },
    ]);
    expect(made.columns.slice(5).map((c) => [c.name, c.type.kind])).toEqual([['total', 'decimal'], ['rounded', 'decimal'], ['next', 'int64']]);
    expect(made.columns[6]!.type).toEqual({ kind: 'decimal', precision: 30, scale: 6 });
    const out = made.apply!([9223372036854775806n, '99999999999999.999999', 3, 'new', 0n]) as unknown[];
    expect(out.slice(5)).toEqual(['299999999999999.999997', '299999999999999.999997', 9223372036854775807n]);
  });

  it('filter keeps rows where the expression is true; false and NULL drop them', () => {
    const made = compiled(cols, [{ step: 'filter', expression: "status <> 'deleted'" }]);
    expect(made.apply!([1n, '1.000000', 1, 'new', 0n])).toEqual([1n, '1.000000', 1, 'new', 0n]);
    expect(made.apply!([1n, '1.000000', 1, 'deleted', 0n])).toBeNull();
    expect(made.apply!([1n, '1.000000', 1, null, 0n])).toBeNull();
  });

  it('a row an expression cannot compute is rejected with the step named, the chunk goes on', () => {
    const made = compiled(cols, [{ step: 'compute', name: 'next', expression: 'id + 1' }]);
    expect(made.canReject).toBe(true);
    const failed = made.apply!([9223372036854775807n, null, null, null, null]);
    expect(failed).toBeInstanceOf(TransformFailure);
    expect(failed).toMatchObject({ column: 'next', rule: 'transform', message: expect.stringMatching(/^transforms\[0\] \(compute "next"\): /) });
  });

  it('refuses at derivation an expression that does not bind, a filter that is not boolean, and a type no value survives', () => {
    const out = deriveOutputColumns(cols, steps([
      { step: 'compute', name: 'x', expression: 'nope + 1' },
      { step: 'filter', expression: 'amount + 1' },
      { step: 'compute', name: 'y', expression: 'at', type: 'int32' },
    ]));
    expect(out.refusals.map((refusal) => refusal.path)).toEqual(['transforms.0.expression', 'transforms.1.expression', 'transforms.2.type']);
    expect(out.refusals[0]!.reason).toMatch(/^transforms\[0\] \(compute\): .* at position 1$/);
  });
});
