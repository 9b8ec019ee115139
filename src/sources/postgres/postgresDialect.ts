import { NonRetryableError } from '../../errors/errorTypes.js';
import { civilFromDays, isoFromMicros } from '../../formats/canonicalValues.js';
import type { ChunkRange } from '../../spec/columns.js';
import type { SessionLimits } from '../sessionLimits.js';
import type { ChunkKey, KeyKind, ReadTarget, TableRef } from '../sourceConnector.js';
import { tupleRangeConditions } from '../tupleRangeConditions.js';

/** The one place PostgreSQL identifiers are quoted: double quotes, embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new Error(`Identifier contains NUL: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Without a schema the name resolves through the search path, as it would in psql. */
export function quoteTable(table: TableRef): string {
  return table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

/**
 * A table, or the user's SELECT as a derived table so the same WHERE and ORDER BY apply to both.
 * The query sits on lines of its own so a trailing `-- comment` cannot swallow the closing
 * parenthesis; a trailing semicolon is refused by the spec check, and the server's Parse refuses
 * a second statement (see PostgresConnector.run and, for COPY, PostgresConnector.copyPlan).
 */
export function fromClause(target: ReadTarget): string {
  return target.kind === 'table' ? quoteTable(target.table) : `(\n${target.sql}\n) AS siphon_query`;
}

/**
 * Every session: fixed text forms of dates and times (unambiguous to parse); read-only
 * transactions, so even a statement that got past the query check cannot write; statement and
 * lock timeouts, so no read holds the database hostage (a COPY's statement timeout counts the
 * whole chunk's read, a cursor's each batch it fetches); and standard-conforming strings, the
 * lexing the query check's parser and quoteLiteral assume (a backslash does not escape a quote).
 */
export function sessionSettings(limits: SessionLimits): string {
  return [
    `SET TimeZone = 'UTC'`, `SET DateStyle = 'ISO, YMD'`, `SET IntervalStyle = 'iso_8601'`, 'SET extra_float_digits = 3',
    'SET standard_conforming_strings = on',
    'SET default_transaction_read_only = on',
    `SET statement_timeout = ${wholeMilliseconds(limits.statementTimeoutSeconds)}`,
    `SET lock_timeout = ${wholeMilliseconds(limits.lockTimeoutSeconds)}`,
  ].join('; ');
}

function wholeMilliseconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`A session timeout must be a positive number of seconds, not ${seconds}`);
  return Math.round(seconds * 1000);
}

export type SqlWithParams = { text: string; values: string[] };

/** An incremental run's cursor range, its bounds already in the driver's parameter form. */
export type WindowParameters<P> = { column: string; after?: P | undefined; upTo: P };

/**
 * Where a chunk's key values go: `bound` as parameters ($1, $2, ...), or `inline` as the literal
 * SQL keyValue gave (keyLiteral), for COPY, which takes no parameters.
 */
export type ValuePlacement = 'bound' | 'inline';

/**
 * The rows of one chunk: a key range, the rows whose key is NULL, or everything; within an
 * incremental run's cursor window when there is one. Key values are bound, or with `inline` the
 * literals keyLiteral generated from integer digits (never text from a spec or a user).
 * `selectList` holds one expression per column (see selectExpression).
 */
export function chunkQuery(target: ReadTarget, selectList: string[], key: ChunkKey | undefined, orderBy: string[], range: ChunkRange, keyValue: (kind: KeyKind, digits: string) => string, window?: WindowParameters<string>, placement: ValuePlacement = 'bound'): SqlWithParams {
  const values: string[] = [];
  const place = placement === 'bound' ? (value: string) => `$${values.push(value)}` : (literal: string) => literal;
  const conditions: string[] = [];
  if (range.kind === 'partition') throw new Error('PostgreSQL tables are not split by SQL Server partitions');
  if (range.kind === 'pages') {
    // Page numbers Siphon computed; PostgreSQL 14+ reads only these pages (a TID Range Scan).
    conditions.push(`ctid >= ${place(tidText(range.from, placement))}`);
    if (range.to !== undefined) conditions.push(`ctid < ${place(tidText(range.to, placement))}`);
  } else if (range.kind !== 'all') {
    if (key === undefined) throw new Error(`A ${range.kind} chunk needs a split key`);
    const column = quoteIdentifier(key.column);
    if (range.kind === 'nullKey') conditions.push(`${column} IS NULL`);
    else if (range.kind === 'tuple') {
      if (!key.next) throw new Error('A tuple chunk needs a composite split key');
      const parts = [key, key.next];
      conditions.push(...tupleRangeConditions(range, (index, operator, digits) => `${quoteIdentifier(parts[index]!.column)} ${operator} ${place(keyValue(parts[index]!.kind, digits))}`));
    } else conditions.push(`${column} >= ${place(keyValue(key.kind, range.lower))}`, `${column} ${range.upperInclusive ? '<=' : '<'} ${place(keyValue(key.kind, range.upper))}`);
  }
  if (window) {
    const cursor = quoteIdentifier(window.column);
    if (window.after !== undefined) conditions.push(`${cursor} > ${place(window.after)}`);
    conditions.push(`${cursor} <= ${place(window.upTo)}`);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  const order = orderBy.length ? ` ORDER BY ${orderBy.map(quoteIdentifier).join(', ')}` : '';
  return { text: `SELECT ${selectList.join(', ')} FROM ${fromClause(target)}${where}${order}`, values };
}

/** The first tuple of a heap page, as a bound parameter's text or a tid literal (COPY). */
function tidText(page: number, placement: ValuePlacement): string {
  if (!Number.isSafeInteger(page) || page < 0) throw new Error(`A page number must be a whole number, not ${page}`);
  return placement === 'bound' ? `(${page},0)` : `'(${page},0)'::tid`;
}

/**
 * A key value (KeyBounds digits) in the text a parameter carries: the integer, the ISO date, the
 * ISO timestamp (with Z for timestamptz; ` BC` before year 1).
 */
export function keyValueText(kind: KeyKind, digits: string): string {
  switch (kind) {
    case 'integer': return integerDigits(digits);
    case 'date': return civilFromDays(Number(integerDigits(digits)));
    case 'timestamp': return isoFromMicros(BigInt(integerDigits(digits)), false);
    case 'timestamptz': return isoFromMicros(BigInt(integerDigits(digits)), true);
    case 'rowversion': throw new NonRetryableError('rowversion keys exist only in SQL Server');
  }
}

/**
 * A key value as a SQL literal, for statements that cannot bind parameters (COPY): the integer's
 * digits as they are; a date or timestamp as the text keyValueText generated, quoted and cast to
 * the key's type, which is what a bound parameter of that text would have been compared as.
 */
export function keyLiteral(kind: KeyKind, digits: string): string {
  const text = keyValueText(kind, digits);
  switch (kind) {
    case 'integer': return text;
    case 'date': return `${quoteLiteral(text)}::date`;
    case 'timestamp': return `${quoteLiteral(text)}::timestamp`;
    case 'timestamptz': return `${quoteLiteral(text)}::timestamptz`;
    case 'rowversion': throw new NonRetryableError('rowversion keys exist only in SQL Server');
  }
}

function integerDigits(digits: string): string {
  if (!/^-?\d{1,20}$/.test(digits)) throw new Error(`A key value must be integer digits, not ${JSON.stringify(digits)}`);
  return digits;
}

/**
 * A string constant: single quotes, embedded quotes doubled. Exact because every session sets
 * standard_conforming_strings (a backslash is an ordinary character); NUL cannot be sent at all.
 */
export function quoteLiteral(text: string): string {
  if (text.includes('\u0000')) throw new Error(`A literal cannot contain NUL: ${JSON.stringify(text)}`);
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The rows of a chunk query in PostgreSQL's binary COPY format. `select` is a chunkQuery with
 * inline values; it must be one statement (see PostgresConnector.copyPlan: COPY travels as a
 * simple Query, which would run a second one).
 */
export function copyStatement(select: string): string {
  return `COPY (${select}) TO STDOUT (FORMAT binary)`;
}

/** `within`: only rows whose prefix column equals $1 (the second column of a composite key under one value of its first). */
export function keyBoundsQuery(target: ReadTarget, keyColumn: string, within?: string): string {
  const key = quoteIdentifier(keyColumn);
  const where = within === undefined ? '' : ` WHERE ${quoteIdentifier(within)} = $1`;
  return `SELECT min(${key})::text AS min, max(${key})::text AS max FROM ${fromClause(target)}${where}`;
}

/** The user's tables: plain and partitioned parents; not partitions, views or the catalog's. */
export const listTablesQuery = `
SELECT n.nspname AS schema, c.relname AS name
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
 ORDER BY 1, 2`;

/**
 * Indexes that can split a table: full (no predicate), on plain columns (no expression), valid;
 * the primary key marked, and the index the table is CLUSTERed on.
 */
export const tableIndexesQuery = `
SELECT ic.relname AS name, i.indisprimary AS primary_key, i.indisunique AS is_unique, i.indisclustered AS clustered,
       array_agg(a.attname::text ORDER BY k.ord) AS columns
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
 WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2
   AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indisvalid AND k.ord <= i.indnkeyatts
 GROUP BY ic.relname, i.indisprimary, i.indisunique, i.indisclustered
 ORDER BY ic.relname`;

/** Rows (the planner's estimate, -1 before the first ANALYZE), the heap's pages now, and its bytes with TOAST (pg_table_size: no indexes). */
export const tableSizeQuery = `
SELECT c.reltuples::float8 AS rows,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages,
       pg_table_size(c.oid)::float8 AS bytes
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2`;

/**
 * Non-NULL keys of a sample. SYSTEM samples whole pages, so it reads only the pages it keeps,
 * which is what makes sampling a large table cheap; a derived table cannot be sampled that way,
 * so queries keep each row with the given probability instead. Both are seeded (REPEATABLE, and
 * setseed before a query's sample) so unchanged data gives the same plan, and the same files, on
 * every run.
 */
export function keySampleQuery(target: ReadTarget, keyColumn: string, percent: number): string {
  const key = quoteIdentifier(keyColumn);
  const p = Math.min(100, Math.max(0.0001, percent)).toFixed(4);
  if (target.kind === 'table') return `SELECT ${key}::text AS key FROM ${quoteTable(target.table)} TABLESAMPLE SYSTEM (${p}) REPEATABLE (0) WHERE ${key} IS NOT NULL`;
  return `SELECT ${key}::text AS key FROM ${fromClause(target)} WHERE ${key} IS NOT NULL AND random() * 100 < ${p}`;
}

export const seedRandomQuery = 'SELECT setseed(0)';

export function countQuery(target: ReadTarget): string {
  return `SELECT count(*)::float8 AS count FROM ${fromClause(target)}`;
}

/** The columns of a table as type oids and modifiers; resolved to type names by typeInfoQuery. */
export const describeColumnsQuery = `
SELECT a.attname AS name,
       a.atttypid::int AS type_oid,
       a.atttypmod AS typmod,
       NOT a.attnotnull AS nullable
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/**
 * What each (type oid, modifier) is: its SQL name, and for domains the base type underneath, so
 * a domain over numeric(12,2) maps like numeric(12,2).
 */
export const typeInfoQuery = `
SELECT c.ord::int AS ord,
       format_type(c.oid, c.typmod) AS formatted,
       coalesce(bt.typname, t.typname) AS type_name,
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE c.typmod END AS typmod,
       coalesce(bt.typtype, t.typtype) AS typtype,
       coalesce(bt.typcategory, t.typcategory) AS category
  FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS c(oid, typmod, ord)
  JOIN pg_catalog.pg_type t ON t.oid = c.oid
  LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
 ORDER BY c.ord`;

export const primaryKeyQuery = `
SELECT a.attname AS name
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
 WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2 AND i.indisprimary
 ORDER BY array_position(i.indkey, a.attnum)`;

/**
 * reltuples is -1 for a table never analyzed; the planner's estimate is enough for progress.
 * Pages come from the file size, which is current even when the statistics are not.
 */
export const rowEstimateQuery = `
SELECT c.reltuples::float8 AS estimate,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2`;

/**
 * The planner's statistics for a column: its histogram (equal-count buckets, most common values
 * excluded) and most common values with their frequencies, as text elements; plus how many rows
 * changed since they were gathered, so stale statistics can be told from fresh ones.
 */
export const columnStatisticsQuery = `
SELECT s.null_frac::float8 AS null_frac,
       (SELECT array_agg(v) FROM unnest(s.histogram_bounds::text::text[]) v) AS histogram,
       (SELECT array_agg(v) FROM unnest(s.most_common_vals::text::text[]) v) AS common_values,
       s.most_common_freqs::float8[] AS common_freqs,
       coalesce(u.n_mod_since_analyze, 0)::float8 AS modified,
       greatest(c.reltuples, 0)::float8 AS analyzed_rows
  FROM pg_catalog.pg_stats s
  JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
  LEFT JOIN pg_catalog.pg_stat_user_tables u ON u.relid = c.oid
 WHERE s.schemaname = coalesce($1, current_schema()) AND s.tablename = $2 AND s.attname = $3 AND NOT s.inherited`;
