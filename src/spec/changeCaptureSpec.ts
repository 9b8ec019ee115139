import { z } from 'zod';

const identifier = z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL');

/**
 * Change capture (capture/, README "Change capture"): each run writes change rows, the row's
 * columns plus `_change_type` (insert, update, delete) and `_change_version`. `hashDiff` reads the
 * whole table every run and compares each row's content hash with the state the last run kept,
 * so it sees deletes on any engine and needs no cursor column. `keys` identify a row; without
 * them, the table's primary key.
 */
export const changeCaptureSchema = z
  .object({
    mode: z.literal('hashDiff'),
    keys: z.array(identifier).min(1).max(8).optional(),
  })
  .strict()
  .superRefine((capture, ctx) => {
    if (capture.keys && new Set(capture.keys).size !== capture.keys.length) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'a column is named twice' });
  });

export type ChangeCaptureSpec = z.infer<typeof changeCaptureSchema>;

/**
 * An incremental pipeline's soft deletes: a row read in the window whose `column` is not NULL
 * was deleted at the source (`deleted_at` set), and is written as a `delete` change row.
 */
export const softDeleteSchema = z.object({ column: identifier }).strict();

export type SoftDeleteSpec = z.infer<typeof softDeleteSchema>;

type CaptureFields = {
  table?: unknown;
  query?: unknown;
  chunking?: { column?: string | undefined } | undefined;
  incremental?: unknown;
  transforms?: unknown;
  validation?: unknown;
  changeCapture?: ChangeCaptureSpec | undefined;
  softDelete?: SoftDeleteSpec | undefined;
  output: { format: string; mode?: string | undefined };
};

/** The combinations change capture does not support, each at the field it concerns. */
export function checkChangeCaptureFields(spec: CaptureFields, ctx: z.RefinementCtx): void {
  if (spec.changeCapture) {
    const path = ['changeCapture'];
    if (spec.query !== undefined) ctx.addIssue({ code: 'custom', path, message: 'hashDiff reads a table, not a query' });
    if (spec.incremental !== undefined) ctx.addIssue({ code: 'custom', path, message: 'hashDiff reads the whole table each run; it does not take an incremental cursor (softDelete is the incremental way to see deletes)' });
    // The diff hashes the rows as read and writes deletes as keys: a step that renames, drops or
    // rejects rows would make the state and the output disagree.
    if (spec.transforms !== undefined) ctx.addIssue({ code: 'custom', path, message: 'change capture does not take transforms yet' });
    if (spec.validation !== undefined) ctx.addIssue({ code: 'custom', path, message: 'change capture does not take validation yet (a quarantined row would read as deleted)' });
    const keys = spec.changeCapture.keys;
    if (spec.chunking?.column !== undefined && keys && !keys.includes(spec.chunking.column)) {
      ctx.addIssue({ code: 'custom', path: ['chunking', 'column'], message: `a change-capture pipeline splits on one of its keys (${keys.join(', ')}), so a row never moves between chunks` });
    }
  }
  // A Delta merge upserts the run's rows as they are: a delete row would land in the table as a
  // row of NULLs. Until the merge applies change rows, change rows go to files or a Delta append.
  if ((spec.changeCapture || spec.softDelete) && spec.output.format === 'delta' && spec.output.mode === 'merge') {
    ctx.addIssue({ code: 'custom', path: ['output', 'mode'], message: 'a Delta merge does not apply change rows yet; write them with mode "append" (or to files) and fold them (README "Change capture")' });
  }
  if (spec.softDelete) {
    if (spec.incremental === undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes are read by an incremental pipeline (give incremental)' });
    if (spec.changeCapture) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'hashDiff sees deletes itself; give changeCapture or softDelete, not both' });
    if (spec.transforms !== undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes do not take transforms yet' });
    // A re-ingest run of quarantined rows writes plain rows, not change rows.
    if (spec.validation !== undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes do not take validation yet' });
  }
}
