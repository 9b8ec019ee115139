import { describe, expect, it, vi } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { OutputType } from '../../src/spec/columns.js';
import {
  chunkQuery,
  countQuery,
  fromClause,
  isJsonCheck,
  keyBoundsQuery,
  probeQuery,
  quoteIdentifier,
  sampleQuery,
  sampleSeed,
  selectList,
  sessionLimitSettings,
  sessionSettings,
  type SqlSource,
} from '../../src/sources/mysql/mysqlDialect.js';

const table: SqlSource = { kind: 'table', schema: 'shop', name: 'orders' };
const query: SqlSource = { kind: 'query', sql: 'SELECT id, total FROM shop.orders WHERE status = \'paid?\'' };
const int32: OutputType = { kind: 'int32' };
const cols = (...names: string[]) => names.map((name) => ({ name, type: int32 }));
const identity = (_kind: string, digits: string) => digits;

describe('quoteIdentifier', () => {
  it.each([
    ['orders', '`orders`'],
    ['a`b', '`a``b`'],
    ['`', '````'],
    ['Mixed Case', '`Mixed Case`'],
    ['"double"', '`"double"`'],
    ['x`; DROP TABLE t; --', '`x``; DROP TABLE t; --`'],
    ['emoji 😀', '`emoji 😀`'],
  ])('%j -> %j', (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it('rejects NUL and the empty name', () => {
    expect(() => quoteIdentifier('a\u0000b')).toThrow(NonRetryableError);
    expect(() => quoteIdentifier('a\u0000b')).toThrow(/NUL/);
    expect(() => quoteIdentifier('')).toThrow(/empty/);
  });
});

describe('fromClause', () => {
  it('quotes database and table separately', () => {
    expect(fromClause({ kind: 'table', schema: 'my`db', name: 'a.b' })).toBe('`my``db`.`a.b`');
  });

  it('wraps a query as a derived table, on lines of its own', () => {
    expect(fromClause(query)).toBe("(\nSELECT id, total FROM shop.orders WHERE status = 'paid?'\n) AS `siphon_query`");
  });

  it('drops trailing semicolons and keeps a trailing comment from eating the parenthesis', () => {
    expect(fromClause({ kind: 'query', sql: 'SELECT 1 AS x -- the end ;  \n ; ' })).toBe('(\nSELECT 1 AS x -- the end\n) AS `siphon_query`');
  });

  it('rejects an empty query', () => {
    expect(() => fromClause({ kind: 'query', sql: ' ; ' })).toThrow(/empty/);
  });
});

describe('selectList', () => {
  it('widens FLOAT to DOUBLE so every float32 digit crosses the wire', () => {
    expect(selectList([{ name: 'f`x', type: { kind: 'float32' } }, { name: 'd', type: { kind: 'float64' } }])).toBe('CAST(`f``x` AS DOUBLE) AS `f``x`, `d`');
  });

  it('refuses an empty column list', () => {
    expect(() => selectList([])).toThrow(/at least one column/);
  });
});

describe('chunkQuery', () => {
  it('binds a half-open range as two placeholders', () => {
    const q = chunkQuery(table, cols('id', 'total'), { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '918273', upper: '918999', upperInclusive: false }, identity);
    expect(q).toEqual({ sql: 'SELECT `id`, `total` FROM `shop`.`orders` WHERE `id` >= ? AND `id` < ? ORDER BY `id`', values: ['918273', '918999'] });
  });

  it('uses <= for the last (inclusive) range', () => {
    const q = chunkQuery(table, cols('id'), { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '9', upperInclusive: true }, identity);
    expect(q).toEqual({ sql: 'SELECT `id` FROM `shop`.`orders` WHERE `id` >= ? AND `id` <= ? ORDER BY `id`', values: ['1', '9'] });
  });

  it('passes bounds through keyParameter, lower then upper, and binds what it returns', () => {
    const keyParameter = vi.fn((_kind: string, digits: string) => BigInt(digits) * 2n);
    const q = chunkQuery(table, cols('k'), { column: 'k', kind: 'integer' }, ['k'], { kind: 'range', lower: '-5', upper: '7', upperInclusive: false }, keyParameter);
    expect(q.values).toEqual([-10n, 14n]);
    expect(keyParameter.mock.calls).toEqual([['integer', '-5'], ['integer', '7']]);
  });

  it('never inlines bound values, even hostile ones', () => {
    const lower = '1; DROP TABLE shop.orders; --';
    const upper = "2' OR '1'='1";
    const q = chunkQuery(table, cols('id'), { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower, upper, upperInclusive: false }, identity);
    expect(q.sql).not.toContain('DROP');
    expect(q.sql).not.toContain("'");
    expect(q.values).toEqual([lower, upper]);
  });

  it('selects NULL keys with IS NULL and no parameters', () => {
    const keyParameter = vi.fn(identity);
    const q = chunkQuery(table, cols('id', 'k'), { column: 'k', kind: 'integer' }, ['id'], { kind: 'nullKey' }, keyParameter);
    expect(q).toEqual({ sql: 'SELECT `id`, `k` FROM `shop`.`orders` WHERE `k` IS NULL ORDER BY `id`', values: [] });
    expect(keyParameter).not.toHaveBeenCalled();
  });

  it('reads everything for `all`, with or without an order and without a key', () => {
    expect(chunkQuery(table, cols('id'), undefined, [], { kind: 'all' }, identity)).toEqual({ sql: 'SELECT `id` FROM `shop`.`orders`', values: [] });
    expect(chunkQuery(table, cols('id'), undefined, ['id', 'x'], { kind: 'all' }, identity)).toEqual({ sql: 'SELECT `id` FROM `shop`.`orders` ORDER BY `id`, `x`', values: [] });
  });

  it('needs a key for range and nullKey chunks', () => {
    expect(() => chunkQuery(table, cols('id'), undefined, [], { kind: 'nullKey' }, identity)).toThrow(/split key/);
    expect(() => chunkQuery(table, cols('id'), undefined, [], { kind: 'range', lower: '1', upper: '2', upperInclusive: false }, identity)).toThrow(/split key/);
  });

  it('reads a query target through the derived table, for every range kind', () => {
    const from = "FROM (\nSELECT id, total FROM shop.orders WHERE status = 'paid?'\n) AS `siphon_query`";
    expect(chunkQuery(query, cols('id', 'total'), { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '5', upperInclusive: false }, identity))
      .toEqual({ sql: `SELECT \`id\`, \`total\` ${from} WHERE \`id\` >= ? AND \`id\` < ? ORDER BY \`id\``, values: ['1', '5'] });
    expect(chunkQuery(query, cols('id'), { column: 'id', kind: 'integer' }, [], { kind: 'nullKey' }, identity).sql).toBe(`SELECT \`id\` ${from} WHERE \`id\` IS NULL`);
    expect(chunkQuery(query, cols('id'), undefined, [], { kind: 'all' }, identity).sql).toBe(`SELECT \`id\` ${from}`);
  });

  it('quotes every identifier, including a multi-column ORDER BY', () => {
    const q = chunkQuery({ kind: 'table', schema: 's`x', name: 'T' }, cols('a`b', 'C'), { column: 'K`', kind: 'integer' }, ['K`', 'a`b'], { kind: 'range', lower: '0', upper: '1', upperInclusive: false }, identity);
    expect(q.sql).toBe('SELECT `a``b`, `C` FROM `s``x`.`T` WHERE `K``` >= ? AND `K``` < ? ORDER BY `K```, `a``b`');
  });
});

describe('statements around the chunks', () => {
  it('keyBoundsQuery selects MIN and MAX', () => {
    expect(keyBoundsQuery(table, 'created at')).toBe('SELECT MIN(`created at`), MAX(`created at`) FROM `shop`.`orders`');
  });

  it('countQuery and probeQuery read the same source', () => {
    expect(countQuery(table)).toBe('SELECT COUNT(*) FROM `shop`.`orders`');
    expect(probeQuery({ kind: 'query', sql: 'SELECT 1 AS one' })).toBe('SELECT * FROM (\nSELECT 1 AS one\n) AS `siphon_query` LIMIT 0');
  });

  it('sampleQuery binds the fraction and skips NULL keys', () => {
    // Seeded, so unchanged data gives the same sample and the same chunk plan on every run.
    expect(sampleQuery(table, 'k', 0.0125)).toEqual({ sql: 'SELECT `k` FROM `shop`.`orders` WHERE `k` IS NOT NULL AND RAND(?) < ?', values: [sampleSeed, 0.0125] });
  });
});

describe('isJsonCheck', () => {
  it("recognises MariaDB's check for a JSON column", () => {
    expect(isJsonCheck('json_valid(`doc`)', 'doc')).toBe(true);
    expect(isJsonCheck('JSON_VALID( `doc` )', 'doc')).toBe(true);
    expect(isJsonCheck('json_valid(`we``ird`)', 'we`ird')).toBe(true);
  });

  it('ignores other checks and other columns', () => {
    expect(isJsonCheck('json_valid(`doc`)', 'other')).toBe(false);
    expect(isJsonCheck('`doc` is null or json_valid(`doc`)', 'doc')).toBe(false);
    expect(isJsonCheck('`qty` > 0', 'qty')).toBe(false);
  });
});

describe('session settings', () => {
  it('makes every transaction read-only', () => {
    expect(sessionSettings).toContain('SET SESSION TRANSACTION READ ONLY');
  });

  it('sets the statement timeout in each flavor\'s own unit, and both lock waits', () => {
    const limits = { statementTimeoutSeconds: 600, lockTimeoutSeconds: 5 };
    expect(sessionLimitSettings('mariadb', limits)).toEqual(['SET SESSION max_statement_time = 600', 'SET SESSION lock_wait_timeout = 5', 'SET SESSION innodb_lock_wait_timeout = 5']);
    expect(sessionLimitSettings('mysql', limits)[0]).toBe('SET SESSION max_execution_time = 600000');
  });

  it('refuses a timeout below one second', () => {
    expect(() => sessionLimitSettings('mariadb', { statementTimeoutSeconds: 0.2, lockTimeoutSeconds: 5 })).toThrow(NonRetryableError);
  });
});
