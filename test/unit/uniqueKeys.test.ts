import { describe, expect, it } from 'vitest';
import { compileUniqueKeys } from '../../src/validation/uniqueKeys.js';
import { validationSchema } from '../../src/spec/validationSpec.js';
import type { Column, OutputType } from '../../src/spec/columns.js';

const column = (name: string, type: OutputType): Column => ({ name, sourceType: 'test', type, nullable: true });
const columns = [column('order_id', { kind: 'int64' }), column('tenant', { kind: 'string' }), column('code', { kind: 'string' })];

function newCheck(unique: string[][]) {
  const compiled = compileUniqueKeys(columns, validationSchema.parse({ unique }), 'Table t');
  expect(compiled.refusals).toEqual([]);
  return compiled.newCheck!;
}

describe('compileUniqueKeys', () => {
  it('quarantines the second and later rows of a key, naming the key value, and keeps the first', () => {
    const check = newCheck([['order_id'], ['tenant', 'code']])();
    expect(check([1n, 'a', 'x'])).toEqual([]);
    expect(check([2n, 'a', 'y'])).toEqual([]);
    expect(check([1n, 'b', 'x'])).toEqual([{ column: 'order_id', rule: 'unique', message: 'duplicate key order_id = 1: it first appeared earlier in the chunk' }]);
    expect(check([3n, 'a', 'y'])).toEqual([{ column: 'tenant,code', rule: 'unique', message: 'duplicate key (tenant,code) = (a, y): it first appeared earlier in the chunk' }]);
    // Both keys at once, and a third row of the same key is a duplicate too.
    expect(check([1n, 'a', 'x']).map((failure) => failure.column)).toEqual(['order_id', 'tenant,code']);
  });

  it('treats a key with a NULL part as never a duplicate, as SQL UNIQUE does', () => {
    const check = newCheck([['tenant', 'code']])();
    expect(check([1n, 'a', null])).toEqual([]);
    expect(check([2n, 'a', null])).toEqual([]);
    expect(check([3n, null, null])).toEqual([]);
    expect(check([4n, null, null])).toEqual([]);
  });

  it('keeps keys whose joined text would collide apart', () => {
    const check = newCheck([['tenant', 'code']])();
    expect(check([1n, 'a,b', 'c'])).toEqual([]);
    expect(check([2n, 'a', 'b,c'])).toEqual([]);
    expect(check([3n, '["a"', '"b"]'])).toEqual([]);
  });

  it('starts each chunk with nothing seen, so a retried chunk rejects the same rows', () => {
    const compiled = newCheck([['order_id']]);
    const rows = [[1n], [2n], [1n], [3n], [2n]];
    const rejectedBy = (check: ReturnType<typeof compiled>) => rows.flatMap((row, index) => (check(row).length ? [index] : []));
    expect(rejectedBy(compiled())).toEqual([2, 4]);
    expect(rejectedBy(compiled())).toEqual([2, 4]);
  });

  it('refuses a key naming a column not read, at validation.unique[i]', () => {
    const compiled = compileUniqueKeys(columns, validationSchema.parse({ unique: [['order_id'], ['tenant', 'nope']] }), 'Table t');
    expect(compiled.newCheck).toBeUndefined();
    expect(compiled.refusals).toEqual([{ column: 'nope', path: 'validation.unique[1]', reason: 'validation.unique[1] names "nope", which Table t does not read' }]);
  });

  it('parses unique alone, and refuses an empty key, a column named twice and a validation with neither rules nor unique', () => {
    expect(validationSchema.safeParse({ unique: [['order_id']] }).success).toBe(true);
    expect(validationSchema.safeParse({ unique: [[]] }).success).toBe(false);
    expect(validationSchema.safeParse({ unique: [['a', 'a']] }).success).toBe(false);
    const neither = validationSchema.safeParse({ maxRejectedRows: 3 });
    expect(neither.success).toBe(false);
    expect(neither.error?.issues[0]?.path).toEqual(['rules']);
  });
});
