import { z } from 'zod';
import { columnSchema, type Column } from '../spec/columns.js';
import { outputFormats, type Compression, type OutputFormat } from '../spec/pipelineSpec.js';
import { outputForms } from '../formats/outputForms.js';

/**
 * `_schema.json` beside a run's CSV or JSON Lines files: text carries no types, so without it a
 * reader guesses (DuckDB's sniffer reads decimal(38,10) and uint64 as DOUBLE). Parquet files
 * carry their schema in the footer and get none. Each column states its output type and the text
 * form its values take in the format, the contract of formats/textForms.ts.
 */
export const schemaFileSchema = z.object({
  schemaVersion: z.literal(1),
  format: z.enum(outputFormats),
  compression: z.string(),
  /** Columns whose values are in the folder names (`col=value/`) rather than in the files. */
  partitionBy: z.array(z.string()).optional(),
  columns: z.array(columnSchema.extend({ textForm: z.string() })),
  /** How NULL and the empty string are told apart in this format. */
  nulls: z.string(),
});

export type SchemaFile = z.infer<typeof schemaFileSchema>;

export function schemaFileFor(format: Exclude<OutputFormat, 'parquet'>, compression: Compression, columns: Column[], partitionBy?: string[]): SchemaFile {
  return {
    schemaVersion: 1,
    format,
    compression,
    ...(partitionBy?.length ? { partitionBy } : {}),
    columns: columns.map((column) => ({ ...column, textForm: outputForms(column.type)[format] })),
    nulls: format === 'csv' ? 'NULL is an unquoted empty field; the empty string is ""' : 'NULL is JSON null; a key is present for every column',
  };
}
