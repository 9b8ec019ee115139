import { z } from 'zod';

/**
 * What a change-capture run fixed at prepare (recorded on the run): the key columns, the
 * run's `_change_version` (microseconds since the epoch of its start, above the previous
 * state's), and for hashDiff the state it compares with.
 */
export const captureSchema = z.object({
  mode: z.enum(['hashDiff', 'softDelete']),
  keys: z.array(z.string()),
  version: z.string().regex(/^\d+$/),
  previous: z.object({ runId: z.string(), version: z.string(), container: z.string(), index: z.string() }).optional(),
  /**
   * The run whose state was current at prepare (absent: none), even for a full refresh: finalize
   * moves the pointer only from there, so a run retried after a later run succeeded cannot
   * publish changes computed against a state that is no longer current.
   */
  currentAtPrepare: z.string().optional(),
});
export type RunCapture = z.infer<typeof captureSchema>;
