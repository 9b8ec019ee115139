import type { Column } from '../../spec/columns.js';
import type { ReadChunkRequest } from '../sourceConnector.js';
import { chunkQuery, quoteIdentifier, type SqlSource, type SqlWithValues } from './mysqlDialect.js';
import { keyParameter } from './mysqlTypes.js';

/**
 * The statements of the quality checks (quality/): aggregates over a run's rows (the target
 * within the run's cursor window, as every chunk of the run reads them), as a derived table of
 * the chunk query that reads them, so the window means the same here. Read-only, values bound.
 */
type RunRows = { source: SqlSource; window?: ReadChunkRequest['window'] };

function runRows(rows: RunRows, columns: Column[]): SqlWithValues {
  const window = rows.window && {
    column: rows.window.column,
    after: rows.window.after === undefined ? undefined : keyParameter(rows.window.kind, rows.window.after),
    upTo: keyParameter(rows.window.kind, rows.window.upTo),
  };
  return chunkQuery(rows.source, columns, undefined, [], { kind: 'all' }, (digits) => digits, window);
}

/** COUNT(*), then each column's non-NULL values. */
export function nonNullCountsQuery(rows: RunRows, columns: Column[]): SqlWithValues {
  const inner = runRows(rows, columns);
  return { sql: `SELECT COUNT(*), ${columns.map((column) => `COUNT(${quoteIdentifier(column.name)})`).join(', ')} FROM (${inner.sql}) AS siphon_rows`, values: inner.values };
}

/** The duplicated key values in key order, at most `limit`, each with its rows last. */
export function duplicateKeysQuery(rows: RunRows, keys: Column[], limit: number): SqlWithValues {
  const inner = runRows(rows, keys);
  const quoted = keys.map((key) => quoteIdentifier(key.name)).join(', ');
  return { sql: `SELECT ${quoted}, COUNT(*) FROM (${inner.sql}) AS siphon_rows GROUP BY ${quoted} HAVING COUNT(*) > 1 ORDER BY ${quoted} LIMIT ${Math.max(1, Math.floor(limit))}`, values: inner.values };
}

/** How many key values are duplicated. */
export function duplicateKeyCountQuery(rows: RunRows, keys: Column[]): SqlWithValues {
  const inner = runRows(rows, keys);
  const quoted = keys.map((key) => quoteIdentifier(key.name)).join(', ');
  return { sql: `SELECT COUNT(*) FROM (SELECT 1 AS one FROM (${inner.sql}) AS siphon_rows GROUP BY ${quoted} HAVING COUNT(*) > 1) AS siphon_duplicates`, values: inner.values };
}
