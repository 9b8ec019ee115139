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
  output: { format: string; mode?: string | undefined; keys?: string[] | undefined; partitionBy?: string[] | undefined };
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
  const output = spec.output;
  if (output.format === 'delta' && output.mode === 'merge') {
    if (!spec.changeCapture && !spec.softDelete) {
      if (!output.keys) ctx.addIssue({ code: 'custom', path: ['output', 'keys'], message: 'merge needs keys: the columns that identify a row' });
    } else {
      // A merge of change rows applies them by the keys they were captured by (capture keys by
      // default): another key would match a delete row (which holds only its key) to nothing.
      const captureKeys = spec.changeCapture?.keys;
      if (output.keys && captureKeys && !sameNames(output.keys, captureKeys)) {
        ctx.addIssue({ code: 'custom', path: ['output', 'keys'], message: `the merge applies change rows by their keys; output.keys (${output.keys.join(', ')}) differ from changeCapture.keys (${captureKeys.join(', ')}): give one of them, or the same columns` });
      }
      // The change rows are folded into files of the table's own; those are not partitioned yet.
      if (output.partitionBy) ctx.addIssue({ code: 'custom', path: ['output', 'partitionBy'], message: 'a Delta merge of change rows does not take partitionBy yet' });
    }
  }
  if (spec.softDelete) {
    if (spec.incremental === undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes are read by an incremental pipeline (give incremental)' });
    if (spec.changeCapture) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'hashDiff sees deletes itself; give changeCapture or softDelete, not both' });
    if (spec.transforms !== undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes do not take transforms yet' });
    // A re-ingest run of quarantined rows writes plain rows, not change rows.
    if (spec.validation !== undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes do not take validation yet' });
  }
}

/** The same columns, in any order. */
function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}
