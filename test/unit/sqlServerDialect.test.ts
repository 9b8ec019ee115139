import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { Column } from '../../src/spec/columns.js';
import type { ReadTarget } from '../../src/sources/sourceConnector.js';
import {
  chunkQuery, describeQueryQuery, describeTableQuery, fromClause, keyBoundsQuery, keyParameter, keyText, primaryKeyQuery,
  quoteIdentifier, quoteTable, randomSampleQuery, rowEstimateQuery, selectExpression, statisticsHistogramQuery, tableSampleQuery,
  type PreciseDate, type SqlParam,
} from '../../src/sources/sqlserver/sqlServerDialect.js';

const orders: ReadTarget = { kind: 'table', table: { schema: 'sales', name: 'orders' } };
const noSchema: ReadTarget = { kind: 'table', table: { name: 'orders' } };
const query: ReadTarget = { kind: 'query', sql: 'SELECT id, total FROM sales.orders WHERE region = 1' };

function col(name: string, sourceType: string, type: Column['type']): Column {
  return { name, sourceType, nullable: true, type };
}
const id = col('id', 'bigint', { kind: 'int64' });
const total = col('total', 'decimal(38,10)', { kind: 'decimal', precision: 38, scale: 10 });

/** What tedious writes for a datetime2(7)/datetimeoffset(7) parameter: 100 ns ticks since midnight (UTC fields). */
function tediousTicks(date: PreciseDate): number {
  const ms = ((date.getUTCHours() * 60 + date.getUTCMinutes()) * 60 + date.getUTCSeconds()) * 1000 + date.getUTCMilliseconds();
  return Math.round(ms * 10 ** 4 + date.nanosecondDelta * 10 ** 7);
}

describe('quoteIdentifier', () => {
  it.each([
    ['orders', '[orders]'],
    ['a]b', '[a]]b]'],
    [']', '[]]]'],
    ['[x', '[[x]'],
    ['Mixed Case', '[Mixed Case]'],
    ["it's", "[it's]"],
    ['"quoted"', '["quoted"]'],
    ['x]; DROP TABLE t; --', '[x]]; DROP TABLE t; --]'],
    ['Ünïcödé 𝄞', '[Ünïcödé 𝄞]'],
  ])('%j -> %j', (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  it('rejects NUL without retry', () => {
    expect(() => quoteIdentifier('a\u0000b')).toThrow(NonRetryableError);
    expect(() => quoteIdentifier('a\u0000b')).toThrow(/NUL/);
  });
});

describe('quoteTable and fromClause', () => {
  it('quotes schema and name separately', () => {
    expect(quoteTable({ schema: 'my]schema', name: 'a.b' })).toBe('[my]]schema].[a.b]');
  });

  it('defaults the schema to dbo', () => {
    expect(quoteTable({ name: 'orders' })).toBe('[dbo].[orders]');
    expect(fromClause(noSchema)).toBe('[dbo].[orders]');
  });

  it('wraps a query as a derived table on lines of its own, without a trailing semicolon', () => {
    expect(fromClause({ kind: 'query', sql: 'SELECT 1 AS one -- trailing comment' })).toBe('(\nSELECT 1 AS one -- trailing comment\n) AS siphon_query');
    expect(fromClause({ kind: 'query', sql: 'SELECT 1 AS one;\n  ' })).toBe('(\nSELECT 1 AS one\n) AS siphon_query');
  });
});

describe('introspection queries', () => {
  it('describes a table from sys.columns / sys.types by bound schema and name', () => {
    const q = describeTableQuery({ schema: 'sales', name: "o'rders]" });
    expect(q.text).toContain('FROM sys.columns c');
    expect(q.text).toContain('JOIN sys.types t ON t.user_type_id = c.user_type_id');
    expect(q.text).toContain('JOIN sys.schemas s');
    expect(q.text).toContain("s.name = @schema AND o.name = @table AND o.type IN ('U', 'V')");
    expect(q.text).toContain('CASE WHEN t.is_assembly_type = 1 THEN t.name ELSE TYPE_NAME(c.system_type_id) END AS type_name');
    expect(q.text).toMatch(/max_length[\s\S]*precision[\s\S]*scale[\s\S]*is_nullable/);
    expect(q.text).toContain('ORDER BY c.column_id');
    expect(q.text).not.toContain("o'rders");
    expect(q.params).toEqual([
      { name: 'schema', type: 'nvarchar', length: 128, value: 'sales' },
      { name: 'table', type: 'nvarchar', length: 128, value: "o'rders]" },
    ]);
  });

  it('uses dbo when the table has no schema', () => {
    expect(describeTableQuery({ name: 'orders' }).params[0]).toEqual({ name: 'schema', type: 'nvarchar', length: 128, value: 'dbo' });
  });

  it('describes a query with sys.dm_exec_describe_first_result_set, the SQL bound as nvarchar(max)', () => {
    const sql = "SELECT N'x' AS a; DROP TABLE t";
    const q = describeQueryQuery(sql);
    expect(q.text).toContain('FROM sys.dm_exec_describe_first_result_set(@sql, NULL, 0)');
    expect(q.text).toMatch(/system_type_name[\s\S]*max_length[\s\S]*precision[\s\S]*scale[\s\S]*is_nullable[\s\S]*error_message/);
    expect(q.text).toContain('ORDER BY column_ordinal');
    expect(q.text).not.toContain('DROP');
    expect(q.params).toEqual([{ name: 'sql', type: 'nvarchar', length: 'max', value: sql }]);
  });

  it('finds the primary key through sys.indexes and sys.index_columns in key order', () => {
    const q = primaryKeyQuery({ schema: 'sales', name: 'orders' });
    expect(q.text).toContain('FROM sys.indexes i');
    expect(q.text).toContain('JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id');
    expect(q.text).toContain('i.is_primary_key = 1');
    expect(q.text).toContain('ORDER BY ic.key_ordinal');
    expect(q.params.map((p) => p.value)).toEqual(['sales', 'orders']);
  });

  it('estimates rows from sys.partitions (heap or clustered index only)', () => {
    const q = rowEstimateQuery({ schema: 'sales', name: 'orders' });
    expect(q.text).toContain('sys.partitions p ON p.object_id = o.object_id AND p.index_id IN (0, 1)');
    expect(q.text).toContain('SUM(p.rows)');
    expect(q.params.map((p) => p.value)).toEqual(['sales', 'orders']);
  });

  it('reads the freshest histogram whose leading column is the key', () => {
    const q = statisticsHistogramQuery({ schema: 'sales', name: 'orders' }, 'created]at', 'timestamp');
    expect(q.text).toContain('FROM sys.stats st');
    expect(q.text).toContain('sc.stats_column_id = 1');
    expect(q.text).toContain('c.name = @column');
    expect(q.text).toContain('CROSS APPLY sys.dm_db_stats_properties(st.object_id, st.stats_id) sp');
    expect(q.text).toContain('ORDER BY sp.last_updated DESC');
    expect(q.text).toContain('CROSS APPLY sys.dm_db_stats_histogram(chosen.object_id, chosen.stats_id) h');
    expect(q.text).toContain('CONVERT(varchar(27), CONVERT(datetime2(7), h.range_high_key), 121) AS high_key');
    expect(q.text).toMatch(/range_rows[\s\S]*equal_rows[\s\S]*ORDER BY h\.step_number$/);
    expect(q.text).not.toContain('created]at');
    expect(q.params).toEqual([
      { name: 'schema', type: 'nvarchar', length: 128, value: 'sales' },
      { name: 'table', type: 'nvarchar', length: 128, value: 'orders' },
      { name: 'column', type: 'nvarchar', length: 128, value: 'created]at' },
    ]);
  });
});

describe('keyText', () => {
  it.each([
    ['integer', 'CONVERT(varchar(20), CONVERT(bigint, x))'],
    ['date', 'CONVERT(char(10), CONVERT(date, x), 23)'],
    ['timestamp', 'CONVERT(varchar(27), CONVERT(datetime2(7), x), 121)'],
    ['timestamptz', 'CONVERT(varchar(34), CONVERT(datetimeoffset(7), x), 121)'],
  ] as const)('%s', (kind, sql) => {
    expect(keyText(kind, 'x')).toBe(sql);
  });
});

describe('keyBoundsQuery', () => {
  it('selects MIN and MAX as text from a table, without counting it', () => {
    const q = keyBoundsQuery(orders, 'id', 'integer');
    expect(q).toEqual({
      text: 'SELECT CONVERT(varchar(20), CONVERT(bigint, MIN([id]))) AS min_key,\n       CONVERT(varchar(20), CONVERT(bigint, MAX([id]))) AS max_key\n  FROM [sales].[orders]',
      params: [],
    });
  });

  it('counts a query in the same pass', () => {
    const q = keyBoundsQuery(query, 'created', 'timestamptz');
    expect(q.text).toBe(
      'SELECT CONVERT(varchar(34), CONVERT(datetimeoffset(7), MIN([created])), 121) AS min_key,\n' +
      '       CONVERT(varchar(34), CONVERT(datetimeoffset(7), MAX([created])), 121) AS max_key,\n' +
      '       CAST(COUNT_BIG(*) AS float) AS row_count\n' +
      '  FROM (\nSELECT id, total FROM sales.orders WHERE region = 1\n) AS siphon_query',
    );
    expect(q.params).toEqual([]);
  });
});

describe('sampling queries', () => {
  it('samples pages of a table with a computed literal percentage and a bound TOP', () => {
    const q = tableSampleQuery({ schema: 'sales', name: 'orders' }, 'id', 'integer', 0.0123456789, 5000);
    expect(q.text).toBe(
      'SELECT TOP (@limit) CONVERT(varchar(20), CONVERT(bigint, [id])) AS sample_key\n' +
      '  FROM [sales].[orders] TABLESAMPLE SYSTEM (0.012346 PERCENT) REPEATABLE (1)\n' +
      ' WHERE [id] IS NOT NULL',
    );
    expect(q.params).toEqual([{ name: 'limit', type: 'int', value: 5000 }]);
  });

  it('clamps the percentage to (0, 100] and refuses a non-number', () => {
    expect(tableSampleQuery({ name: 't' }, 'id', 'integer', 250, 10).text).toContain('(100.000000 PERCENT)');
    expect(tableSampleQuery({ name: 't' }, 'id', 'integer', 0, 10).text).toContain('(0.000001 PERCENT)');
    expect(() => tableSampleQuery({ name: 't' }, 'id', 'integer', Number.NaN, 10)).toThrow();
  });

  it('samples a query uniformly with TOP and ORDER BY NEWID()', () => {
    const q = randomSampleQuery(query, 'day', 'date', 1000);
    expect(q.text).toBe(
      'SELECT TOP (@limit) CONVERT(char(10), CONVERT(date, [day]), 23) AS sample_key\n' +
      '  FROM (\nSELECT id, total FROM sales.orders WHERE region = 1\n) AS siphon_query\n' +
      ' WHERE [day] IS NOT NULL\n' +
      ' ORDER BY NEWID()',
    );
    expect(q.params).toEqual([{ name: 'limit', type: 'int', value: 1000 }]);
  });
});

describe('selectExpression', () => {
  it.each([
    [col('id', 'int', { kind: 'int32' }), '[id]'],
    [col('big', 'bigint', { kind: 'int64' }), '[big]'],
    [col('name', 'nvarchar(max)', { kind: 'string' }), '[name]'],
    [col('d', 'date', { kind: 'date' }), '[d]'],
    [col('dt', 'datetime', { kind: 'timestamp', utc: false }), '[dt]'],
    [col('amount', 'decimal(38,10)', { kind: 'decimal', precision: 38, scale: 10 }), 'CONVERT(nvarchar(42), [amount]) AS [amount]'],
    [col('n', 'numeric(5,0)', { kind: 'decimal', precision: 5, scale: 0 }), 'CONVERT(nvarchar(42), [n]) AS [n]'],
    [col('price', 'money', { kind: 'decimal', precision: 19, scale: 4 }), 'CONVERT(nvarchar(24), [price], 2) AS [price]'],
    [col('fee', 'smallmoney', { kind: 'decimal', precision: 10, scale: 4 }), 'CONVERT(nvarchar(24), [fee], 2) AS [fee]'],
    [col('at', 'datetime2(7)', { kind: 'timestamp', utc: false }), 'CONVERT(nvarchar(27), [at], 121) AS [at]'],
    [col('seen', 'datetimeoffset(7)', { kind: 'timestampOffset' }), 'CONVERT(nvarchar(34), [seen], 121) AS [seen]'],
    [col('t', 'time(7)', { kind: 'time' }), 'CONVERT(nvarchar(16), [t], 121) AS [t]'],
    [col('doc', 'json', { kind: 'json' }), 'CONVERT(nvarchar(max), [doc]) AS [doc]'],
    [col('a]b', 'decimal(9,2)', { kind: 'decimal', precision: 9, scale: 2 }), 'CONVERT(nvarchar(42), [a]]b]) AS [a]]b]'],
  ])('%j', (column, sql) => {
    expect(selectExpression(column)).toBe(sql);
  });
});

describe('keyParameter', () => {
  it('binds integer keys as bigint, exactly at both ends of the range', () => {
    expect(keyParameter('lower', 'integer', '-9223372036854775808')).toEqual({ name: 'lower', type: 'bigint', value: -9223372036854775808n });
    expect(keyParameter('upper', 'integer', '9223372036854775807')).toEqual({ name: 'upper', type: 'bigint', value: 9223372036854775807n });
  });

  it('binds date keys as a date at UTC midnight', () => {
    const first = keyParameter('lower', 'date', '-719162');
    expect(first.type).toBe('date');
    expect((first.value as Date).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect((keyParameter('upper', 'date', '2932896').value as Date).toISOString()).toBe('9999-12-31T00:00:00.000Z');
    expect((keyParameter('upper', 'date', '19844').value as Date).toISOString()).toBe('2024-05-01T00:00:00.000Z');
  });

  it('binds timestamps as datetime2(7) and datetimeoffset(7), the microseconds below the millisecond in nanosecondDelta', () => {
    const micros = '1714557600123456'; // 2024-05-01T10:00:00.123456
    const wall = keyParameter('lower', 'timestamp', micros) as Extract<SqlParam, { type: 'datetime2' }>;
    expect(wall.type).toBe('datetime2');
    expect(wall.scale).toBe(7);
    expect(wall.value.toISOString()).toBe('2024-05-01T10:00:00.123Z');
    expect(wall.value.nanosecondDelta).toBeCloseTo(0.000456, 12);
    expect(tediousTicks(wall.value)).toBe(360_001_234_560);
    const instant = keyParameter('upper', 'timestamptz', micros) as Extract<SqlParam, { type: 'datetimeoffset' }>;
    expect(instant.type).toBe('datetimeoffset');
    expect(instant.scale).toBe(7);
    expect(instant.value.toISOString()).toBe('2024-05-01T10:00:00.123Z');
    expect(tediousTicks(instant.value)).toBe(360_001_234_560);
  });

  it('keeps every microsecond exact through tedious\' tick arithmetic, before 1970 too', () => {
    for (const micros of [-1n, 0n, 1n, 999n, 1000n, 86_399_999_999n, -62_135_596_800_000_000n, 253_402_300_799_999_999n, -14_182_939_500_001n]) {
      const param = keyParameter('lower', 'timestamp', String(micros)) as Extract<SqlParam, { type: 'datetime2' }>;
      const microsOfDay = ((micros % 86_400_000_000n) + 86_400_000_000n) % 86_400_000_000n;
      expect(tediousTicks(param.value)).toBe(Number(microsOfDay * 10n));
      expect(param.value.nanosecondDelta).toBeGreaterThanOrEqual(0);
      expect(param.value.nanosecondDelta).toBeLessThan(0.001);
    }
    const beforeEpoch = keyParameter('lower', 'timestamp', '-1') as Extract<SqlParam, { type: 'datetime2' }>;
    expect(beforeEpoch.value.toISOString()).toBe('1969-12-31T23:59:59.999Z');
  });

  it('refuses bounds outside years 1-9999 and anything but digits', () => {
    expect(() => keyParameter('lower', 'timestamp', '253402300800000000')).toThrow(NonRetryableError);
    expect(() => keyParameter('lower', 'timestamptz', '-62135596800000001')).toThrow(NonRetryableError);
    expect(() => keyParameter('lower', 'date', '2932897')).toThrow(NonRetryableError);
    expect(() => keyParameter('lower', 'integer', "1; DROP TABLE t; --")).toThrow(NonRetryableError);
    expect(() => keyParameter('lower', 'integer', '1.5')).toThrow(NonRetryableError);
  });
});

describe('chunkQuery', () => {
  it('reads a composite key range with each column bound, and a partition by the partition function', () => {
    const tuple = chunkQuery(orders, [id], { column: 'tenant', kind: 'integer', next: { column: 'id', kind: 'integer' } }, ['tenant', 'id'], { kind: 'tuple', lower: ['1', '500'], upper: ['2'], upperInclusive: false });
    expect(tuple.text).toBe('SELECT [id]\n  FROM [sales].[orders]\n WHERE [tenant] >= @k0 AND ([tenant] > @k1 OR [id] >= @k2) AND [tenant] < @k3\n ORDER BY [tenant], [id]');
    expect(tuple.params.map((param) => param.value)).toEqual([1n, 1n, 500n, 2n]);
    const partition = chunkQuery(orders, [id], undefined, [], { kind: 'partition', function: 'pf]Year', column: 'order date', number: 3 });
    expect(partition.text).toBe('SELECT [id]\n  FROM [sales].[orders]\n WHERE $PARTITION.[pf]]Year]([order date]) = @partition');
    expect(partition.params).toEqual([{ name: 'partition', type: 'int', value: 3 }]);
  });

  it('reads a half-open range with @lower and @upper bound as bigint', () => {
    const q = chunkQuery(orders, [id, total], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '918273', upper: '918999', upperInclusive: false });
    expect(q.text).toBe(
      'SELECT [id], CONVERT(nvarchar(42), [total]) AS [total]\n' +
      '  FROM [sales].[orders]\n' +
      ' WHERE [id] >= @lower AND [id] < @upper\n' +
      ' ORDER BY [id]',
    );
    expect(q.params).toEqual([
      { name: 'lower', type: 'bigint', value: 918273n },
      { name: 'upper', type: 'bigint', value: 918999n },
    ]);
  });

  it('closes the last range with <=', () => {
    const q = chunkQuery(orders, [id], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '9', upperInclusive: true });
    expect(q.text).toBe('SELECT [id]\n  FROM [sales].[orders]\n WHERE [id] >= @lower AND [id] <= @upper\n ORDER BY [id]');
  });

  it.each([
    ['date', 'date', '19844', '2024-05-01T00:00:00.000Z'],
    ['timestamp', 'datetime2', '1714557600000000', '2024-05-01T10:00:00.000Z'],
    ['timestamptz', 'datetimeoffset', '1714557600000000', '2024-05-01T10:00:00.000Z'],
  ] as const)('binds %s bounds as %s', (kind, type, digits, iso) => {
    const q = chunkQuery(orders, [id], { column: 'k', kind }, ['k'], { kind: 'range', lower: digits, upper: digits, upperInclusive: false });
    expect(q.text).toContain('WHERE [k] >= @lower AND [k] < @upper');
    expect(q.params.map((p) => [p.name, p.type, (p.value as Date).toISOString()])).toEqual([['lower', type, iso], ['upper', type, iso]]);
  });

  it('reads NULL keys with IS NULL and no parameters', () => {
    const q = chunkQuery(orders, [id], { column: 'k', kind: 'integer' }, ['id'], { kind: 'nullKey' });
    expect(q).toEqual({ text: 'SELECT [id]\n  FROM [sales].[orders]\n WHERE [k] IS NULL\n ORDER BY [id]', params: [] });
  });

  it('reads everything for `all`, with or without a key and an order', () => {
    expect(chunkQuery(orders, [id], undefined, [], { kind: 'all' })).toEqual({ text: 'SELECT [id]\n  FROM [sales].[orders]', params: [] });
    expect(chunkQuery(orders, [id], { column: 'id', kind: 'integer' }, ['id'], { kind: 'all' }).text).toBe('SELECT [id]\n  FROM [sales].[orders]\n ORDER BY [id]');
  });

  it('applies the same WHERE and ORDER BY to a query target', () => {
    const q = chunkQuery(query, [id, total], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '2', upperInclusive: false });
    expect(q.text).toBe(
      'SELECT [id], CONVERT(nvarchar(42), [total]) AS [total]\n' +
      '  FROM (\nSELECT id, total FROM sales.orders WHERE region = 1\n) AS siphon_query\n' +
      ' WHERE [id] >= @lower AND [id] < @upper\n' +
      ' ORDER BY [id]',
    );
  });

  it('quotes every identifier, including a multi-column ORDER BY', () => {
    const q = chunkQuery({ kind: 'table', table: { schema: 's]x', name: 'T' } }, [col('a]b', 'int', { kind: 'int32' }), col('C', 'int', { kind: 'int32' })], { column: 'K]', kind: 'integer' }, ['K]', 'a]b'], { kind: 'range', lower: '0', upper: '1', upperInclusive: false });
    expect(q.text).toBe('SELECT [a]]b], [C]\n  FROM [s]]x].[T]\n WHERE [K]]] >= @lower AND [K]]] < @upper\n ORDER BY [K]]], [a]]b]');
  });

  it('never inlines bounds: hostile text is refused before any SQL is built', () => {
    expect(() => chunkQuery(orders, [id], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: "1 OR 1=1", upper: '2', upperInclusive: false })).toThrow(NonRetryableError);
  });

  it('reads committed data: no NOLOCK hint', () => {
    const q = chunkQuery(orders, [id], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '2', upperInclusive: false });
    expect(q.text.toUpperCase()).not.toContain('NOLOCK');
    expect(q.text.toUpperCase()).not.toContain('READUNCOMMITTED');
  });

  it('needs a key for range and nullKey chunks, and at least one column', () => {
    expect(() => chunkQuery(orders, [id], undefined, [], { kind: 'nullKey' })).toThrow(/split key/);
    expect(() => chunkQuery(orders, [id], undefined, [], { kind: 'range', lower: '1', upper: '2', upperInclusive: false })).toThrow(/split key/);
    expect(() => chunkQuery(orders, [], undefined, [], { kind: 'all' })).toThrow(/column/);
  });
});

describe('incremental windows', () => {
  const rv = (hex: string) => Buffer.from(hex, 'hex');

  it('adds cursor > @after AND cursor <= @upTo on top of the chunk range, bound in the cursor kind', () => {
    const q = chunkQuery(orders, [id], { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '1', upper: '50', upperInclusive: false }, { column: 'updated', kind: 'timestamp', after: '1714557600000000', upTo: '1714557601000000' });
    expect(q.text).toBe('SELECT [id]\n  FROM [sales].[orders]\n WHERE [id] >= @lower AND [id] < @upper AND [updated] > @after AND [updated] <= @upTo\n ORDER BY [id]');
    expect(q.params.map((p) => [p.name, p.type, p.value instanceof Date ? p.value.toISOString() : p.value])).toEqual([
      ['lower', 'bigint', 1n], ['upper', 'bigint', 50n], ['after', 'datetime2', '2024-05-01T10:00:00.000Z'], ['upTo', 'datetime2', '2024-05-01T10:00:01.000Z'],
    ]);
  });

  it('applies the window to the all and nullKey chunks too, and leaves out @after on a first run', () => {
    const window = { column: 'seq', kind: 'integer' as const, upTo: '900' };
    expect(chunkQuery(orders, [id], undefined, ['id'], { kind: 'all' }, window)).toEqual({
      text: 'SELECT [id]\n  FROM [sales].[orders]\n WHERE [seq] <= @upTo\n ORDER BY [id]',
      params: [{ name: 'upTo', type: 'bigint', value: 900n }],
    });
    const nulls = chunkQuery(query, [id], { column: 'k', kind: 'integer' }, [], { kind: 'nullKey' }, { ...window, after: '10' });
    expect(nulls.text).toBe('SELECT [id]\n  FROM (\nSELECT id, total FROM sales.orders WHERE region = 1\n) AS siphon_query\n WHERE [k] IS NULL AND [seq] > @after AND [seq] <= @upTo');
    expect(nulls.params.map((p) => p.name)).toEqual(['after', 'upTo']);
  });

  it('binds rowversion bounds as binary(8), the 8 big-endian bytes, so the column is compared as it is (sargable)', () => {
    const q = chunkQuery(orders, [id], undefined, ['id'], { kind: 'all' }, { column: 'rv', kind: 'rowversion', after: '2000', upTo: '18446744073709551615' });
    expect(q.text).toBe('SELECT [id]\n  FROM [sales].[orders]\n WHERE [rv] > @after AND [rv] <= @upTo\n ORDER BY [id]');
    expect(q.text).not.toMatch(/CONVERT|CAST/);
    expect(q.params).toEqual([
      { name: 'after', type: 'binary', length: 8, value: rv('00000000000007d0') },
      { name: 'upTo', type: 'binary', length: 8, value: rv('ffffffffffffffff') },
    ]);
    expect(keyParameter('lower', 'rowversion', '9223372036854775808')).toEqual({ name: 'lower', type: 'binary', length: 8, value: rv('8000000000000000') });
    expect(() => keyParameter('lower', 'rowversion', '18446744073709551616')).toThrow(NonRetryableError);
    expect(() => keyParameter('lower', 'rowversion', '-1')).toThrow(NonRetryableError);
  });

  it('turns rowversion bounds outside 0..2^64-1 into the same test at the end of the range, or one no row meets', () => {
    // A lookback that reaches below zero: every rowversion is above it.
    const low = chunkQuery(orders, [id], { column: 'rv', kind: 'rowversion' }, ['rv'], { kind: 'range', lower: '-4', upper: '100', upperInclusive: false }, { column: 'rv', kind: 'rowversion', after: '-5', upTo: '100' });
    expect(low.text).toContain('WHERE [rv] >= @lower AND [rv] < @upper AND [rv] >= @after AND [rv] <= @upTo');
    expect(low.params.map((p) => [p.name, (p.value as Buffer).toString('hex')])).toEqual([['lower', '0000000000000000'], ['upper', '0000000000000064'], ['after', '0000000000000000'], ['upTo', '0000000000000064']]);
    const empty = chunkQuery(orders, [id], { column: 'rv', kind: 'rowversion' }, [], { kind: 'range', lower: '-9', upper: '-2', upperInclusive: true });
    expect(empty).toEqual({ text: 'SELECT [id]\n  FROM [sales].[orders]\n WHERE [rv] >= @lower AND 1 = 0', params: [{ name: 'lower', type: 'binary', length: 8, value: rv('0000000000000000') }] });
    const top = chunkQuery(orders, [id], { column: 'rv', kind: 'rowversion' }, [], { kind: 'range', lower: '18446744073709551616', upper: '18446744073709551620', upperInclusive: false });
    expect(top.text).toContain('WHERE 1 = 0 AND [rv] <= @upper');
  });

  it('reads rowversion keys as hex text, and the settled maximum with MIN_ACTIVE_ROWVERSION()', () => {
    expect(keyText('rowversion', 'x')).toBe('CONVERT(varchar(18), CONVERT(binary(8), x), 1)');
    expect(keyBoundsQuery(orders, 'rv', 'rowversion').text).toBe(
      'SELECT CONVERT(varchar(18), CONVERT(binary(8), MIN([rv])), 1) AS min_key,\n' +
      '       CONVERT(varchar(18), CONVERT(binary(8), MAX([rv])), 1) AS max_key,\n' +
      '       CONVERT(varchar(18), CONVERT(binary(8), MIN_ACTIVE_ROWVERSION()), 1) AS active_key\n' +
      '  FROM [sales].[orders]',
    );
    expect(keyBoundsQuery(orders, 'id', 'integer').text).not.toContain('MIN_ACTIVE_ROWVERSION');
  });
});
