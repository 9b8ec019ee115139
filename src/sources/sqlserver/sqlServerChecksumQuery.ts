import type { Column } from '../../spec/columns.js';
import type { ChunkChecksumRequest } from '../sourceConnector.js';
import type { ColumnTerm } from '../../quality/chunkChecksum.js';
import { baseTypeName } from './sqlServerTypes.js';
import { chunkQuery, quoteIdentifier, selectExpression, type SqlQuery } from './sqlServerDialect.js';

/** The first 8 bytes of an MD5 as a signed bigint, summed exactly (a bigint sum would overflow). */
const md5Sum = (bytes: string) => `SUM(CAST(CAST(SUBSTRING(HASHBYTES('MD5', ${bytes}), 1, 8) AS BIGINT) AS DECIMAL(38, 0)))`;
const exactSum = (integer: string) => `SUM(CAST(${integer} AS DECIMAL(38, 0)))`;
const unixEpoch = `CAST('1970-01-01 00:00:00' AS DATETIME2(7))`;

/**
 * The sum of one column's terms (quality/chunkChecksum.ts) over the chunk's rows; `v` is the
 * column as stored (an overridden column: the text the read selects). Strings hash as the
 * UTF-16LE bytes of their nvarchar form, which is what HASHBYTES sees of an nvarchar; a
 * uniqueidentifier in the lower case the read gives. datetime and smalldatetime are rounded to
 * the millisecond as the read's driver (tedious) gives them; DATEDIFF_BIG counts microsecond
 * boundaries, so a 100 ns digit is truncated as the read truncates it.
 */
function termSum(term: ColumnTerm, v: string, column: Column): string | undefined {
  const base = baseTypeName(column.sourceType);
  switch (term.term) {
    case 'count': return undefined;
    case 'integer': return exactSum(v);
    case 'decimal': return `SUM(CAST(${v} AS DECIMAL(38, ${term.scale})))`;
    case 'float64Bits': return exactSum(`CAST(CAST(${v} AS BINARY(8)) AS BIGINT)`);
    case 'float32Bits': return `SUM(CAST(CAST(CAST(${v} AS BINARY(4)) AS INT) AS BIGINT))`;
    case 'boolean': return `SUM(CAST(${v} AS INT))`;
    case 'text': {
      if (column.override) return md5Sum(v);
      if (column.type.kind === 'uuid') return md5Sum(`LOWER(CAST(${v} AS NVARCHAR(36)))`);
      return md5Sum(base === 'nvarchar' || base === 'nchar' ? v : `CAST(${v} AS NVARCHAR(MAX))`);
    }
    case 'binary': return md5Sum(v);
    case 'days': return `SUM(CAST(DATEDIFF(DAY, CAST('1970-01-01' AS DATE), ${v}) AS BIGINT))`;
    case 'micros':
      if (base === 'time') return exactSum(`DATEDIFF_BIG(MICROSECOND, CAST('00:00:00' AS TIME(7)), ${v})`);
      if (base === 'datetime' || base === 'smalldatetime') return exactSum(`DATEDIFF_BIG(MICROSECOND, ${unixEpoch}, CAST(${v} AS DATETIME2(3)))`);
      return exactSum(`DATEDIFF_BIG(MICROSECOND, ${unixEpoch}, ${v})`);
    case 'offsetMicros': return `SUM(CAST(DATEDIFF_BIG(MICROSECOND, CAST('1970-01-01 00:00:00 +00:00' AS DATETIMEOFFSET(7)), ${v}) AS DECIMAL(38, 0)) + DATEPART(TZOFFSET, ${v}))`;
    // PostgreSQL's and MySQL's terms only.
    case 'int8Hash': case 'dateDigits': case 'dateTimeDigits': return undefined;
  }
}

/**
 * `n`, then per column `c<i>` (values not NULL; NULL for a NOT NULL column, which the rows count)
 * and `s<i>` (the sum of their terms as text: tedious would give a DECIMAL(38) as a rounded
 * number). The rows are the chunk's, selected as stored rather than as the read converts them.
 */
export function chunkChecksumQuery(request: ChunkChecksumRequest): SqlQuery {
  const asStored = (column: Column) => (column.override ? selectExpression(column) : quoteIdentifier(column.name));
  const inner = chunkQuery(request.target, request.columns, request.key, [], request.range, request.window, asStored);
  const aggregates = request.terms.flatMap((term, index) => {
    const column = request.columns[index]!;
    const v = `siphon_rows.${quoteIdentifier(column.name)}`;
    const sum = termSum(term, v, column);
    return [
      `${column.nullable ? `COUNT_BIG(${v})` : 'CAST(NULL AS BIGINT)'} AS c${index}`,
      `${sum ? `CONVERT(NVARCHAR(60), ${sum})` : 'CAST(NULL AS NVARCHAR(60))'} AS s${index}`,
    ];
  });
  return { text: `SELECT COUNT_BIG(*) AS n, ${aggregates.join(', ')}\n  FROM (${inner.text}) AS siphon_rows`, params: inner.params };
}
