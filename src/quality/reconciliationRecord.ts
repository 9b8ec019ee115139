import { z } from 'zod';

/**
 * A chunk's reconciliation as its record keeps it: `match` or `mismatch`; `snapshot` says the
 * source computed in the read's own snapshot (a mismatch is then a real difference); rows and
 * checksum digests of both sides; the columns whose values differ.
 */
export const reconciliationSchema = z.object({
  status: z.enum(['match', 'mismatch']),
  snapshot: z.boolean(),
  source: z.object({ rows: z.number().int().nonnegative(), checksum: z.string() }),
  read: z.object({ rows: z.number().int().nonnegative(), checksum: z.string() }),
  columns: z.array(z.string()).optional(),
});
export type Reconciliation = z.infer<typeof reconciliationSchema>;
