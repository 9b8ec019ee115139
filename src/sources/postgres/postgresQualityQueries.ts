import type { Column } from '../../spec/columns.js';
import type { ReadChunkRequest, ReadTarget } from '../sourceConnector.js';
import { chunkQuery, keyValueText, quoteIdentifier, type SqlWithParams } from './postgresDialect.js';

/**
 * The statements of the quality checks (quality/): aggregates over a run's rows, which are the
 * rows every chunk of the run reads together (the target within the run's cursor window), so
 * the same chunkQuery builds their WHERE. Read-only, values bound.
 */
type RunRows = { target: ReadTarget; window?: ReadChunkRequest['window'] };

function runRows(rows: RunRows, selectList: string[]): SqlWithParams {
  const window = rows.window && {
    column: rows.window.column,
    after: rows.window.after === undefined ? undefined : keyValueText(rows.window.kind, rows.window.after),
    upTo: keyValueText(rows.window.kind, rows.window.upTo),
  };
  return chunkQuery(rows.target, selectList, undefined, [], { kind: 'all' }, (digits) => digits, window);
}

/** `rows`, then `n0`, `n1`, ...: the non-NULL values of each column. */
export function nonNullCountsQuery(rows: RunRows, columns: Column[]): SqlWithParams {
  return runRows(rows, ['count(*)::float8 AS rows', ...columns.map((column, index) => `count(${quoteIdentifier(column.name)})::float8 AS n${index}`)]);
}

/** The duplicated key values in key order, at most `limit`, as text, with their rows (`rows`). */
export function duplicateKeysQuery(rows: RunRows, keys: Column[], limit: number): SqlWithParams {
  const inner = runRows(rows, keys.map((key) => quoteIdentifier(key.name)));
  const quoted = keys.map((key) => quoteIdentifier(key.name));
  return {
    text: `SELECT ${quoted.map((key) => `${key}::text`).join(', ')}, count(*)::float8 AS rows FROM (${inner.text}) AS siphon_rows GROUP BY ${quoted.join(', ')} HAVING count(*) > 1 ORDER BY ${quoted.join(', ')} LIMIT ${Math.max(1, Math.floor(limit))}`,
    values: inner.values,
  };
}

/** How many key values are duplicated: one number, `keys`. */
export function duplicateKeyCountQuery(rows: RunRows, keys: Column[]): SqlWithParams {
  const inner = runRows(rows, keys.map((key) => quoteIdentifier(key.name)));
  const quoted = keys.map((key) => quoteIdentifier(key.name)).join(', ');
  return { text: `SELECT count(*)::float8 AS keys FROM (SELECT 1 FROM (${inner.text}) AS siphon_rows GROUP BY ${quoted} HAVING count(*) > 1) AS siphon_duplicates`, values: inner.values };
}
