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
    // The numeric forms (`v + 0`: YYYYMMDD, YYYYMMDDhhmmss.ffffff) cost a third of TO_DAYS and of
    // TO_SECONDS + MICROSECOND per row (MariaDB 10.11, a million rows: 60 vs 160 ms for dates, 130
    // vs 240 ms for datetimes). A TIMESTAMP is an instant: UNIX_TIMESTAMP gives its seconds since
    // 1970 with the fraction (exact DECIMAL), 80 ms; the read's microseconds are the same instant's
    // (the session runs in UTC).
    case 'dateDigits': return `SUM(${v} + 0)`;
    case 'dateTimeDigits': return `SUM(${v} + 0) * 1000000`;
    case 'micros':
      if (column.type.kind === 'time') return `SUM((HOUR(${v}) * 3600 + MINUTE(${v}) * 60 + SECOND(${v})) * 1000000 + MICROSECOND(${v}))`;
      if (/^timestamp\b/i.test(column.sourceType)) return `SUM(UNIX_TIMESTAMP(${v})) * 1000000`;
      // Not a type MySQL reads as an instant (checksumTerms gives DATETIME dateTimeDigits): days and seconds since year 0.
      return `SUM(TO_SECONDS(${v})) * 1000000 + SUM(MICROSECOND(${v})) - CAST(62167219200000000 AS DECIMAL(65, 0)) * COUNT(${v})`;
    case 'days': return `SUM(TO_DAYS(${v})) - 719528 * COUNT(${v})`;
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
