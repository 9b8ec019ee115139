import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/spec/columns.js';
import type { ReadTarget } from '../../src/sources/sourceConnector.js';
import {
  chunkQuery, describeQueryQuery, describeTableQuery, keyBoundsQuery, primaryKeyQuery, randomSampleQuery, rowEstimateQuery, statisticsHistogramQuery,
  tableSampleQuery, type SqlQuery,
} from '../../src/sources/sqlserver/sqlServerDialect.js';
import { formatSqlType, parseSqlType, type ParamValue } from '../support/tds-server/sqlTypes.js';
import { translateBatch, type CatalogReader, type Translation } from '../support/tds-server/translate.js';
import { SqlServerError } from '../support/tds-server/tsqlParser.js';

/**
 * The T-SQL -> PostgreSQL translation of the TDS test double, statement by statement as the SQL
 * Server connector's dialect writes them, against a catalog of one table.
 */
const orders = {
  schema: 'sales',
  name: 'orders',
  columns: [
    { name: 'id', type: parseSqlType('bigint'), nullable: false, pgType: 'bigint' },
    { name: 'amount', type: parseSqlType('decimal(38,10)'), nullable: true, pgType: 'numeric(38,10)' },
    { name: 'm', type: parseSqlType('money'), nullable: true, pgType: 'numeric(19,4)' },
    { name: 'at', type: parseSqlType('datetimeoffset(7)'), nullable: true, pgType: 'text' },
    { name: 'made', type: parseSqlType('datetime2(7)'), nullable: true, pgType: 'text' },
    { name: 'stamped', type: parseSqlType('datetime2(6)'), nullable: true, pgType: 'timestamp without time zone' },
    { name: 'd', type: parseSqlType('date'), nullable: true, pgType: 'date' },
    { name: 'note', type: parseSqlType('nvarchar(max)'), nullable: true, pgType: 'text' },
  ],
};

const catalog: CatalogReader = {
  database: 'shop',
  table: async (schema, name) => (schema.toLowerCase() === 'sales' && name.toLowerCase() === 'orders' ? orders : undefined),
  check: async (sql) => {
    if (sql.includes('"nope"')) throw new SqlServerError(207, "Invalid column name 'nope'.");
  },
};

const table: ReadTarget = { kind: 'table', table: { schema: 'sales', name: 'orders' } };

/** Binds a dialect query's parameters the way the connector does, as the server would receive them. */
function paramsOf(query: SqlQuery): Map<string, ParamValue> {
  const params = new Map<string, ParamValue>();
  for (const param of query.params) {
    const value = param.value;
    const type = param.type === 'nvarchar' ? { name: 'nvarchar', length: param.length } : param.type === 'datetime2' || param.type === 'datetimeoffset' ? { name: param.type, scale: 7 } : { name: param.type };
    const text = value instanceof Date ? (param.type === 'date' ? value.toISOString().slice(0, 10) : `${value.toISOString().replace('T', ' ').slice(0, 23)}0000${param.type === 'datetimeoffset' ? ' +00:00' : ''}`) : String(value);
    params.set(param.name, { type, value: text });
  }
  return params;
}

async function translate(query: SqlQuery | string): Promise<Extract<Translation, { k: 'select' }>> {
  const q = typeof query === 'string' ? { text: query, params: [] } : query;
  const [translation, ...rest] = await translateBatch(q.text, paramsOf(q), catalog);
  expect(rest).toEqual([]);
  expect(translation!.k).toBe('select');
  return translation as Extract<Translation, { k: 'select' }>;
}

const shape = (t: Extract<Translation, { k: 'select' }>) => t.columns.map((c) => `${c.name} ${formatSqlType(c.type)}${c.nullable ? '' : ' not null'}`);

async function refusal(sql: string): Promise<SqlServerError> {
  const error = await translateBatch(sql, new Map(), catalog).then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(SqlServerError);
  return error as SqlServerError;
}

const column = (name: string, sourceType: string, type: Column['type']): Column => ({ name, sourceType, nullable: true, type });

describe('the catalog queries', () => {
  it('describeTable reads the emulated sys views, with the result types SQL Server gives', async () => {
    const t = await translate(describeTableQuery(table.kind === 'table' ? table.table : { name: 'x' }));
    expect(shape(t)).toEqual(['name nvarchar(128)', 'type_name nvarchar(128)', 'max_length int', 'precision int', 'scale int', 'is_nullable bit']);
    expect(t.sql).toContain('FROM siphon_sys."columns" AS t1');
    expect(t.sql).toContain('JOIN siphon_sys."types" AS t4 ON (t4."user_type_id" = t1."user_type_id")');
    expect(t.sql).toContain('siphon_sys.type_name(');
    // Names compare as SQL Server's default collation does: case and trailing spaces do not count.
    expect(t.sql).toContain('(rtrim(lower((t3."name")::text)) = rtrim(lower(($1::text)::text)))');
    expect(t.sql).toContain('ORDER BY (t1."column_id") ASC NULLS FIRST');
    expect(t.params).toEqual(['sales', 'orders']);
  });

  it('primaryKey, rowEstimate and the statistics histogram', async () => {
    const pk = await translate(primaryKeyQuery({ schema: 'sales', name: 'orders' }));
    expect(shape(pk)).toEqual(['name nvarchar(128)']);
    expect(pk.sql).toContain('((t1."is_primary_key")::int4 = (1)::int4)');
    const estimate = await translate(rowEstimateQuery({ schema: 'sales', name: 'orders' }));
    expect(shape(estimate)).toEqual(['object_type varchar(2)', 'row_estimate float not null']);
    expect(estimate.sql).toContain('LEFT JOIN siphon_sys."partitions" AS t3');
    expect(estimate.sql).toContain('coalesce(sum(t3."rows"), ((0)::int4)::int8)');
    expect(estimate.sql).toContain('GROUP BY t1."type"');
    const histogram = await translate(statisticsHistogramQuery({ schema: 'sales', name: 'orders' }, 'id', 'integer'));
    expect(shape(histogram)).toEqual(['stats_rows float', 'modified_rows float', 'high_key varchar(20)', 'range_rows float', 'equal_rows float']);
    expect(histogram.sql).toMatch(/^WITH cte\d+ AS \(SELECT/);
    expect(histogram.sql).toContain('CROSS JOIN LATERAL siphon_sys.dm_db_stats_properties(t1."object_id", t1."stats_id")');
    expect(histogram.sql).toContain('CROSS JOIN LATERAL siphon_sys.dm_db_stats_histogram(');
    expect(histogram.sql).toContain('LIMIT ((1)::int4)::int8)');
    expect(histogram.params).toEqual(['sales', 'orders', 'id']);
  });

  it('dm_exec_describe_first_result_set translates the query it is given and lists its columns, or its error', async () => {
    const described = await translate(describeQueryQuery('SELECT id, amount AS total, CONVERT(varchar(34), at, 121) AS at_text FROM sales.orders -- comment'));
    expect(shape(described)).toEqual(['name nvarchar(128)', 'system_type_name nvarchar(256)', 'max_length int', 'precision int', 'scale int', 'is_nullable bit', 'error_number int', 'error_message nvarchar(4096)']);
    expect(described.sql).toContain(`(1::int4, 'id'::text, false::bool, 'bigint'::text, NULL::int4`);
    expect(described.sql).toContain(`(2::int4, 'total'::text, true::bool, 'decimal(38,10)'::text`);
    expect(described.sql).toContain(`(3::int4, 'at_text'::text, true::bool, 'varchar(34)'::text`);
    const failed = await translate(describeQueryQuery('SELECT nope FROM sales.orders'));
    expect(failed.sql).toContain(`'Invalid column name ''nope''.'::text`);
    expect(failed.sql).toContain('207::int4');
  });
});

describe('key bounds, samples and chunks', () => {
  it('keyBounds converts the extremes to text in SQL Server styles', async () => {
    const integer = await translate(keyBoundsQuery(table, 'id', 'integer'));
    expect(shape(integer)).toEqual(['min_key varchar(20)', 'max_key varchar(20)']);
    expect(integer.sql).toContain('left((min(t1."id"))::text, 20)');
    const instant = await translate(keyBoundsQuery(table, 'at', 'timestamptz'));
    expect(instant.sql).toContain('(substr(siphon_tds.dto_min(t1."at"), 1, 27) || substr(siphon_tds.dto_min(t1."at"), 28))');
    const wall = await translate(keyBoundsQuery(table, 'stamped', 'timestamp'));
    // A datetime2 kept as a PostgreSQL timestamp reads in the canonical 7-digit form.
    expect(wall.sql).toContain(`min(((to_char(t1."stamped", 'YYYY-MM-DD HH24:MI:SS.US') || '0')) COLLATE "C")`);
    const day = await translate(keyBoundsQuery(table, 'd', 'date'));
    expect(day.sql).toContain(`rpad(left(to_char(min(t1."d"), 'YYYY-MM-DD'), 10), 10)`);
    const query = await translate(keyBoundsQuery({ kind: 'query', sql: 'SELECT id FROM sales.orders WHERE id > 10;' }, 'id', 'integer'));
    expect(shape(query)).toEqual(['min_key varchar(20)', 'max_key varchar(20)', 'row_count float not null']);
    expect(query.sql).toContain('(count(*)::int8)::float8');
    expect(query.sql).toMatch(/FROM \(\nSELECT \(t\d\."id"\)::int8 AS "id"/);
  });

  it('TABLESAMPLE, TOP (@limit) and ORDER BY NEWID()', async () => {
    const sample = await translate(tableSampleQuery({ schema: 'sales', name: 'orders' }, 'id', 'integer', 2.5, 500));
    expect(sample.sql).toContain('FROM "sales"."orders" AS t1 TABLESAMPLE SYSTEM (2.5) REPEATABLE (1)');
    expect(sample.sql).toContain('LIMIT ($1::int4)::int8');
    expect(sample.params).toEqual(['500']);
    const random = await translate(randomSampleQuery(table, 'id', 'integer', 100));
    expect(random.sql).toContain('ORDER BY (gen_random_uuid()) ASC NULLS FIRST');
  });

  it('chunk queries: bound ranges, exact text for decimals, money and times, SQL Server NULL order', async () => {
    const columns = [
      column('id', 'bigint', { kind: 'int64' }), column('amount', 'decimal(38,10)', { kind: 'decimal', precision: 38, scale: 10 }),
      column('m', 'money', { kind: 'decimal', precision: 19, scale: 4 }), column('at', 'datetimeoffset(7)', { kind: 'timestampOffset' }),
      column('made', 'datetime2(7)', { kind: 'timestamp', utc: false }),
    ];
    const integer = await translate(chunkQuery(table, columns, { column: 'id', kind: 'integer' }, ['id'], { kind: 'range', lower: '-9223372036854775808', upper: '100', upperInclusive: false }));
    expect(shape(integer)).toEqual(['id bigint not null', 'amount nvarchar(42)', 'm nvarchar(24)', 'at nvarchar(34)', 'made nvarchar(27)']);
    expect(integer.sql).toContain('left((t1."amount")::text, 42)');
    expect(integer.sql).toContain('left((t1."m")::text, 24)');
    expect(integer.sql).toContain('left((substr(t1."at", 1, 27) || substr(t1."at", 28)), 34)');
    expect(integer.sql).toContain('left(substr(t1."made", 1, 27), 27)');
    expect(integer.sql).toContain(`(t1."id" >= $1::int8)`);
    expect(integer.sql).toContain(`(t1."id" < $2::int8)`);
    expect(integer.sql).toContain('ORDER BY (t1."id") ASC NULLS FIRST');
    expect(integer.params).toEqual(['-9223372036854775808', '100']);
    const instant = await translate(chunkQuery(table, columns.slice(0, 1), { column: 'at', kind: 'timestamptz' }, ['id'], { kind: 'range', lower: '0', upper: '1000', upperInclusive: true }));
    expect(instant.sql).toContain('(siphon_tds.dto_utc(t1."at") COLLATE "C" >= siphon_tds.dto_utc($1::text))');
    expect(instant.params[0]).toBe('1970-01-01 00:00:00.0000000 +00:00');
    const nulls = await translate(chunkQuery(table, columns.slice(0, 1), { column: 'at', kind: 'timestamptz' }, [], { kind: 'nullKey' }));
    expect(nulls.sql).toContain('WHERE (t1."at" IS NULL)');
  });

  it('OFFSET / FETCH, COUNT_BIG, CAST and CASE', async () => {
    const page = await translate('SELECT [id] FROM [sales].[orders] ORDER BY [id] DESC OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY');
    expect(page.sql).toContain('ORDER BY (t1."id") DESC NULLS LAST\n OFFSET ((10)::int4)::int8 ROWS FETCH NEXT ((5)::int4)::int8 ROWS ONLY');
    const counted = await translate('SELECT COUNT_BIG(*) AS n, CAST(MAX(amount) AS float) AS top_amount, CASE WHEN id > 5 THEN N\'big\' ELSE N\'small\' END AS size FROM sales.orders GROUP BY id');
    expect(shape(counted)).toEqual(['n bigint not null', 'top_amount float', 'size nvarchar(5) not null']);
  });
});

describe('the rest of a batch', () => {
  it("accepts tedious' SET options and runs UPDATE STATISTICS as ANALYZE", async () => {
    const batch = await translateBatch('set textsize 2147483647\nset quoted_identifier on\nset transaction isolation level read committed\nUPDATE STATISTICS sales.orders;', new Map(), catalog);
    expect(batch.map((t) => t.k)).toEqual(['set', 'set', 'set', 'utility']);
    expect(batch[3]).toMatchObject({ sql: 'ANALYZE "sales"."orders"' });
  });

  it('refuses what is outside the subset with an error naming the statement', async () => {
    const deleted = await refusal('DELETE FROM sales.orders WHERE id = 1');
    expect(deleted.number).toBe(102);
    expect(deleted.message).toBe("Incorrect syntax near 'DELETE'. This statement is outside the T-SQL subset that the Siphon TDS test server translates to PostgreSQL: DELETE FROM sales.orders WHERE id = 1");
    expect((await refusal('SELECT id FROM sales.orders FOR XML AUTO')).message).toContain("Incorrect syntax near 'FOR'.");
    expect((await refusal('SELECT id FROM sales.orders WITH (NOLOCK)')).message).toContain('A table hint is outside the T-SQL subset');
    expect((await refusal('SELECT CONVERT(varchar(30), at, 104) FROM sales.orders')).message).toContain('A conversion from datetimeoffset(7) to varchar(30) with style 104 is outside');
    expect((await refusal('SELECT ROW_NUMBER() OVER (ORDER BY id) FROM sales.orders')).message).toContain('A window function is outside');
  });

  it("answers unknown names as SQL Server does", async () => {
    expect(await refusal('SELECT * FROM sales.nope')).toMatchObject({ number: 208, message: "Invalid object name 'sales.nope'." });
    expect(await refusal('SELECT nope FROM sales.orders')).toMatchObject({ number: 207, message: "Invalid column name 'nope'." });
    expect(await refusal('SELECT SOUNDEX(note) FROM sales.orders')).toMatchObject({ number: 195 });
    expect(await refusal('SELECT id FROM sales.orders WHERE id = @missing')).toMatchObject({ number: 137, message: 'Must declare the scalar variable "@missing".' });
  });
});
