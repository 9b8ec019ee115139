import { describe, expect, it, vi } from 'vitest';
import { chunkQuery, keyBoundsQuery, quoteIdentifier, quoteTable } from '../../src/sources/postgres/postgresDialect.js';

const table = { schema: 'sales', name: 'orders' };

describe('quoteIdentifier', () => {
  it.each([
    ['orders', '"orders"'],
    ['a"b', '"a""b"'],
    ['"', '""""'],
    ['Mixed Case', '"Mixed Case"'],
    ['x"); DROP TABLE t; --', '"x""); DROP TABLE t; --"'],
  ])('%j -> %j', (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it('rejects NUL', () => {
    expect(() => quoteIdentifier('a\u0000b')).toThrow(/NUL/);
  });
});

describe('quoteTable', () => {
  it('quotes schema and name separately', () => {
    expect(quoteTable({ schema: 'my"schema', name: 'a.b' })).toBe('"my""schema"."a.b"');
  });
});

describe('chunkQuery', () => {
  const identity = (digits: string) => digits;

  it('binds a half-open range as $1 and $2', () => {
    const q = chunkQuery(table, ['id', 'total'], 'id', ['id'], { kind: 'range', lower: '918273', upper: '918999', upperInclusive: false }, identity);
    expect(q).toEqual({
      text: 'SELECT "id", "total" FROM "sales"."orders" WHERE "id" >= $1 AND "id" < $2 ORDER BY "id"',
      values: ['918273', '918999'],
    });
  });

  it('uses <= for the last (inclusive) range', () => {
    const q = chunkQuery(table, ['id'], 'id', ['id'], { kind: 'range', lower: '1', upper: '9', upperInclusive: true }, identity);
    expect(q.text).toBe('SELECT "id" FROM "sales"."orders" WHERE "id" >= $1 AND "id" <= $2 ORDER BY "id"');
    expect(q.values).toEqual(['1', '9']);
  });

  it('never inlines bound values, even hostile ones', () => {
    const lower = "1; DROP TABLE sales.orders; --";
    const upper = "2' OR '1'='1";
    const q = chunkQuery(table, ['id'], 'id', ['id'], { kind: 'range', lower, upper, upperInclusive: false }, identity);
    expect(q.text).not.toContain('DROP');
    expect(q.text).not.toContain("'");
    expect(q.values).toEqual([lower, upper]);
  });

  it('passes bounds through keyParameter, lower then upper', () => {
    const keyParameter = vi.fn((digits: string) => `p(${digits})`);
    const q = chunkQuery(table, ['ts'], 'ts', ['ts'], { kind: 'range', lower: '-5', upper: '7', upperInclusive: false }, keyParameter);
    expect(q.values).toEqual(['p(-5)', 'p(7)']);
    expect(keyParameter.mock.calls).toEqual([['-5'], ['7']]);
    expect(q.text).not.toContain('p(');
  });

  it('selects NULL keys with IS NULL and no parameters', () => {
    const keyParameter = vi.fn(identity);
    const q = chunkQuery(table, ['id', 'k'], 'k', ['id'], { kind: 'nullKey' }, keyParameter);
    expect(q).toEqual({ text: 'SELECT "id", "k" FROM "sales"."orders" WHERE "k" IS NULL ORDER BY "id"', values: [] });
    expect(keyParameter).not.toHaveBeenCalled();
  });

  it('quotes every identifier, including multi-column ORDER BY', () => {
    const q = chunkQuery({ schema: 's"x', name: 'T' }, ['a"b', 'C'], 'K"', ['K"', 'a"b'], { kind: 'range', lower: '0', upper: '1', upperInclusive: false }, identity);
    expect(q.text).toBe('SELECT "a""b", "C" FROM "s""x"."T" WHERE "K""" >= $1 AND "K""" < $2 ORDER BY "K""", "a""b"');
  });
});

describe('keyBoundsQuery', () => {
  it('selects min and max as text', () => {
    expect(keyBoundsQuery(table, 'id')).toBe('SELECT min("id")::text AS min, max("id")::text AS max FROM "sales"."orders"');
  });
});
