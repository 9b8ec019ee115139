import { NonRetryableError } from '../../errors/errorTypes.js';
import type { ChunkRange, Column } from '../../spec/columns.js';
import type { ChunkKey, KeyKind, KeyPrefix, ReadChunkRequest, ReadTarget, TableRef } from '../sourceConnector.js';
import { tupleRangeConditions } from '../tupleRangeConditions.js';
import { maxRowversion } from '../../spec/cursorWindow.js';
import { wireFormOf } from './sqlServerTypes.js';

/**
 * Every piece of T-SQL the SQL Server connector sends. Identifiers are quoted by quoteIdentifier
 * and nothing else; values travel as named parameters (@name), typed as SqlParam says.
 */

/** A table named without a schema is read from `dbo`, SQL Server's default schema. */
export const defaultSchema = 'dbo';

/** The one place SQL Server identifiers are quoted: square brackets, an embedded `]` doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new NonRetryableError(`Identifier contains NUL: ${JSON.stringify(name)}`);
  return `[${name.replace(/]/g, ']]')}]`;
}

export function schemaOf(table: TableRef): string {
  return table.schema ?? defaultSchema;
}

export function quoteTable(table: TableRef): string {
  return `${quoteIdentifier(schemaOf(table))}.${quoteIdentifier(table.name)}`;
}

/**
 * A table, or the user's SELECT as a derived table so the same WHERE and ORDER BY apply to both.
 * The query sits on lines of its own so a trailing `-- comment` cannot swallow the alias.
 */
export function fromClause(target: ReadTarget): string {
  if (target.kind === 'table') return quoteTable(target.table);
  const sql = target.sql.replace(/[\s;]+$/, '');
  return `(\n${sql}\n) AS siphon_query`;
}

/**
 * A bound parameter: the SQL type it is declared with and the JS value tedious encodes.
 * datetime2/datetimeoffset values are Dates carrying `nanosecondDelta` (the fraction below the
 * millisecond, in seconds), which is how tedious takes sub-millisecond precision.
 */
export type SqlParam =
  | { name: string; type: 'bigint'; value: bigint }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'nvarchar'; length: number | 'max'; value: string }
  | { name: string; type: 'date'; value: Date }
  | { name: string; type: 'datetime2'; scale: 7; value: PreciseDate }
  | { name: string; type: 'datetimeoffset'; scale: 7; value: PreciseDate }
  | { name: string; type: 'binary'; length: 8 | 10; value: Buffer };

export type PreciseDate = Date & { nanosecondDelta: number };

export type SqlQuery = { text: string; params: SqlParam[] };

/** sysname is nvarchar(128). */
const name = (paramName: string, value: string): SqlParam => ({ name: paramName, type: 'nvarchar', length: 128, value });

function tableParams(table: TableRef): SqlParam[] {
  return [name('schema', schemaOf(table)), name('table', table.name)];
}

/** The object behind a table reference; views count, as they can be read like tables. */
const objectFilter = `s.name = @schema AND o.name = @table AND o.type IN ('U', 'V')`;

/**
 * A table's (or view's) columns in order. Alias types resolve to the system type underneath
 * (TYPE_NAME(system_type_id)), so `CREATE TYPE Phone FROM varchar(20)` maps like varchar(20);
 * CLR types (hierarchyid, geometry, geography, user assemblies) keep their own name, which the
 * type map refuses.
 */
export function describeTableQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT c.name AS name,
       CASE WHEN t.is_assembly_type = 1 THEN t.name ELSE TYPE_NAME(c.system_type_id) END AS type_name,
       CAST(c.max_length AS int) AS max_length,
       CAST(c.precision AS int) AS precision,
       CAST(c.scale AS int) AS scale,
       c.is_nullable AS is_nullable
  FROM sys.columns c
  JOIN sys.objects o ON o.object_id = c.object_id
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  JOIN sys.types t ON t.user_type_id = c.user_type_id
 WHERE ${objectFilter}
 ORDER BY c.column_id`,
    params: tableParams(table),
  };
}

/**
 * A query's result columns, from the server's own description of it (the query is compiled,
 * not run). system_type_name is the declared type (decimal(18,2), nvarchar(max)); an error
 * comes back as a row with error_message set.
 */
export function describeQueryQuery(sql: string): SqlQuery {
  return {
    text: `SELECT name,
       system_type_name,
       CAST(max_length AS int) AS max_length,
       CAST(precision AS int) AS precision,
       CAST(scale AS int) AS scale,
       is_nullable,
       error_number,
       error_message
  FROM sys.dm_exec_describe_first_result_set(@sql, NULL, 0)
 ORDER BY column_ordinal`,
    params: [{ name: 'sql', type: 'nvarchar', length: 'max', value: sql }],
  };
}

export function primaryKeyQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT c.name AS name
  FROM sys.indexes i
  JOIN sys.objects o ON o.object_id = i.object_id
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
  JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 WHERE ${objectFilter} AND i.is_primary_key = 1 AND ic.key_ordinal > 0
 ORDER BY ic.key_ordinal`,
    params: tableParams(table),
  };
}

/**
 * Rows in the heap or clustered index, as the storage engine counts them. sys.partitions is
 * readable by anyone who can see the table, unlike sys.dm_db_partition_stats (VIEW DATABASE
 * STATE), which a read-only copy login usually lacks. A view has no partitions: 0.
 */
export function rowEstimateQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT RTRIM(o.type) AS object_type,
       CAST(ISNULL(SUM(p.rows), 0) AS float) AS row_estimate
  FROM sys.objects o
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  LEFT JOIN sys.partitions p ON p.object_id = o.object_id AND p.index_id IN (0, 1)
 WHERE ${objectFilter}
 GROUP BY o.type`,
    params: tableParams(table),
  };
}

/**
 * A key expression as text the type module parses into integer digits (keyDigits): integers as
 * digits, dates as yyyy-mm-dd, timestamps as ISO 8601 with all seven fractional digits,
 * datetimeoffset with its offset, and rowversion as its 8 bytes in hex (style 1: 0x and 16
 * digits), exact over all 64 bits where CONVERT(bigint) would turn the top half negative. The
 * CONVERT to the kind's widest type also reads the sql_variant of a statistics histogram.
 */
export function keyText(kind: KeyKind, expression: string): string {
  switch (kind) {
    case 'integer': return `CONVERT(varchar(20), CONVERT(bigint, ${expression}))`;
    case 'date': return `CONVERT(char(10), CONVERT(date, ${expression}), 23)`;
    case 'timestamp': return `CONVERT(varchar(27), CONVERT(datetime2(7), ${expression}), 121)`;
    case 'timestamptz': return `CONVERT(varchar(34), CONVERT(datetimeoffset(7), ${expression}), 121)`;
    case 'rowversion': return `CONVERT(varchar(18), CONVERT(binary(8), ${expression}), 1)`;
  }
}

/**
 * Smallest and largest key. A table's row count comes from its partitions (a COUNT would scan
 * it); a query has no such count, so it is counted here in the same pass.
 *
 * A rowversion key also reads MIN_ACTIVE_ROWVERSION(): the lowest rowversion a still-open
 * transaction holds (or @@DBTS + 1 when none is open). Rows of an open transaction may commit
 * later with a value below MAX(key), so only keys below it are settled; the connector caps the
 * maximum there (see SqlServerConnector.keyBounds).
 */
export function keyBoundsQuery(target: ReadTarget, keyColumn: string, kind: KeyKind, within?: KeyPrefix): SqlQuery {
  const key = quoteIdentifier(keyColumn);
  const count = target.kind === 'query' ? `,\n       CAST(COUNT_BIG(*) AS float) AS row_count` : '';
  const active = kind === 'rowversion' ? `,\n       ${keyText(kind, 'MIN_ACTIVE_ROWVERSION()')} AS active_key` : '';
  const params: SqlParam[] = [];
  // A composite key's second column under one value of its first.
  const where = within ? `\n WHERE ${quoteIdentifier(within.column)} = @prefix` : '';
  if (within) params.push(keyParameter('prefix', within.kind, within.equals));
  return {
    text: `SELECT ${keyText(kind, `MIN(${key})`)} AS min_key,
       ${keyText(kind, `MAX(${key})`)} AS max_key${active}${count}
  FROM ${fromClause(target)}${where}`,
    params,
  };
}

/** The user tables (not the system's), and the schema an unqualified name means (the user's default, dbo for most). */
export const listTablesQuery: SqlQuery = {
  text: `SELECT s.name AS schema_name, o.name AS table_name, SCHEMA_NAME() AS default_schema
  FROM sys.objects o
  JOIN sys.schemas s ON s.schema_id = o.schema_id
 WHERE o.type = 'U'
 ORDER BY s.name, o.name`,
  params: [],
};

/**
 * Indexes that can split a table, key columns in order (not included columns): clustered
 * (type 1), primary key and unique marked; filtered and disabled indexes left out. A heap's
 * %%physloc%% is no key: it is no column, and rows move when updated.
 */
export function tableIndexesQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT i.name AS index_name, i.is_primary_key AS primary_key, i.is_unique AS is_unique,
       CASE WHEN i.type = 1 THEN 1 ELSE 0 END AS clustered, c.name AS column_name
  FROM sys.indexes i
  JOIN sys.objects o ON o.object_id = i.object_id
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
  JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 WHERE ${objectFilter} AND i.type IN (1, 2) AND i.has_filter = 0 AND i.is_disabled = 0 AND ic.key_ordinal > 0
 ORDER BY i.name, ic.key_ordinal`,
    params: tableParams(table),
  };
}

/**
 * How the heap or clustered index is partitioned, when it is: the partition function, the
 * partitioning column, how many partitions, and the rows of the largest. No row: not partitioned.
 */
export function tablePartitioningQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT pf.name AS function_name, c.name AS column_name,
       CAST(COUNT(p.partition_number) AS int) AS partition_count, CAST(MAX(p.rows) AS float) AS largest_rows
  FROM sys.indexes i
  JOIN sys.objects o ON o.object_id = i.object_id
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  JOIN sys.partition_schemes ps ON ps.data_space_id = i.data_space_id
  JOIN sys.partition_functions pf ON pf.function_id = ps.function_id
  JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.partition_ordinal = 1
  JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
  JOIN sys.partitions p ON p.object_id = i.object_id AND p.index_id = i.index_id
 WHERE ${objectFilter} AND i.index_id IN (0, 1)
 GROUP BY pf.name, c.name`,
    params: tableParams(table),
  };
}

/**
 * Pages of the heap or clustered index (index 0 or 1) with its row-overflow and LOB pages, from
 * sys.partitions and sys.allocation_units, which need only the right to see the table
 * (sys.dm_db_partition_stats needs VIEW DATABASE STATE). Pages are 8 KiB.
 */
export function tablePagesQuery(table: TableRef): SqlQuery {
  return {
    text: `SELECT CAST(ISNULL(SUM(a.used_pages), 0) AS float) AS used_pages
  FROM sys.objects o
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  LEFT JOIN sys.partitions p ON p.object_id = o.object_id AND p.index_id IN (0, 1)
  LEFT JOIN sys.allocation_units a ON a.container_id = p.partition_id
 WHERE ${objectFilter}
 GROUP BY o.type`,
    params: tableParams(table),
  };
}

/**
 * The histogram of the freshest statistics object whose leading column is the key: each step
 * holds range_rows rows strictly between the previous step's high key and its own, and
 * equal_rows rows equal to it. Also how many rows the statistics saw and how many changed
 * since, so stale statistics can be told from fresh ones. dm_db_stats_histogram needs SQL
 * Server 2016 SP1 CU2 or Azure SQL; where it is missing the caller samples instead.
 */
export function statisticsHistogramQuery(table: TableRef, keyColumn: string, kind: KeyKind): SqlQuery {
  return {
    text: `WITH chosen AS (
SELECT TOP (1) st.object_id, st.stats_id, sp.rows, sp.modification_counter
  FROM sys.stats st
  JOIN sys.objects o ON o.object_id = st.object_id
  JOIN sys.schemas s ON s.schema_id = o.schema_id
  JOIN sys.stats_columns sc ON sc.object_id = st.object_id AND sc.stats_id = st.stats_id AND sc.stats_column_id = 1
  JOIN sys.columns c ON c.object_id = sc.object_id AND c.column_id = sc.column_id
 CROSS APPLY sys.dm_db_stats_properties(st.object_id, st.stats_id) sp
 WHERE ${objectFilter} AND c.name = @column AND sp.rows > 0
 ORDER BY sp.last_updated DESC, sp.rows_sampled DESC
)
SELECT CAST(chosen.rows AS float) AS stats_rows,
       CAST(chosen.modification_counter AS float) AS modified_rows,
       ${keyText(kind, 'h.range_high_key')} AS high_key,
       CAST(h.range_rows AS float) AS range_rows,
       CAST(h.equal_rows AS float) AS equal_rows
  FROM chosen
 CROSS APPLY sys.dm_db_stats_histogram(chosen.object_id, chosen.stats_id) h
 ORDER BY h.step_number`,
    params: [...tableParams(table), name('column', keyColumn)],
  };
}

/**
 * Keys of a page sample of a table: TABLESAMPLE reads only the pages it keeps, which is what
 * makes sampling a large table cheap. Its argument must be a constant, so the percentage is a
 * literal, but one Siphon computes from row counts and formats itself, never input. TOP only
 * caps memory: with the percentage sized for the wanted sample it does not cut in.
 */
export function tableSampleQuery(table: TableRef, keyColumn: string, kind: KeyKind, percent: number, limit: number): SqlQuery {
  if (!Number.isFinite(percent)) throw new Error(`Sample percentage ${percent} is not a number`);
  const literal = Math.min(100, Math.max(0.000001, percent)).toFixed(6);
  const key = quoteIdentifier(keyColumn);
  return {
    text: `SELECT TOP (@limit) ${keyText(kind, key)} AS sample_key
  FROM ${quoteTable(table)} TABLESAMPLE SYSTEM (${literal} PERCENT) REPEATABLE (1)
 WHERE ${key} IS NOT NULL`,
    params: [{ name: 'limit', type: 'int', value: limit }],
  };
}

/**
 * A uniform sample of keys for what TABLESAMPLE cannot sample (views, queries, small tables):
 * one scan, and a TOP-N sort of random numbers that holds only `limit` rows.
 */
export function randomSampleQuery(target: ReadTarget, keyColumn: string, kind: KeyKind, limit: number): SqlQuery {
  const key = quoteIdentifier(keyColumn);
  return {
    text: `SELECT TOP (@limit) ${keyText(kind, key)} AS sample_key
  FROM ${fromClause(target)}
 WHERE ${key} IS NOT NULL
 ORDER BY NEWID()`,
    params: [{ name: 'limit', type: 'int', value: limit }],
  };
}

/**
 * One column of a chunk's SELECT. Types tedious would decode lossily are converted to text the
 * type module parses exactly (see wireFormOf), under the column's own name:
 * decimals in full (style 0 keeps every digit of the scale), money with all four decimals
 * (style 2; style 0 would round to two), datetime2/datetimeoffset/time with all seven
 * fractional digits and the offset (style 121).
 *
 * The text is nvarchar, not varchar: tedious decodes UTF-16 with one native call, but varchar
 * through iconv-lite, which looks its code page up and makes a decoder for every value. The
 * server formats either at the same cost; the wire carries two bytes per character instead of
 * one (about 40 more bytes per row for a decimal and a datetime2). Measured on 300k rows of the
 * bench's mixed table through the TDS test double: 13% less client CPU for the chunk.
 */
export function selectExpression(column: Column): string {
  const quoted = quoteIdentifier(column.name);
  switch (wireFormOf(column)) {
    case 'native': return quoted;
    case 'decimalText': return `CONVERT(nvarchar(42), ${quoted}) AS ${quoted}`;
    case 'moneyText': return `CONVERT(nvarchar(24), ${quoted}, 2) AS ${quoted}`;
    case 'datetime2Text': return `CONVERT(nvarchar(27), ${quoted}, 121) AS ${quoted}`;
    case 'datetimeoffsetText': return `CONVERT(nvarchar(34), ${quoted}, 121) AS ${quoted}`;
    case 'timeText': return `CONVERT(nvarchar(16), ${quoted}, 121) AS ${quoted}`;
    case 'nvarcharText': return `CONVERT(nvarchar(max), ${quoted}) AS ${quoted}`;
    case 'floatText': return `CONVERT(nvarchar(30), ${quoted}, 3) AS ${quoted}`;
    case 'dateTimeText': return `CONVERT(nvarchar(27), ${quoted}, 121) AS ${quoted}`;
  }
}

const maxMicros = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999
const minMicros = -62_135_596_800_000_000n; // 0001-01-01T00:00:00
const minDays = -719_162; // 0001-01-01
const maxDays = 2_932_896; // 9999-12-31

/**
 * A bound of KeyBounds digits as the parameter it is compared with. Integer keys compare with
 * a bigint (SQL Server still seeks an int index through the widening); dates with a date;
 * datetime, smalldatetime and datetime2 with a datetime2(7) and datetimeoffset with a
 * datetimeoffset(7), both exact to the microsecond. Ranges meet at the same bound value, so
 * however the server widens a datetime to compare it, each row falls in exactly one chunk.
 * Rowversion keys compare with a binary(8) of the value's 8 big-endian bytes: the column's own
 * type, so an index on it is still sought (CONVERT(bigint, col) would scan, and misorder values
 * from 2^63 up).
 */
export function keyParameter(paramName: string, kind: KeyKind, digits: string): SqlParam {
  if (!/^-?\d+$/.test(digits)) throw new NonRetryableError(`Chunk bound ${JSON.stringify(digits)} is not integer digits`);
  switch (kind) {
    case 'integer':
      return { name: paramName, type: 'bigint', value: BigInt(digits) };
    case 'rowversion': {
      const value = BigInt(digits);
      if (value < 0n || value > maxRowversion) throw new NonRetryableError(`Chunk bound ${digits} is outside the rowversion range 0 to 2^64 - 1`);
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64BE(value);
      return { name: paramName, type: 'binary', length: 8, value: bytes };
    }
    case 'date': {
      const days = Number(digits);
      if (days < minDays || days > maxDays) throw new NonRetryableError(`Chunk bound ${digits} days is outside years 1-9999`);
      return { name: paramName, type: 'date', value: new Date(days * 86_400_000) };
    }
    case 'timestamp':
    case 'timestamptz': {
      const micros = BigInt(digits);
      if (micros < minMicros || micros > maxMicros) throw new NonRetryableError(`Chunk bound ${digits} µs is outside years 1-9999`);
      const remainder = ((micros % 1000n) + 1000n) % 1000n;
      const date = new Date(Number((micros - remainder) / 1000n)) as PreciseDate;
      date.nanosecondDelta = Number(remainder) / 1_000_000;
      return kind === 'timestamp'
        ? { name: paramName, type: 'datetime2', scale: 7, value: date }
        : { name: paramName, type: 'datetimeoffset', scale: 7, value: date };
    }
  }
}

type Comparison = '>' | '>=' | '<' | '<=';

/**
 * `column op @name`, the bound bound as keyParameter binds it. A rowversion bound outside
 * 0..2^64-1 (a window's lower end pulled below zero by a lookback, or planner arithmetic at
 * the top) has no binary(8) form; it becomes the equivalent test at the end of the range, or a
 * condition no row meets. Like the comparison it replaces, it is false for NULL.
 */
function bound(column: string, op: Comparison, paramName: string, kind: KeyKind, digits: string, params: SqlParam[]): string {
  let bindOp = op;
  let bindDigits = digits;
  if (kind === 'rowversion' && /^-?\d+$/.test(digits)) {
    const value = BigInt(digits);
    const below = value < 0n;
    const above = value > maxRowversion;
    if (below || above) {
      const lower = op === '>' || op === '>=';
      // Every rowversion is above a negative lower bound and below an upper bound past the top.
      if (lower ? above : below) return '1 = 0';
      [bindOp, bindDigits] = lower ? ['>=', '0'] : ['<=', String(maxRowversion)];
    }
  }
  params.push(keyParameter(paramName, kind, bindDigits));
  return `${column} ${bindOp} @${paramName}`;
}

/**
 * The rows of one chunk: a key range between @lower and @upper (bound, never inlined), the rows
 * whose key is NULL, or everything; within an incremental run's cursor window, when there is
 * one, `cursor > @after AND cursor <= @upTo` on top of the chunk's own range.
 *
 * No WITH (NOLOCK) / READ UNCOMMITTED: dirty reads can return a row twice or not at all when
 * pages split under the scan, and rows of transactions that later roll back. Each chunk reads
 * committed data, as any other reader of the table would.
 */
export function chunkQuery(
  target: ReadTarget,
  columns: Column[],
  key: ChunkKey | undefined,
  orderBy: string[],
  range: ChunkRange,
  window?: ReadChunkRequest['window'],
  /** How each column is selected: as the read decodes it, unless an aggregate over it wants it as stored. */
  select: (column: Column) => string = selectExpression,
): SqlQuery {
  if (range.kind === 'pages') throw new NonRetryableError('SQL Server tables are not split by pages (pages chunks are PostgreSQL ctid ranges)');
  if (range.kind === 'partition') {
    // The partition function's own assignment of rows: every row, NULL included, is in exactly one partition.
    const params: SqlParam[] = [{ name: 'partition', type: 'int', value: range.number }];
    const conditions = [`$PARTITION.${quoteIdentifier(range.function)}(${quoteIdentifier(range.column)}) = @partition`];
    if (window) {
      const cursor = quoteIdentifier(window.column);
      if (window.after !== undefined) conditions.push(bound(cursor, '>', 'after', window.kind, window.after, params));
      conditions.push(bound(cursor, '<=', 'upTo', window.kind, window.upTo, params));
    }
    const order = orderBy.length ? `\n ORDER BY ${orderBy.map(quoteIdentifier).join(', ')}` : '';
    return { text: `SELECT ${columns.map(select).join(', ')}\n  FROM ${fromClause(target)}\n WHERE ${conditions.join(' AND ')}${order}`, params };
  }
  if (columns.length === 0) throw new NonRetryableError('A chunk needs at least one column');
  const selected = `SELECT ${columns.map(select).join(', ')}\n  FROM ${fromClause(target)}`;
  const order = orderBy.length ? `\n ORDER BY ${orderBy.map(quoteIdentifier).join(', ')}` : '';
  const params: SqlParam[] = [];
  const conditions: string[] = [];
  if (range.kind !== 'all') {
    if (key === undefined) throw new NonRetryableError(`A ${range.kind} chunk needs a split key`);
    const quotedKey = quoteIdentifier(key.column);
    if (range.kind === 'nullKey') conditions.push(`${quotedKey} IS NULL`);
    else if (range.kind === 'tuple') {
      if (!key.next) throw new NonRetryableError('A tuple chunk needs a composite split key');
      const parts = [key, key.next];
      let bounds = 0;
      conditions.push(...tupleRangeConditions(range, (index, operator, digits) => bound(quoteIdentifier(parts[index]!.column), operator, `k${bounds++}`, parts[index]!.kind, digits, params)));
    } else {
      conditions.push(
        bound(quotedKey, '>=', 'lower', key.kind, range.lower, params),
        bound(quotedKey, range.upperInclusive ? '<=' : '<', 'upper', key.kind, range.upper, params),
      );
    }
  }
  if (window) {
    const cursor = quoteIdentifier(window.column);
    if (window.after !== undefined) conditions.push(bound(cursor, '>', 'after', window.kind, window.after, params));
    conditions.push(bound(cursor, '<=', 'upTo', window.kind, window.upTo, params));
  }
  const where = conditions.length ? `\n WHERE ${conditions.join(' AND ')}` : '';
  return { text: `${selected}${where}${order}`, params };
}
