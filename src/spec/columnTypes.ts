import { z } from 'zod';
import type { OutputType } from './columns.js';

/**
 * `columnTypes`: per-column output types that replace the source type map's choice, so a table
 * with one awkward column (a MySQL decimal(65,30) bound for Parquet, a time Spark cannot read)
 * needs no query pipeline. The source's own text of the column is read (a cast in the engine's
 * SQL) and Siphon makes the value of the new type from it:
 * - `string`: that text, exactly;
 * - `decimal(p,s)`: the number the text spells, which must fit p digits with s after the point;
 *   a value with more fraction digits is refused naming its row and column, unless `rounding`
 *   says how to round it (`halfEven`, banker's rounding, or `halfUp`, away from zero on a tie).
 *   A value with too many integer digits is always refused: no rounding makes it fit.
 */
export const roundingModes = ['halfEven', 'halfUp'] as const;
export type RoundingMode = (typeof roundingModes)[number];

export type ColumnTypeOverride = { type: Extract<OutputType, { kind: 'string' | 'decimal' }>; rounding?: RoundingMode | undefined };

const typeText = z.string().max(40).transform((text, ctx): ColumnTypeOverride['type'] => {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'string') return { kind: 'string' };
  const decimal = /^decimal\(\s*(\d{1,4})\s*,\s*(\d{1,4})\s*\)$/.exec(trimmed);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision >= 1 && precision <= 1000 && scale <= precision) return { kind: 'decimal', precision, scale };
    ctx.addIssue({ code: 'custom', message: `decimal(${precision},${scale}): precision must be 1 to 1000 and scale 0 to the precision` });
    return z.NEVER;
  }
  ctx.addIssue({ code: 'custom', message: `"${text}" is not a type a column can be read as: use "string" or "decimal(p,s)"` });
  return z.NEVER;
});

/** `"decimal(18,2)"` is short for `{"type": "decimal(18,2)"}`. */
const overrideSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { type: value } : value),
  z.object({ type: typeText, rounding: z.enum(roundingModes).optional() }).strict().superRefine((value, ctx) => {
    if (value.rounding && value.type.kind !== 'decimal') ctx.addIssue({ code: 'custom', path: ['rounding'], message: 'only a decimal is rounded' });
  }),
).transform((value): ColumnTypeOverride => (value.rounding ? { type: value.type, rounding: value.rounding } : { type: value.type }));

export const columnTypesSchema = z
  .record(z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL'), overrideSchema)
  .refine((record) => Object.keys(record).length <= 1_000, 'at most 1,000 columns');
