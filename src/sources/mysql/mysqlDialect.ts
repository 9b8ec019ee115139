import { NonRetryableError } from '../../errors/errorTypes.js';
import type { ChunkRange, Column } from '../../spec/columns.js';
import type { SessionLimits } from '../sessionLimits.js';
import type { ChunkKey, KeyKind } from '../sourceConnector.js';
import { tupleRangeConditions } from '../tupleRangeConditions.js';

/** A fixed seed: unchanged data gives the same sample, so the same plan and files on every run. */
export const sampleSeed = 20_261_121;

/** The one place MySQL/MariaDB identifiers are quoted: backticks, embedded backticks doubled. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new NonRetryableError('An identifier cannot be empty');
  if (name.includes('\u0000')) throw new NonRetryableError(`Identifier contains NUL: ${JSON.stringify(name)}`);
  return `\`${name.replace(/`/g, '``')}\``;
}

/** What a statement reads from: a table of a known database, or the user's own SELECT. */
export type SqlSource = { kind: 'table'; schema: string; name: string } | { kind: 'query'; sql: string };

/** A user query is read as a derived table under this alias. */
export const queryAlias = 'siphon_query';

export function fromClause(source: SqlSource): string {
  if (source.kind === 'table') return `${quoteIdentifier(source.schema)}.${quoteIdentifier(source.name)}`;
  // A trailing semicolon would end the statement early; the newlines keep a trailing `-- comment`
  // in the user's SQL from swallowing the closing parenthesis.
  const sql = source.sql.replace(/[\s;]+$/, '');
  if (sql.trim() === '') throw new NonRetryableError('The source query is empty');
  return `(\n${sql}\n) AS ${quoteIdentifier(queryAlias)}`;
}

/** Values are bound by mysql2 (`?`), never spliced in; bigints become integer literals. */
export type SqlWithValues = { sql: string; values: Array<string | bigint | number> };

export type SelectColumn = Pick<Column, 'name' | 'type'> & Partial<Pick<Column, 'sourceType' | 'override'>>;

/**
 * The select list of a chunk. FLOAT is sent as text rounded to 6 significant digits, which loses
 * float32 precision; widened to DOUBLE it is sent with every digit it has and rounds back exactly.
 * A column the pipeline's columnTypes overrides is read as the server's text of it (a BIT as its
 * number's digits, not its raw bytes).
 */
export function selectList(columns: SelectColumn[]): string {
  if (columns.length === 0) throw new NonRetryableError('A chunk must read at least one column');
  return columns
    .map((column) => {
      const quoted = quoteIdentifier(column.name);
      if (column.override) return `CAST(${/^bit\b/i.test(column.sourceType ?? '') ? `${quoted} + 0` : quoted} AS CHAR) AS ${quoted}`;
      return column.type.kind === 'float32' ? `CAST(${quoted} AS DOUBLE) AS ${quoted}` : quoted;
    })
    .join(', ');
}

/** The rows of one chunk: a key range (bounds bound, never inlined), the rows whose key is NULL, or all rows. */
export function chunkQuery(
  source: SqlSource,
  columns: SelectColumn[],
  key: ChunkKey | undefined,
  orderBy: string[],
  range: ChunkRange,
  keyParameter: (kind: KeyKind, digits: string) => string | bigint,
  window?: { column: string; after?: string | bigint | undefined; upTo: string | bigint },
): SqlWithValues {
  const values: Array<string | bigint> = [];
  const conditions: string[] = [];
  if (range.kind === 'pages' || range.kind === 'partition') throw new NonRetryableError(`MySQL/MariaDB tables are not split by ${range.kind} (PostgreSQL ctid pages, SQL Server partitions)`);
  if (range.kind !== 'all') {
    if (key === undefined) throw new NonRetryableError(`A ${range.kind} chunk needs a split key column`);
    const column = quoteIdentifier(key.column);
    if (range.kind === 'nullKey') conditions.push(`${column} IS NULL`);
    else if (range.kind === 'tuple') {
      const parts = [key, key.next];
      if (!key.next) throw new NonRetryableError('A tuple chunk needs a composite split key');
      conditions.push(...tupleRangeConditions(range, (index, operator, digits) => {
        values.push(keyParameter(parts[index]!.kind, digits));
        return `${quoteIdentifier(parts[index]!.column)} ${operator} ?`;
      }));
    } else {
      const keyColumnText = column;
      conditions.push(`${keyColumnText} >= ?`, `${keyColumnText} ${range.upperInclusive ? '<=' : '<'} ?`);
      values.push(keyParameter(key.kind, range.lower), keyParameter(key.kind, range.upper));
    }
  }
  // An incremental run's cursor range applies to every chunk on top of its key range.
  if (window) {
    const cursor = quoteIdentifier(window.column);
    if (window.after !== undefined) {
      conditions.push(`${cursor} > ?`);
      values.push(window.after);
    }
    conditions.push(`${cursor} <= ?`);
    values.push(window.upTo);
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const order = orderBy.length > 0 ? ` ORDER BY ${orderBy.map(quoteIdentifier).join(', ')}` : '';
  return { sql: `SELECT ${selectList(columns)} FROM ${fromClause(source)}${where}${order}`, values };
}

/** `within`: only rows whose prefix column equals the one bound value (a composite key's second column under one value of its first). */
export function keyBoundsQuery(source: SqlSource, keyColumn: string, within?: string): string {
  const key = quoteIdentifier(keyColumn);
  const where = within === undefined ? '' : ` WHERE ${quoteIdentifier(within)} = ?`;
  return `SELECT MIN(${key}), MAX(${key}) FROM ${fromClause(source)}${where}`;
}

/** Every index's key columns in order; a functional index (MySQL 8) has a NULL column name and is left out by the connector. InnoDB clusters on PRIMARY. */
/** The base tables of the connection's database (its schema), the only schema an unqualified name means. */
export const listTablesQuery = `
SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`;

export const tableIndexesQuery = `
SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS
 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`;

/** Rows (an estimate for InnoDB) and DATA_LENGTH: the clustered index, which holds the rows, without secondary indexes. */
export const tableSizeQuery = `
SELECT TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`;

export function countQuery(source: SqlSource): string {
  return `SELECT COUNT(*) FROM ${fromClause(source)}`;
}

/** A Bernoulli sample of the non-NULL keys; the server filters, so only the sample crosses the network. */
export function sampleQuery(source: SqlSource, keyColumn: string, fraction: number): SqlWithValues {
  const key = quoteIdentifier(keyColumn);
  return { sql: `SELECT ${key} FROM ${fromClause(source)} WHERE ${key} IS NOT NULL AND RAND(?) < ?`, values: [sampleSeed, fraction] };
}

/** No rows, only the column definitions of a query's result. */
export function probeQuery(source: SqlSource): string {
  return `SELECT * FROM ${fromClause(source)} LIMIT 0`;
}

/**
 * Sessions see TIMESTAMPs as UTC wall clock and exchange text as full UTF-8 (emoji included);
 * every transaction, autocommitted statements included, is read-only, so a write that got past
 * the query check fails with error 1792.
 */
export const sessionSettings = [`SET time_zone = '+00:00'`, 'SET NAMES utf8mb4', 'SET SESSION TRANSACTION READ ONLY'];

/**
 * Statement and lock timeouts. MariaDB's max_statement_time is in seconds, MySQL's
 * max_execution_time in milliseconds (SELECTs only, which is all Siphon sends). Either counts a
 * streamed read whole, including the time the server waits while Siphon uploads a batch, so the
 * statement limit must cover the slowest chunk. lock_wait_timeout bounds waiting for metadata
 * locks (a table being altered), innodb_lock_wait_timeout for row locks.
 */
export function sessionLimitSettings(flavor: 'mysql' | 'mariadb', limits: SessionLimits): string[] {
  const statementSeconds = wholeSeconds(limits.statementTimeoutSeconds);
  const lockSeconds = wholeSeconds(limits.lockTimeoutSeconds);
  return [
    flavor === 'mariadb' ? `SET SESSION max_statement_time = ${statementSeconds}` : `SET SESSION max_execution_time = ${statementSeconds * 1000}`,
    `SET SESSION lock_wait_timeout = ${lockSeconds}`,
    `SET SESSION innodb_lock_wait_timeout = ${lockSeconds}`,
  ];
}

function wholeSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 1) throw new NonRetryableError(`A session timeout must be at least 1 second, not ${seconds}`);
  return Math.round(seconds);
}

export const serverQuery = 'SELECT VERSION(), DATABASE()';

export const describeColumnsQuery = `
SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE
  FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
 ORDER BY ORDINAL_POSITION`;

export const primaryKeyQuery = `
SELECT COLUMN_NAME
  FROM information_schema.KEY_COLUMN_USAGE
 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
 ORDER BY ORDINAL_POSITION`;

/** MariaDB's JSON is LONGTEXT plus a json_valid() check; MySQL has no TABLE_NAME here and a real JSON type. */
export const mariadbCheckConstraintsQuery = `
SELECT CHECK_CLAUSE
  FROM information_schema.CHECK_CONSTRAINTS
 WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`;

/** Whether a check constraint is the one MariaDB adds for a JSON column (or a user's identical one). */
export function isJsonCheck(checkClause: string, column: string): boolean {
  return checkClause.replace(/\s+/g, '').toLowerCase() === `json_valid(${quoteIdentifier(column)})`.toLowerCase();
}

/** InnoDB's estimate, NULL for views; good enough for progress and sample sizes. */
export const rowEstimateQuery = `
SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`;

export const mysqlHistogramQuery = `
SELECT HISTOGRAM FROM information_schema.COLUMN_STATISTICS
 WHERE SCHEMA_NAME = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?`;

export const mariadbHistogramQuery = `
SELECT min_value, max_value, hist_type, histogram FROM mysql.column_stats
 WHERE db_name = ? AND table_name = ? AND column_name = ?`;
