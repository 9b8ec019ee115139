import type { Column } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';

/** The two columns every change row carries after the row's own columns. */
export const changeTypeColumn = '_change_type';
export const changeVersionColumn = '_change_version';

/** `update_before`: a cdc update's before-image (rowFilter "all update old"), ahead of its `update`. */
export const ChangeType = { insert: 'insert', update: 'update', delete: 'delete', updateBefore: 'update_before' } as const;
export type ChangeType = (typeof ChangeType)[keyof typeof ChangeType];

/** Whether a run of `spec` writes change rows (hashDiff, or an incremental pipeline's soft deletes). */
export function capturesChanges(spec: Pick<PipelineSpec, 'changeCapture' | 'softDelete'>): boolean {
  return spec.changeCapture !== undefined || spec.softDelete !== undefined;
}

/**
 * The columns a change-capture run writes: the row's columns, then `_change_type` (text) and
 * `_change_version` (int64; for cdc, text: the LSN and seqval as 0x hex, which orders as text). A
 * hashDiff or changeTracking delete row holds only its key, so every other column may be NULL in
 * its output (a cdc one holds the deleted row, but a column added after the capture instance is
 * NULL in its rows); a soft delete row keeps the values the source still has.
 */
export function withChangeColumns(columns: Column[], spec: Pick<PipelineSpec, 'changeCapture' | 'softDelete'>): Column[] {
  const rows = spec.changeCapture ? columns.map((column) => (column.nullable ? column : { ...column, nullable: true })) : columns;
  return [
    ...rows,
    { name: changeTypeColumn, sourceType: 'change type', nullable: false, type: { kind: 'string' } },
    { name: changeVersionColumn, sourceType: 'change version', nullable: false, type: spec.changeCapture?.mode === 'cdc' ? { kind: 'string' } : { kind: 'int64' } },
  ];
}
