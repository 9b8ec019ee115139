import { z } from 'zod';

/** The output type of a column: what a source type becomes in every format. */
export const outputTypeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('int16') }),
  z.object({ kind: z.literal('int32') }),
  z.object({ kind: z.literal('int64') }),
  z.object({ kind: z.literal('uint64') }),
  /** Any precision the sources have (PostgreSQL's numeric reaches 1000 digits); Parquet takes 38 (formats/unwritableColumns.ts). */
  z.object({ kind: z.literal('decimal'), precision: z.number().int().min(1).max(1000), scale: z.number().int().min(0).max(1000) }),
  z.object({ kind: z.literal('float32') }),
  z.object({ kind: z.literal('float64') }),
  z.object({ kind: z.literal('boolean') }),
  z.object({ kind: z.literal('string') }),
  z.object({ kind: z.literal('json') }),
  z.object({ kind: z.literal('uuid') }),
  z.object({ kind: z.literal('binary') }),
  z.object({ kind: z.literal('date') }),
  z.object({ kind: z.literal('time') }),
  z.object({ kind: z.literal('timestamp'), utc: z.boolean() }),
  /** An instant with the offset the source recorded it in (SQL Server datetimeoffset). */
  z.object({ kind: z.literal('timestampOffset') }),
]);

export type OutputType = z.infer<typeof outputTypeSchema>;

export const columnSchema = z.object({
  name: z.string().min(1),
  sourceType: z.string().min(1),
  nullable: z.boolean(),
  type: outputTypeSchema,
  /**
   * Set when the pipeline's `columnTypes` replaced the type map's choice (`from`): connectors
   * then read the source's text of the column (see readType) and copy/columnOverrides.ts makes
   * the value of `type` from it.
   */
  override: z.object({ from: outputTypeSchema, rounding: z.enum(['halfEven', 'halfUp']).optional() }).optional(),
  /**
   * Set on a column the source no longer has that the run writes as all NULL, so the output keeps
   * its schema (schemaContract `removed: "nullFill"`): it is not read, and the copy puts a NULL
   * in its place in every row (copy/nullFilledColumns.ts).
   */
  nullFilled: z.literal(true).optional(),
});

export type Column = z.infer<typeof columnSchema>;

/** The type a connector decodes a column as: the source's text for an overridden column. */
export function readType(column: Column): OutputType {
  return column.override ? { kind: 'string' } : column.type;
}

/**
 * One chunk of a table: a half-open range of the split key, the last one closed at the top so the
 * maximum captured at prepare time is included; a separate chunk holds rows whose key is NULL.
 * Bounds are integer digits (see KeyBounds) so no value is rounded on the way. A pipeline without
 * chunking reads everything as one chunk (`all`).
 */
export const chunkRangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('range'), lower: z.string(), upper: z.string(), upperInclusive: z.boolean() }),
  z.object({ kind: z.literal('nullKey') }),
  /**
   * A range of a composite key (first, second) in its order: each bound is [first] (every value
   * of the second) or [first, second]; lower inclusive, upper exclusive unless upperInclusive.
   * Used when the first column has too few values to give the chunks (a tenant id).
   */
  z.object({ kind: z.literal('tuple'), lower: z.array(z.string()).min(1).max(2), upper: z.array(z.string()).min(1).max(2), upperInclusive: z.boolean() }),
  /** PostgreSQL heap pages [from, to) by ctid, `to` absent on the last chunk so pages added since the plan are read too. */
  z.object({ kind: z.literal('pages'), from: z.number().int().nonnegative(), to: z.number().int().positive().optional() }),
  /** One partition of a partitioned SQL Server table: `$PARTITION.function(column) = number` (a NULL column is in partition 1). */
  z.object({ kind: z.literal('partition'), function: z.string().min(1), column: z.string().min(1), number: z.number().int().positive() }),
  z.object({ kind: z.literal('all') }),
]);

export type ChunkRange = z.infer<typeof chunkRangeSchema>;

export const fileEntrySchema = z.object({
  path: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  md5: z.string(),
});

export type FileEntry = z.infer<typeof fileEntrySchema>;
