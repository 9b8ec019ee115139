import { z } from 'zod';

const identifier = z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL');

/**
 * Change capture (capture/, README "Change capture"): each run writes change rows, the row's
 * columns plus `_change_type` (insert, update, delete) and `_change_version`.
 *
 * - `hashDiff` reads the whole table every run and compares each row's content hash with the
 *   state the last run kept, so it sees deletes on any engine and needs no cursor column. `keys`
 *   identify a row; without them, the table's primary key.
 * - `changeTracking` (SQL Server only) reads `CHANGETABLE(CHANGES ...)` from the version the last
 *   run stored up to `CHANGE_TRACKING_CURRENT_VERSION()` at prepare (capture/changeTracking*.ts).
 * - `cdc` (SQL Server only) reads `cdc.fn_cdc_get_all_changes_<captureInstance>` between LSNs.
 *   `rowFilter` "all update old" adds each update's before-image (`update_before`);
 *   `onNewCaptureInstance` says what a run does when a newer capture instance of the table
 *   appeared (a schema change): `follow` it (the default), or `fail` naming both.
 */
export const changeCaptureModes = ['hashDiff', 'changeTracking', 'cdc'] as const;
export type ChangeCaptureMode = (typeof changeCaptureModes)[number];

export const changeCaptureSchema = z
  .object({
    mode: z.enum(changeCaptureModes),
    keys: z.array(identifier).min(1).max(8).optional(),
    captureInstance: identifier.regex(/^[A-Za-z0-9_]+$/, 'a capture instance name is letters, digits and _').optional(),
    rowFilter: z.enum(['all', 'all update old']).optional(),
    onNewCaptureInstance: z.enum(['follow', 'fail']).optional(),
  })
  .strict()
  .superRefine((capture, ctx) => {
    if (capture.keys && new Set(capture.keys).size !== capture.keys.length) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'a column is named twice' });
    // Each mode's options at the field, not silently ignored under another mode.
    if (capture.keys && capture.mode !== 'hashDiff') ctx.addIssue({ code: 'custom', path: ['keys'], message: `${capture.mode} identifies rows by the table's primary key; keys is a hashDiff option` });
    if (capture.mode !== 'cdc') {
      for (const field of ['captureInstance', 'rowFilter', 'onNewCaptureInstance'] as const) {
        if (capture[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} is a cdc option; mode is ${capture.mode}` });
      }
    }
  });

export type ChangeCaptureSpec = z.infer<typeof changeCaptureSchema>;

/**
 * An incremental pipeline's soft deletes: a row read in the window whose `column` is not NULL
 * was deleted at the source (`deleted_at` set), and is written as a `delete` change row.
 */
export const softDeleteSchema = z.object({ column: identifier }).strict();

export type SoftDeleteSpec = z.infer<typeof softDeleteSchema>;

type CaptureFields = {
  source: { engine: string };
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
    const mode = spec.changeCapture.mode;
    if (spec.query !== undefined) ctx.addIssue({ code: 'custom', path, message: `${mode} reads a table, not a query` });
    if (spec.incremental !== undefined) ctx.addIssue({ code: 'custom', path, message: mode === 'hashDiff' ? 'hashDiff reads the whole table each run; it does not take an incremental cursor (softDelete is the incremental way to see deletes)' : `${mode} keeps its own position (a version or LSN); it does not take an incremental cursor` });
    // The diff hashes the rows as read and writes deletes as keys: a step that renames, drops or
    // rejects rows would make the state and the output disagree.
    if (spec.transforms !== undefined) ctx.addIssue({ code: 'custom', path, message: 'change capture does not take transforms yet' });
    if (spec.validation !== undefined) ctx.addIssue({ code: 'custom', path, message: 'change capture does not take validation yet (a quarantined row would read as deleted)' });
    if (mode !== 'hashDiff') {
      // The engine's own change tables: SQL Server's Change Tracking and CDC.
      if (spec.source.engine !== 'sqlserver') ctx.addIssue({ code: 'custom', path: ['changeCapture', 'mode'], message: `${mode} is SQL Server's; this source is ${spec.source.engine} (hashDiff works on every engine)` });
      // One chunk reads the change table in one snapshot; a key range would split a change set.
      if (spec.chunking !== undefined) ctx.addIssue({ code: 'custom', path: ['chunking'], message: `a ${mode} pipeline reads its changes in one chunk; remove chunking` });
    }
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
    if (spec.changeCapture) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: `${spec.changeCapture.mode} sees deletes itself; give changeCapture or softDelete, not both` });
    if (spec.transforms !== undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes do not take transforms yet' });
    // A re-ingest run of quarantined rows writes plain rows, not change rows.
    if (spec.validation !== undefined) ctx.addIssue({ code: 'custom', path: ['softDelete'], message: 'soft deletes do not take validation yet' });
  }
}

/** The same columns, in any order. */
function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}
