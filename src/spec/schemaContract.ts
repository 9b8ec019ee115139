import { z } from 'zod';

/**
 * What a run does when the source's columns differ from the schema of the pipeline's last
 * successful run (applySchemaContract in orchestration/schemaDrift.ts), per kind of change:
 * - `added`: `evolve` writes the new column (the default, what Siphon always did), `freeze` fails
 *   the run before anything is written, `discardColumn` leaves the new column unread.
 * - `removed`: `ignore` stops writing the column (the default; the stored schema drops it),
 *   `nullFill` keeps writing it, every value NULL, with its stored type and made nullable (the
 *   output's schema stays the same; later runs go on filling it while the source lacks it),
 *   `freeze` fails the run.
 * - `retyped`: absent, only a safe widening evolves (int32 -> int64, float32 -> float64, a
 *   decimal that keeps every digit) and any other change fails the run naming the column;
 *   `evolve` takes any new type, `freeze` fails on every change of type.
 */
export const schemaContractSchema = z
  .object({
    added: z.enum(['evolve', 'freeze', 'discardColumn']).default('evolve'),
    removed: z.enum(['ignore', 'nullFill', 'freeze']).default('ignore'),
    retyped: z.enum(['evolve', 'freeze']).optional(),
  })
  .strict();

export type SchemaContract = z.infer<typeof schemaContractSchema>;

/** The contract of a pipeline that names none: today's behaviour, with no silent narrowing. */
export const defaultSchemaContract: SchemaContract = schemaContractSchema.parse({});
