import type { SchemaElement } from 'hyparquet';
import { NonRetryableError } from '../../errors/errorTypes.js';
import type { Column, OutputType } from '../../spec/columns.js';

/**
 * Parquet has no timestamp-with-offset type, so a timestampOffset column becomes two: the UTC
 * instant under the column's own name and the source's offset in minutes under this suffix.
 */
export const offsetColumnSuffix = '_offset_minutes';

/**
 * Output type to Parquet physical and logical type. Decimals keep precision and scale in the
 * smallest physical type that holds them; timestamps are microseconds, flagged UTC-adjusted only
 * when the source type is an instant.
 */
export function parquetSchema(columns: Column[]): SchemaElement[] {
  const leaves = columns.flatMap((column): SchemaElement[] => {
    const repetition_type = column.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const);
    if (column.type.kind !== 'timestampOffset') return [{ name: column.name, repetition_type, ...physicalType(column.type) }];
    return [
      { name: column.name, repetition_type, ...physicalType({ kind: 'timestamp', utc: true }) },
      { name: column.name + offsetColumnSuffix, repetition_type, ...physicalType({ kind: 'int16' }) },
    ];
  });
  const seen = new Set<string>();
  for (const leaf of leaves) {
    if (seen.has(leaf.name)) {
      const owner = columns.find((column) => column.type.kind === 'timestampOffset' && column.name + offsetColumnSuffix === leaf.name);
      throw new NonRetryableError(
        owner
          ? `Column ${owner.name} (${owner.sourceType}) is written to Parquet as ${owner.name} and ${leaf.name}, but the table already has a column named ${leaf.name}; rename one of them`
          : `Two columns are named ${leaf.name}`,
      );
    }
    seen.add(leaf.name);
  }
  return [{ name: 'root', num_children: leaves.length }, ...leaves];
}

function physicalType(type: Exclude<OutputType, { kind: 'timestampOffset' }>): Omit<SchemaElement, 'name' | 'repetition_type'> {
  switch (type.kind) {
    // Integer widths carry the converted type only: hyparquet-writer 0.17 serializes the INTEGER
    // logical type's bitWidth as a Thrift i32 where the spec has an i8, and DuckDB then rejects the
    // whole footer. Every reader maps INT_16 / UINT_64 to the same types the logical one would.
    case 'int16': return { type: 'INT32', converted_type: 'INT_16' };
    case 'int32': return { type: 'INT32' };
    case 'int64': return { type: 'INT64' };
    // hyparquet-writer takes the unsigned bigint, orders statistics unsigned, and stores the two's
    // complement, as the spec wants.
    case 'uint64': return { type: 'INT64', converted_type: 'UINT_64' };
    case 'float32': return { type: 'FLOAT' };
    case 'float64': return { type: 'DOUBLE' };
    case 'boolean': return { type: 'BOOLEAN' };
    case 'string': return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    // Written as UTF-8 bytes already, so the writer does not re-serialize the document; the JSON
    // converted type is added at finish (see ParquetFileWriter.finish).
    case 'json': return { type: 'BYTE_ARRAY', logical_type: { type: 'JSON' } };
    case 'uuid': return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } };
    case 'binary': return { type: 'BYTE_ARRAY' };
    case 'date': return { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'time': return { type: 'INT64', converted_type: 'TIME_MICROS', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } };
    case 'timestamp':
      return type.utc
        ? { type: 'INT64', converted_type: 'TIMESTAMP_MICROS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }
        : { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } };
    case 'decimal': {
      const decimal = { converted_type: 'DECIMAL' as const, precision: type.precision, scale: type.scale, logical_type: { type: 'DECIMAL' as const, precision: type.precision, scale: type.scale } };
      if (type.precision <= 9) return { type: 'INT32', ...decimal };
      if (type.precision <= 18) return { type: 'INT64', ...decimal };
      return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(type.precision), ...decimal };
    }
  }
}

/** The fewest bytes whose two's complement holds every value of the given precision. */
function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (max >= 1n << BigInt(8 * bytes - 1)) bytes++;
  return bytes;
}
