import type { Column } from '../../spec/columns.js';
import type { ReadChunkRequest, ReadTarget } from '../sourceConnector.js';
import { chunkQuery, quoteIdentifier, type SqlQuery } from './sqlServerDialect.js';

/**
 * The statements of the quality checks (quality/): aggregates over a run's rows (the target
 * within the run's cursor window, as every chunk of the run reads them), as a derived table of
 * the chunk query that reads them, so the window's bounds are bound exactly as a chunk binds them.
 * Key columns are grouped by as the chunk reads them (exact text for decimals and times), and
 * strings compare under the column's collation: what a unique index on them would call equal.
 */
type RunRows = { target: ReadTarget; window?: ReadChunkRequest['window'] };

function runRows(rows: RunRows, columns: Column[]): SqlQuery {
  return chunkQuery(rows.target, columns, undefined, [], { kind: 'all' }, rows.window);
}

/** `n`, then `n0`, `n1`, ...: each column's non-NULL values. */
export function nonNullCountsQuery(rows: RunRows, columns: Column[]): SqlQuery {
  const inner = runRows(rows, columns);
  return { text: `SELECT COUNT_BIG(*) AS n, ${columns.map((column, index) => `COUNT_BIG(${quoteIdentifier(column.name)}) AS n${index}`).join(', ')}\n  FROM (${inner.text}) AS siphon_rows`, params: inner.params };
}

/** The duplicated key values in key order, at most `limit`, as `k0`, `k1`, ... with their rows `n`. */
export function duplicateKeysQuery(rows: RunRows, keys: Column[], limit: number): SqlQuery {
  const inner = runRows(rows, keys);
  const quoted = keys.map((key) => quoteIdentifier(key.name));
  return {
    text: `SELECT TOP (@limit) ${quoted.map((key, index) => `${key} AS k${index}`).join(', ')}, COUNT_BIG(*) AS n\n  FROM (${inner.text}) AS siphon_rows\n GROUP BY ${quoted.join(', ')}\nHAVING COUNT_BIG(*) > 1\n ORDER BY ${quoted.join(', ')}`,
    params: [...inner.params, { name: 'limit', type: 'int', value: Math.max(1, Math.floor(limit)) }],
  };
}

/** How many key values are duplicated, as `n`. */
export function duplicateKeyCountQuery(rows: RunRows, keys: Column[]): SqlQuery {
  const inner = runRows(rows, keys);
  const quoted = keys.map((key) => quoteIdentifier(key.name)).join(', ');
  return { text: `SELECT COUNT_BIG(*) AS n FROM (SELECT 1 AS one FROM (${inner.text}) AS siphon_rows GROUP BY ${quoted} HAVING COUNT_BIG(*) > 1) AS siphon_duplicates`, params: inner.params };
}
