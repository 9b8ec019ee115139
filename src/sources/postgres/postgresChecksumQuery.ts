import type { ChunkChecksumRequest } from '../sourceConnector.js';
import type { ColumnTerm } from '../../quality/chunkChecksum.js';
import { selectExpression } from './postgresTypes.js';
import { chunkQuery, keyValueText, quoteIdentifier, type SqlWithParams } from './postgresDialect.js';

/**
 * The sum of one column's terms (quality/chunkChecksum.ts) over the chunk's rows, as text; `v`
 * is the column as the chunk's read selects it. Strings hash under the "C" collation, which is
 * deterministic, so hashtextextended hashes the UTF-8 bytes themselves. Times and timestamps
 * sum extract(epoch), exact numeric since PostgreSQL 14, and multiply once.
 */
function termSum(term: ColumnTerm, v: string, sourceType: string, asText: boolean): string | undefined {
  switch (term.term) {
    case 'count': return undefined;
    case 'integer': case 'decimal': return `sum(${v})::text`;
    case 'float64Bits': return `sum(('x' || encode(float8send(${v}), 'hex'))::bit(64)::bigint)::text`;
    case 'float32Bits': return `sum(('x' || encode(float4send(${v}), 'hex'))::bit(32)::int)::text`;
    case 'boolean': return `count(*) FILTER (WHERE ${v})::text`;
    case 'text': return `sum(hashtextextended(${textOf(v, sourceType, asText)} COLLATE "C", 0))::text`;
    case 'binary': return `sum(('x' || substr(md5(${v}), 1, 16))::bit(64)::bigint)::text`;
    case 'days': return `sum(${v} - date '1970-01-01')::text`;
    case 'micros': return `(sum(extract(epoch from ${v})) * 1000000)::text`;
    case 'int8Hash': return /^time\b/.test(sourceType)
      ? `sum(time_hash_extended(${v}, 0))::text`
      : `sum(timestamp_hash_extended(${v}::timestamp, 0))::text`;
    case 'offsetMicros': return undefined;
    // MySQL's terms only.
    case 'dateDigits': case 'dateTimeDigits': return undefined;
  }
}

/** Types whose cast to text is their output function (what a read of them gives). */
const castsLikeOutput = /^(text|character varying|json|jsonb|uuid|name|citext)\b/;

/**
 * A string column's text as the read gives it: the type's output function. A cast to text is
 * that for most types, but not all: char(n)'s drops the padding, inet's adds a /32 the output
 * leaves off, xml's may drop the declaration; those go through format('%s'), which calls the
 * output function (and NULL stays NULL). `asText`: the read's select made it text already.
 */
function textOf(v: string, sourceType: string, asText: boolean): string {
  if (asText || castsLikeOutput.test(sourceType)) return `${v}::text`;
  if (/^(character\b|bpchar)/.test(sourceType)) return `textin(bpcharout(${v}))`;
  return `CASE WHEN ${v} IS NULL THEN NULL ELSE format('%s', ${v}) END`;
}

/** `n`, then per column `c<i>` (values not NULL; NULL for a NOT NULL column) and `s<i>` (the sum of their terms, text). */
export function chunkChecksumQuery(request: ChunkChecksumRequest): SqlWithParams {
  const { key, window } = request;
  const windowValues = window && { column: window.column, after: window.after === undefined ? undefined : keyValueText(window.kind, window.after), upTo: keyValueText(window.kind, window.upTo) };
  const inner = chunkQuery(request.target, request.columns.map((column) => selectExpression(column, quoteIdentifier(column.name))), key, [], request.range, keyValueText, windowValues);
  const aggregates = request.terms.flatMap((term, index) => {
    const v = `siphon_rows.${quoteIdentifier(term.name)}`;
    const column = request.columns[index]!;
    // Overridden columns and arrays (as JSON) are text in the read's select already.
    const asText = column.override !== undefined || (column.type.kind === 'json' && column.sourceType.endsWith('[]'));
    // A NOT NULL column's values are the rows: no count per row.
    return [`${column.nullable ? `count(${v})` : 'NULL::bigint'} AS c${index}`, `${termSum(term, v, column.sourceType, asText) ?? 'NULL::text'} AS s${index}`];
  });
  return { text: `SELECT count(*) AS n, ${aggregates.join(', ')} FROM (${inner.text}) AS siphon_rows`, values: inner.values };
}
