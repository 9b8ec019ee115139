import type { ContainerClient } from '@azure/storage-blob';
import { capturesChanges, changeTypeColumn, changeVersionColumn } from '../capture/changeColumns.js';
import type { RunCapture } from '../capture/runCapture.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import type { ParquetCompression } from '../formats/parquet/parquetFileWriter.js';
import { applyChanges, type AppliedChanges } from '../sink/delta/applyChanges.js';
import type { StagedFile } from '../sink/delta/chunkFiles.js';
import { findRunCommit, readDeltaTable } from '../sink/delta/deltaLog.js';
import type { DeltaTableLayout } from '../sink/delta/deltaPaths.js';
import type { Column } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';

/**
 * A Delta merge of change rows (README "Change capture", "Applying changes to a Delta table"):
 * a change-capture pipeline (hashDiff, soft deletes, any mode writing `_change_type` and
 * `_change_version`) whose output is a Delta table in mode "merge". Its runs write their change
 * rows to the run's `_changes/` folder beside the table (the audit trail), and finalize folds
 * them into the table: the latest image of each key upserted, deleted keys removed.
 */
export function mergesChanges(spec: Pick<PipelineSpec, 'changeCapture' | 'softDelete' | 'output'>): boolean {
  return spec.output.format === 'delta' && spec.output.mode === 'merge' && capturesChanges(spec);
}

/**
 * The keys a Delta merge matches rows by: output.keys, or for change rows the keys they were
 * captured by (changeCapture.keys, else the table's primary key).
 */
export function deltaMergeKeys(spec: Pick<PipelineSpec, 'changeCapture' | 'softDelete' | 'output'>, captureKeys: string[]): string[] {
  return spec.output.keys ?? (capturesChanges(spec) ? spec.changeCapture?.keys ?? captureKeys : []);
}

/**
 * Why the merge keys cannot apply this pipeline's change rows, at prepare: none at all (no
 * primary key and no keys given), or (hashDiff) keys other than the capture's, which a delete
 * row (holding only the capture's key) could not be matched by.
 */
export function changeMergeKeyRefusal(spec: PipelineSpec, primaryKey: string[]): string | undefined {
  if (!mergesChanges(spec)) return undefined;
  const keys = deltaMergeKeys(spec, primaryKey);
  if (!keys.length) return 'the table has no primary key: give output.keys (or changeCapture.keys), the columns that identify a row, for the merge';
  const captured = spec.changeCapture ? spec.changeCapture.keys ?? primaryKey : undefined;
  if (captured && (captured.length !== keys.length || !captured.every((name) => keys.includes(name)))) {
    return `output.keys (${keys.join(', ')}) differ from the keys the changes are captured by (${captured.join(', ')}, ${spec.changeCapture!.keys ? 'changeCapture.keys' : 'the primary key'}); a delete holds only those`;
  }
  return undefined;
}

/**
 * Whether a run's change rows are a snapshot of the whole table (every row an insert) rather
 * than changes since the last run: hashDiff with no state to compare with (the first run, a full
 * refresh), changeTracking and cdc reading the table instead of the change table (the first run,
 * a full refresh, retention, a restore, a gone capture instance). Merged, such a run would keep
 * every row the table holds that the source no longer has (deleted while no run saw the delete,
 * or never read at all), so its commit replaces the table's contents instead: the table becomes
 * the snapshot, as an overwrite would make it. softDelete runs are never snapshots: they read by
 * the incremental column, and a row's delete is a row of its own.
 */
export function snapshotReplacesTable(capture: RunCapture): boolean {
  if (capture.mode === 'hashDiff') return capture.previous === undefined;
  if (capture.mode === 'changeTracking' || capture.mode === 'cdc') return capture.after === undefined;
  return false;
}

/** The table's columns: the change rows' without `_change_type` and `_change_version`. */
export function withoutChangeColumns(columns: Column[]): Column[] {
  return columns.filter((column) => column.name !== changeTypeColumn && column.name !== changeVersionColumn);
}

/**
 * The table's columns as its data files are written: the written change columns without the
 * change columns, each as nullable as the source's column (a hashDiff writes every column
 * nullable for its delete rows, which never reach the table).
 */
export function tableColumnsOf(writtenChangeColumns: Column[], columnsRead: Column[]): Column[] {
  return withoutChangeColumns(writtenChangeColumns).map((column) => {
    const read = columnsRead.find((candidate) => candidate.name === column.name);
    return read ? { ...column, nullable: read.nullable } : column;
  });
}

export type ChangeMergeInput = {
  layout: DeltaTableLayout;
  runId: string;
  readVersion: number;
  capture: RunCapture;
  spec: PipelineSpec;
  /** The run's change files (its chunks' staged files). */
  staged: StagedFile[];
  /** The written columns of the change files. */
  changeColumns: Column[];
  tableColumns: Column[];
  now: () => Date;
  where: string;
};

/**
 * The commit's files and deletes for a run of change rows. When the table holds the run's commit
 * already (a finalize repeated after it), nothing is read or written: the commit is found as it
 * is, and the data files it names are never written again under a reader.
 */
export async function changesToCommit(container: ContainerClient, input: ChangeMergeInput): Promise<AppliedChanges & { keys: string[] }> {
  const keys = deltaMergeKeys(input.spec, input.capture.keys);
  if (!keys.length) throw new NonRetryableError(`${input.where}: no keys to merge the change rows by`);
  if (findRunCommit(await readDeltaTable(container, input.layout), input.runId, input.readVersion)) return { files: [], deletes: [], keys };
  const applied = await applyChanges(container, {
    layout: input.layout,
    runId: input.runId,
    files: input.staged,
    changeColumns: input.changeColumns,
    tableColumns: input.tableColumns,
    keys,
    compression: input.spec.output.compression as ParquetCompression,
    now: input.now,
    where: input.where,
  });
  return { ...applied, keys };
}
