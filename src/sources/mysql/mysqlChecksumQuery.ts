import type { Column } from '../../spec/columns.js';
import type { ChunkChecksumRequest } from '../sourceConnector.js';
import type { ColumnTerm } from '../../quality/chunkChecksum.js';
import { chunkQuery, quoteIdentifier, type SqlSource, type SqlWithValues } from './mysqlDialect.js';
import { keyParameter } from './mysqlTypes.js';

/**
 * Character sets whose bytes are already the UTF-8 the session (SET NAMES utf8mb4) sends Siphon:
 * their strings are hashed as stored, without a CONVERT per row (0.14 CPU s per million strings
 * on MariaDB 10.11).
 */
const utf8Charsets = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'ascii']);

/** Each column's character set (NULL for numbers, dates, MySQL's JSON), for the checksum's strings. */
export const columnCharsetsQuery = `
SELECT COLUMN_NAME, CHARACTER_SET_NAME
  FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`;

/**
 * The sum of one column's terms (quality/chunkChecksum.ts) over the chunk's rows; `v` is the
 * column as the chunk's read selects it. Strings are hashed as utf8mb4 whatever the column's
 * character set, which is what the session (SET NAMES utf8mb4) sends Siphon: converted per row
 * unless the column's set stores those bytes already (`utf8`). Floats have no exact term on
 * MySQL (no function gives their bits): their values are counted only.
 */
function termSum(term: ColumnTerm, v: string, column: Column, utf8: boolean): string | undefined {
  const bit = /^bit\b/i.test(column.sourceType);
  switch (term.term) {
    case 'count': case 'float64Bits': case 'float32Bits': case 'offsetMicros': return undefined;
    case 'integer': return `SUM(${bit ? `${v} + 0` : v})`;
    case 'decimal': return `SUM(${v})`;
    case 'boolean': return `SUM(CASE WHEN ${v} + 0 <> 0 THEN 1 ELSE 0 END)`;
    case 'text': {
      const text = utf8 ? v : `CONVERT(${v} USING utf8mb4)`;
      return `SUM(CRC32(${column.type.kind === 'uuid' && !column.override ? `LOWER(${text})` : text}))`;
    }
    case 'binary': return `SUM(CRC32(${v}))`;
    // Days and seconds since year 0, shifted to 1970 once per column rather than per row:
    // TO_DAYS measured at half DATEDIFF's cost (MariaDB 10.11, a million rows).
    case 'days': return `SUM(TO_DAYS(${v})) - 719528 * COUNT(${v})`;
    case 'micros': return column.type.kind === 'time'
      ? `SUM((HOUR(${v}) * 3600 + MINUTE(${v}) * 60 + SECOND(${v})) * 1000000 + MICROSECOND(${v}))`
      : `SUM(TO_SECONDS(${v})) * 1000000 + SUM(MICROSECOND(${v})) - CAST(62167219200000000 AS DECIMAL(65, 0)) * COUNT(${v})`;
  }
}

/**
 * COUNT(*), then per column its values not NULL (NULL for a NOT NULL column: the rows count
 * them) and the sum of their terms. `charsets`: each column's character set, when known.
 */
export function chunkChecksumQuery(source: SqlSource, request: ChunkChecksumRequest, charsets: ReadonlyMap<string, string | null> = new Map()): SqlWithValues {
  const { key, window } = request;
  const windowValues = window && { column: window.column, after: window.after === undefined ? undefined : keyParameter(window.kind, window.after), upTo: keyParameter(window.kind, window.upTo) };
  const inner = chunkQuery(source, request.columns, key, [], request.range, keyParameter, windowValues);
  const aggregates = request.terms.flatMap((term, index) => {
    const v = `siphon_rows.${quoteIdentifier(term.name)}`;
    const column = request.columns[index]!;
    const charset = charsets.get(column.name);
    return [column.nullable ? `COUNT(${v})` : 'NULL', termSum(term, v, column, charset != null && utf8Charsets.has(charset)) ?? 'NULL'];
  });
  return { sql: `SELECT COUNT(*), ${aggregates.join(', ')} FROM (${inner.sql}) AS siphon_rows`, values: inner.values };
}
