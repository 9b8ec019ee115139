import type { ChunkRange } from '../../spec/columns.js';
import type { TableRef } from '../sourceConnector.js';

/** The one place PostgreSQL identifiers are quoted: double quotes, embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new Error(`Identifier contains NUL: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteTable(table: TableRef): string {
  return `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export type SqlWithParams = { text: string; values: string[] };

/** The rows of one chunk: a key range (values bound, never inlined) or the rows whose key is NULL. */
export function chunkQuery(table: TableRef, columns: string[], keyColumn: string, orderBy: string[], range: ChunkRange, keyParameter: (digits: string) => string): SqlWithParams {
  const key = quoteIdentifier(keyColumn);
  const select = `SELECT ${columns.map(quoteIdentifier).join(', ')} FROM ${quoteTable(table)}`;
  const order = `ORDER BY ${orderBy.map(quoteIdentifier).join(', ')}`;
  if (range.kind === 'nullKey') return { text: `${select} WHERE ${key} IS NULL ${order}`, values: [] };
  const upper = range.upperInclusive ? '<=' : '<';
  return { text: `${select} WHERE ${key} >= $1 AND ${key} ${upper} $2 ${order}`, values: [keyParameter(range.lower), keyParameter(range.upper)] };
}

export function keyBoundsQuery(table: TableRef, keyColumn: string): string {
  const key = quoteIdentifier(keyColumn);
  return `SELECT min(${key})::text AS min, max(${key})::text AS max FROM ${quoteTable(table)}`;
}

export const describeColumnsQuery = `
SELECT a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS formatted,
       t.typname AS type_name,
       a.atttypmod AS typmod,
       NOT a.attnotnull AS nullable
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

export const primaryKeyQuery = `
SELECT a.attname AS name
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
 WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
 ORDER BY array_position(i.indkey, a.attnum)`;

/** reltuples is -1 for a table never analyzed; the planner's estimate is enough for progress. */
export const rowEstimateQuery = `
SELECT c.reltuples::float8 AS estimate
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2`;
