import type { OutputType } from '../spec/columns.js';
import type { ReaderProfile } from '../spec/pipelineSpec.js';

/**
 * Where a reader misreads or refuses Siphon's exact Parquet encoding of an output type, and what
 * it reads right instead. Every replacement keeps each value exactly (the text of a uuid or a
 * time is canonical and sorts like the value; a uint64 fits decimal(20,0)): what a reader loses is
 * the logical type, never a value, so no choice here needs an opt-in.
 */
type Replacement = { readers: readonly ReaderProfile[]; type: OutputType; why: string };

const replacements: Partial<Record<OutputType['kind'], Replacement>> = {
  // Spark 4.0 fails a whole file holding FIXED_LEN_BYTE_ARRAY(16) with the UUID logical type
  // (apache/spark#55684), and Fabric runs Spark; Synapse serverless SQL has no UUID column type.
  uuid: { readers: ['spark', 'fabric', 'synapse'], type: { kind: 'string' }, why: 'Spark 4.0 and Fabric reject the Parquet UUID type (apache/spark#55684) and Synapse has none: written as the lowercase 8-4-4-4-12 text' },
  // Spark before 4.1 cannot read Parquet TIME at all; Fabric runs such a Spark.
  time: { readers: ['spark', 'fabric'], type: { kind: 'string' }, why: 'Spark before 4.1 and Fabric cannot read Parquet TIME: written as the text HH:MM:SS.ffffff (exact, sorts as the times do)' },
  // UINT_64 is read as a signed BIGINT (values above 2^63 turn negative) by readers without
  // unsigned types; decimal(20,0) holds every value and every reader has it.
  uint64: { readers: ['spark', 'fabric', 'synapse'], type: { kind: 'decimal', precision: 20, scale: 0 }, why: 'Spark, Fabric and Synapse have no unsigned 64-bit type: written as decimal(20,0), the same integer' },
};

/** The type a column of `type` is written as in a Parquet file for these readers, and why when it is not the output type itself. */
export function parquetTypeFor(type: OutputType, readers: readonly string[]): { type: OutputType; why?: string } {
  if (readers.includes('exact')) return { type };
  const replacement = replacements[type.kind];
  if (!replacement || !replacement.readers.some((reader) => readers.includes(reader))) return { type };
  return { type: replacement.type, why: replacement.why };
}

/** The columns whose Parquet encoding differs from their output type for these readers: what the manifest and the plan state. */
export function parquetEncodingChanges(columns: ReadonlyArray<{ name: string; type: OutputType }>, readers: readonly string[]): Array<{ column: string; writtenAs: OutputType; why: string }> {
  return columns.flatMap((column) => {
    const chosen = parquetTypeFor(column.type, readers);
    return chosen.why ? [{ column: column.name, writtenAs: chosen.type, why: chosen.why }] : [];
  });
}
