import { z } from 'zod';

/**
 * What a change-capture run fixed at prepare (recorded on the run): the key columns, the
 * run's `_change_version` (hashDiff and softDelete: microseconds since the epoch of its start,
 * above the previous state's; changeTracking: the high version read at prepare), and for
 * hashDiff the state it compares with.
 */
export const captureSchema = z.object({
  mode: z.enum(['hashDiff', 'softDelete', 'changeTracking', 'cdc']),
  keys: z.array(z.string()),
  version: z.string().regex(/^(\d+|0x[0-9A-F]{20})$/),
  previous: z.object({ runId: z.string(), version: z.string(), container: z.string(), index: z.string() }).optional(),
  /**
   * The run whose state was current at prepare (absent: none), even for a full refresh: finalize
   * moves the pointer only from there, so a run retried after a later run succeeded cannot
   * publish changes computed against a state that is no longer current.
   */
  currentAtPrepare: z.string().optional(),
  /**
   * changeTracking and cdc: the change table's window this run reads, `after` (exclusive: the
   * version or LSN the last run stored) up to `version` (inclusive). Absent: a snapshot, every
   * row of the table an insert, for `snapshotReason`.
   */
  after: z.string().optional(),
  snapshotReason: z.string().optional(),
  /** cdc: the capture instance read, the columns it captured, and whether updates' before-images are written. */
  captureInstance: z.string().optional(),
  captured: z.array(z.string()).optional(),
  rowFilter: z.enum(['all', 'all update old']).optional(),
});
export type RunCapture = z.infer<typeof captureSchema>;

/** Whether a run reads the engine's change table (an incremental changeTracking or cdc run) rather than the table. */
export function readsChangeTable(capture: RunCapture | undefined): boolean {
  return (capture?.mode === 'changeTracking' || capture?.mode === 'cdc') && capture.after !== undefined;
}
