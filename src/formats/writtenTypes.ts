import type { Column, OutputType } from '../spec/columns.js';
import type { OutputSpec } from '../spec/pipelineSpec.js';
import { clockText } from './canonicalValues.js';
import { parquetTypeFor } from './readerProfiles.js';

/**
 * What each column is written as when the target cannot hold its output type as it is: a Delta
 * table has no TIME, UUID, JSON or unsigned 64-bit type (PROTOCOL.md "Schema Serialization
 * Format", "Primitive Types"), so those columns are written as types it has, without losing a
 * value:
 *
 * | output type | written as (Delta) | value |
 * | --- | --- | --- |
 * | time | string | `HH:MM:SS.ffffff` (exact, sorts as the times do) |
 * | uuid | string | lowercase 8-4-4-4-12 |
 * | json | string | the document text |
 * | uint64 | decimal(20,0) | the same integer |
 *
 * A Parquet file is written for the readers its spec names (formats/readerProfiles.ts), with
 * the same conversions. The written columns are a pure function of the columns read and the output spec, computed at
 * prepare (which refuses what cannot be written) and again wherever needed, so nothing more is
 * stored per run. The copy converts each row's values before they reach the row buffer; the
 * encoders see only written types.
 */
export function writtenColumns(columns: Column[], output: Pick<OutputSpec, 'format'> & { readers?: readonly string[] | undefined }): Column[] {
  if (output.format === 'delta') return columns.map((column) => ({ ...column, type: deltaWrittenType(column.type) }));
  // A Parquet file is written for its readers (formats/readerProfiles.ts); a spec without readers is exact.
  if (output.format === 'parquet') return columns.map((column) => ({ ...column, type: parquetTypeFor(column.type, output.readers ?? ['exact']).type }));
  return columns;
}

function deltaWrittenType(type: OutputType): OutputType {
  switch (type.kind) {
    case 'time': case 'uuid': case 'json': return { kind: 'string' };
    case 'uint64': return { kind: 'decimal', precision: 20, scale: 0 };
    default: return type;
  }
}

type Convert = (value: unknown) => unknown;

/**
 * Converts a row read with `columns` into the values of `written`, in place; undefined when
 * every column is written as it is read (no work per row).
 */
export function rowConverter(columns: Column[], written: Column[]): ((row: unknown[]) => void) | undefined {
  const converts = columns.map((column, index) => conversion(column.type, written[index]!.type, column.name));
  const changed = converts.flatMap((convert, index) => (convert ? [{ index, convert }] : []));
  if (changed.length === 0) return undefined;
  return (row) => {
    for (const { index, convert } of changed) {
      const value = row[index];
      if (value !== null && value !== undefined) row[index] = convert(value);
    }
  };
}

function conversion(from: OutputType, to: OutputType, column: string): Convert | undefined {
  if (from.kind === to.kind && (from.kind !== 'decimal' || (to.kind === 'decimal' && from.precision === to.precision && from.scale === to.scale))) return undefined;
  if (to.kind === 'string' && (from.kind === 'uuid' || from.kind === 'json')) return undefined;
  if (to.kind === 'string' && from.kind === 'time') return (value) => clockText(Number(value as bigint));
  if (to.kind === 'decimal' && to.scale === 0 && from.kind === 'uint64') return (value) => String(value as bigint);
  throw new Error(`Column ${column}: no conversion from ${from.kind} to ${to.kind}`);
}
