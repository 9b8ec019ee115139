import type { OutputType } from './columns.js';

/**
 * Schema drift as the API shows it, on a run (`drift`, orchestration/schemaDrift.ts) or in a plan
 * (`drift`, with the contract's `action` per change: orchestration/previewDrift.ts), written out
 * here so the dashboard and the CLI, which may import only src/spec, read it the same way.
 */
export type DriftColumnView = { name: string; sourceType: string; type: OutputType; nullable: boolean; nullFilled?: boolean };
export type DriftView = {
  outcome: 'evolved' | 'frozen';
  added: { column: string; new: DriftColumnView; action?: string }[];
  removed: { column: string; old: DriftColumnView; action?: string }[];
  retyped: { column: string; old: DriftColumnView; new: DriftColumnView; widening: boolean; action?: string }[];
  discarded?: string[];
  nullFilled?: string[];
  comparedWithRun?: string;
  frozenReason?: string;
  truncated?: { added: number; removed: number; retyped: number };
};

/** One changed column: the kind of change, the column before and now as text, and what was (or would be) done. */
export type DriftChange = { change: 'added' | 'removed' | 'retyped'; column: string; old: string; new: string; outcome: string };

/**
 * The changes one a line, added then removed then retyped. `outcome` is the contract's action
 * when the drift is a plan's (what the next run would do), else what the run did: `evolved`,
 * `widened`, `discarded`, `dropped`, `null-filled`, or `frozen` when the run failed on the drift.
 */
export function driftChanges(drift: DriftView): DriftChange[] {
  const frozen = drift.outcome === 'frozen';
  const done = (action: string | undefined, otherwise: string) => action ?? (frozen ? 'frozen' : otherwise);
  return [
    ...drift.added.map((change) => ({ change: 'added' as const, column: change.column, old: '', new: columnText(change.new), outcome: done(change.action, drift.discarded?.includes(change.column) ? 'discarded' : 'evolved') })),
    ...drift.removed.map((change) => ({ change: 'removed' as const, column: change.column, old: columnText(change.old), new: '', outcome: done(change.action, drift.nullFilled?.includes(change.column) ? 'null-filled' : 'dropped') })),
    ...drift.retyped.map((change) => ({ change: 'retyped' as const, column: change.column, old: columnText(change.old), new: columnText(change.new), outcome: done(change.action, change.widening ? 'widened' : 'evolved') })),
  ];
}

/** `integer (int32, null)`: the source's type, then the output type and whether it may be NULL. */
export function columnText(column: DriftColumnView): string {
  return `${column.sourceType} (${outputTypeText(column.type)}${column.nullable ? ', null' : ''})`;
}

export function outputTypeText(type: OutputType): string {
  if (type.kind === 'decimal') return `decimal(${type.precision},${type.scale})`;
  if (type.kind === 'timestamp') return type.utc ? 'timestamp(utc)' : 'timestamp';
  return type.kind;
}
