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
function termSum(term: ColumnTerm, v: string, sourceType: string): string | undefined {
  switch (term.term) {
    case 'count': return undefined;
    case 'integer': case 'decimal': return `sum(${v})::text`;
    case 'float64Bits': return `sum(('x' || encode(float8send(${v}), 'hex'))::bit(64)::bigint)::text`;
    case 'float32Bits': return `sum(('x' || encode(float4send(${v}), 'hex'))::bit(32)::int)::text`;
    case 'boolean': return `count(*) FILTER (WHERE ${v})::text`;
    // char(n) reads with its padding, which a cast to text drops and its output function keeps.
    case 'text': return `sum(hashtextextended(${/^(character(?! varying)\b|bpchar)/.test(sourceType) ? `textin(bpcharout(${v}))` : `${v}::text`} COLLATE "C", 0))::text`;
    case 'binary': return `sum(('x' || substr(md5(${v}), 1, 16))::bit(64)::bigint & 1152921504606846975)::text`;
    case 'days': return `sum(${v} - date '1970-01-01')::text`;
    case 'micros': return `(sum(extract(epoch from ${v})) * 1000000)::text`;
    case 'int8Hash': return /^time\b/.test(sourceType)
      ? `sum(time_hash_extended(${v}, 0))::text`
      : `sum(timestamp_hash_extended(${v}::timestamp, 0))::text`;
    case 'offsetMicros': return undefined;
  }
}

/** `n`, then per column `c<i>` (values not NULL) and `s<i>` (the sum of their terms, text). */
export function chunkChecksumQuery(request: ChunkChecksumRequest): SqlWithParams {
  const { key, window } = request;
  const windowValues = window && { column: window.column, after: window.after === undefined ? undefined : keyValueText(window.kind, window.after), upTo: keyValueText(window.kind, window.upTo) };
  const inner = chunkQuery(request.target, request.columns.map((column) => selectExpression(column, quoteIdentifier(column.name))), key?.column, [], request.range, (digits) => keyValueText(key!.kind, digits), windowValues);
  const aggregates = request.terms.flatMap((term, index) => {
    const v = `siphon_rows.${quoteIdentifier(term.name)}`;
    return [`count(${v}) AS c${index}`, `${termSum(term, v, request.columns[index]!.sourceType) ?? 'NULL::text'} AS s${index}`];
  });
  return { text: `SELECT count(*) AS n, ${aggregates.join(', ')} FROM (${inner.text}) AS siphon_rows`, values: inner.values };
}
