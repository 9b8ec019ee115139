import { describe, expect, it, vi } from 'vitest';
import { chunkQuery, copyStatement, fromClause, keyBoundsQuery, keyLiteral, keySampleQuery, keyValueText, quoteIdentifier, quoteLiteral, quoteTable, sessionSettings } from '../../src/sources/postgres/postgresDialect.js';
import type { TableRef } from '../../src/sources/sourceConnector.js';

/** chunkQuery on a table with plain columns; the select list is the quoted names. */
function chunk(t: TableRef, columns: string[], ...rest: Parameters<typeof chunkQuery> extends [unknown, unknown, ...infer R] ? R : never) {
  return chunkQuery({ kind: 'table', table: t }, columns.map(quoteIdentifier), ...rest);
}

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
  const identity = (_kind: string, digits: string) => digits;

  it('binds a half-open range as $1 and $2', () => {
    const q = chunk(table, ['id', 'total'], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '918273', upper: '918999', upperInclusive: false }, identity);
    expect(q).toEqual({
      text: 'SELECT "id", "total" FROM "sales"."orders" WHERE "id" >= $1 AND "id" < $2 ORDER BY "id"',
      values: ['918273', '918999'],
    });
  });

  it('uses <= for the last (inclusive) range', () => {
    const q = chunk(table, ['id'], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '9', upperInclusive: true }, identity);
    expect(q.text).toBe('SELECT "id" FROM "sales"."orders" WHERE "id" >= $1 AND "id" <= $2 ORDER BY "id"');
    expect(q.values).toEqual(['1', '9']);
  });

  it('never inlines bound values, even hostile ones', () => {
    const lower = "1; DROP TABLE sales.orders; --";
    const upper = "2' OR '1'='1";
    const q = chunk(table, ['id'], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower, upper, upperInclusive: false }, identity);
    expect(q.text).not.toContain('DROP');
    expect(q.text).not.toContain("'");
    expect(q.values).toEqual([lower, upper]);
  });

  it('passes bounds through keyParameter, lower then upper', () => {
    const keyParameter = vi.fn((_kind: string, digits: string) => `p(${digits})`);
    const q = chunk(table, ['ts'], { column: 'ts', kind: 'timestamp' }, ['ts'], { kind: 'range', lower: '-5', upper: '7', upperInclusive: false }, keyParameter);
    expect(q.values).toEqual(['p(-5)', 'p(7)']);
    expect(keyParameter.mock.calls).toEqual([['timestamp', '-5'], ['timestamp', '7']]);
    expect(q.text).not.toContain('p(');
  });

  it('selects NULL keys with IS NULL and no parameters', () => {
    const keyParameter = vi.fn(identity);
    const q = chunk(table, ['id', 'k'], { column: 'k', kind: 'integer' }, ['id'], { kind: 'nullKey' }, keyParameter);
    expect(q).toEqual({ text: 'SELECT "id", "k" FROM "sales"."orders" WHERE "k" IS NULL ORDER BY "id"', values: [] });
    expect(keyParameter).not.toHaveBeenCalled();
  });

  it('quotes every identifier, including multi-column ORDER BY', () => {
    const q = chunk({ schema: 's"x', name: 'T' }, ['a"b', 'C'], { column: 'K"', kind: 'integer' }, ['K"', 'a"b'], { kind: 'range', lower: '0', upper: '1', upperInclusive: false }, identity);
    expect(q.text).toBe('SELECT "a""b", "C" FROM "s""x"."T" WHERE "K""" >= $1 AND "K""" < $2 ORDER BY "K""", "a""b"');
  });
});

describe('chunkQuery on other targets', () => {
  const identity = (_kind: string, digits: string) => digits;
  const query = { kind: 'query', sql: 'SELECT id, total FROM sales.orders WHERE total > 0' } as const;

  it('reads a whole table in one chunk without a WHERE, ordered by the primary key', () => {
    expect(chunk(table, ['id'], undefined, ['id'], { kind: 'all' }, identity)).toEqual({ text: 'SELECT "id" FROM "sales"."orders" ORDER BY "id"', values: [] });
  });

  it('streams a query unordered when it is one chunk, keeping its own ORDER BY if any', () => {
    expect(chunkQuery(query, ['"id"'], undefined, [], { kind: 'all' }, identity).text).toBe('SELECT "id" FROM (\nSELECT id, total FROM sales.orders WHERE total > 0\n) AS siphon_query');
  });

  it('ranges over a query as a derived table', () => {
    const q = chunkQuery(query, ['"id"', '"total"'], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '5', upperInclusive: false }, identity);
    expect(q.text).toBe('SELECT "id", "total" FROM (\nSELECT id, total FROM sales.orders WHERE total > 0\n) AS siphon_query WHERE "id" >= $1 AND "id" < $2 ORDER BY "id"');
    expect(q.values).toEqual(['1', '5']);
  });

  it('leaves a table without a schema to the search path', () => {
    expect(quoteTable({ name: 'orders' })).toBe('"orders"');
  });

  it('refuses a range without a key', () => {
    expect(() => chunk(table, ['id'], undefined, [], { kind: 'nullKey' }, identity)).toThrow(/needs a split key/);
  });
});

describe('COPY: key values as literals', () => {
  it('writes integer keys as their digits, dates and timestamps as quoted ISO text cast to the key type', () => {
    expect(keyLiteral('integer', '-9223372036854775808')).toBe('-9223372036854775808');
    expect(keyLiteral('date', '19844')).toBe("'2024-05-01'::date");
    expect(keyLiteral('date', '-735160')).toBe("'0044-03-15 BC'::date");
    expect(keyLiteral('timestamp', '1714566896123456')).toBe("'2024-05-01T12:34:56.123456'::timestamp");
    expect(keyLiteral('timestamptz', '0')).toBe("'1970-01-01T00:00:00.000000Z'::timestamptz");
    expect(keyValueText('timestamptz', '0')).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('takes integer digits only, so nothing but generated text reaches the statement', () => {
    for (const digits of ["1; DROP TABLE t", "1' OR '1'='1", '1e3', '', ' 1', '0x10', '1'.repeat(21)]) {
      for (const kind of ['integer', 'date', 'timestamp', 'timestamptz'] as const) expect(() => keyLiteral(kind, digits), `${kind} ${digits}`).toThrow(/integer digits/);
    }
  });

  it('quotes a literal by doubling its quotes (standard-conforming strings), and refuses NUL', () => {
    expect(quoteLiteral("it's \\ fine")).toBe("'it''s \\ fine'");
    expect(() => quoteLiteral('a\u0000b')).toThrow(/NUL/);
  });

  it('inlines the literals of a range and a window, binding nothing', () => {
    const q = chunkQuery({ kind: 'table', table }, ['"id"'], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '5', upper: '9', upperInclusive: false }, (kind, digits) => keyLiteral(kind, digits),
      { column: 'at', after: keyLiteral('timestamptz', '0'), upTo: keyLiteral('timestamptz', '1000000') }, 'inline');
    expect(q).toEqual({
      text: `SELECT "id" FROM "sales"."orders" WHERE "id" >= 5 AND "id" < 9 AND "at" > '1970-01-01T00:00:00.000000Z'::timestamptz AND "at" <= '1970-01-01T00:00:01.000000Z'::timestamptz ORDER BY "id"`,
      values: [],
    });
    expect(copyStatement(q.text)).toBe(`COPY (${q.text}) TO STDOUT (FORMAT binary)`);
  });
});

describe('keyBoundsQuery', () => {
  it('selects min and max as text', () => {
    expect(keyBoundsQuery({ kind: 'table', table }, 'id')).toBe('SELECT min("id")::text AS min, max("id")::text AS max FROM "sales"."orders"');
  });
});

describe('keySampleQuery', () => {
  it('samples pages of a table and rows of a query, clamping the percentage', () => {
    expect(keySampleQuery({ kind: 'table', table }, 'id', 2.5)).toBe('SELECT "id"::text AS key FROM "sales"."orders" TABLESAMPLE SYSTEM (2.5000) REPEATABLE (0) WHERE "id" IS NOT NULL');
    expect(keySampleQuery({ kind: 'table', table }, 'id', 250)).toContain('SYSTEM (100.0000)');
    expect(keySampleQuery({ kind: 'query', sql: 'SELECT 1 AS id' }, 'id', 10)).toBe('SELECT "id"::text AS key FROM (\nSELECT 1 AS id\n) AS siphon_query WHERE "id" IS NOT NULL AND random() * 100 < 10.0000');
  });
});

describe('fromClause', () => {
  it('puts a query on lines of its own, so a trailing -- comment cannot swallow the closing parenthesis', () => {
    expect(fromClause({ kind: 'query', sql: 'SELECT 1 AS id -- the key' })).toBe('(\nSELECT 1 AS id -- the key\n) AS siphon_query');
  });
});

describe('sessionSettings', () => {
  it('makes the session read-only, with statement and lock timeouts in milliseconds', () => {
    const text = sessionSettings({ statementTimeoutSeconds: 600, lockTimeoutSeconds: 5 });
    expect(text).toContain('SET default_transaction_read_only = on');
    expect(text).toContain('SET statement_timeout = 600000');
    expect(text).toContain('SET lock_timeout = 5000');
    expect(text).toContain('SET standard_conforming_strings = on');
  });

  it('refuses a timeout that is not a positive number of seconds', () => {
    expect(() => sessionSettings({ statementTimeoutSeconds: 0, lockTimeoutSeconds: 5 })).toThrow(/positive number of seconds, not 0/);
  });
});
