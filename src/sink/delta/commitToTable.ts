import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../../errors/errorTypes.js';
import type { Column } from '../../spec/columns.js';
import type { DeltaMode } from '../../spec/pipelineSpec.js';
import type { StagedFile } from './chunkFiles.js';
import { findRunCommit, putCommit, readDeltaTable, type AddAction, type DeltaSnapshot, type MetadataAction, type SiphonProvenance } from './deltaLog.js';
import { logPathOf, type DeltaTableLayout } from './deltaPaths.js';
import { deltaFields, parseSchemaString, protocolAfter, requiredProtocol, schemaEvolution, schemaString } from './deltaSchema.js';
import { planMerge } from './mergeIntoTable.js';
import { checkWritable } from './writableTable.js';

export type RunCommitRequest = {
  layout: DeltaTableLayout;
  mode: DeltaMode;
  keys?: string[] | undefined;
  partitionBy: string[];
  retentionHours: number;
  provenance: SiphonProvenance;
  /** The table's version when the run was prepared (-1: no table then); the run's own commit can only come after it. */
  readVersion: number;
  /** Every column of the table as the run writes it, partition columns included. */
  writtenColumns: Column[];
  files: StagedFile[];
  /** A merge of change rows: keys to remove without a row to add (mergeIntoTable's `deletes`). */
  deletes?: unknown[][] | undefined;
  now: () => Date;
  /** Names the pipeline and run in errors. */
  where: string;
  /** Checked once before the first try to commit (commitDeltaRun: the files are all there). */
  beforeCommit?: () => Promise<void>;
};

/** What the commit did; `version` is undefined when there was nothing to commit (an append or merge of no rows). */
export type RunCommitResult = { version: number | undefined; committedNow: boolean; added: number; removed: number; rewritten: number };

/** Tries at a version before giving up; each try re-reads the log, so only a table under constant writes runs out. */
const maxCommitTries = 25;

/**
 * Commits a run's files into the Delta table, exactly once:
 *
 * 1. The run's own commit is looked for first, among the versions after the one the run was
 *    prepared against, by the provenance Siphon writes into every commitInfo (`siphon: {pipelineId,
 *    runId, attempt}`). A finalize that runs again (after a crash between the commit and what
 *    follows it, or twice at once) finds it and commits nothing. Not Delta's `txn`: that keeps one
 *    high-water mark per app id, so a backfill or a retried older run committing after a newer
 *    one would be taken as done and its data dropped.
 * 2. Otherwise the commit is built on the latest snapshot and written as version + 1 with
 *    put-if-absent (deltaLog.putCommit).
 * 3. When another writer took that version, the log is read again. If the winner was this run
 *    (a finalize running twice at once) that is the answer. Otherwise the commit is rebuilt on
 *    the new snapshot and tried at the next version. An append is blind and is the same commit
 *    again. Overwrite and merge read the table: Delta's rule is that they conflict with a
 *    concurrent commit that added or removed files they read; instead of failing, Siphon does
 *    what a retried Delta transaction does, it reads again: the removes of an overwrite are every
 *    file of the new snapshot, and a merge plans its rewrites anew, so the outcome is as if the
 *    run had committed after the other writer. A concurrent schema or protocol change is checked
 *    like any other (an incompatible one fails the run, naming the columns).
 *
 * Nothing before the put changes the table: files written but never committed are unreferenced
 * (cleanupRun deletes a failed run's; the vacuum any left over), so a crash before the commit
 * leaves the table as it was.
 */
export async function commitToTable(container: ContainerClient, request: RunCommitRequest): Promise<RunCommitResult> {
  let snapshot = await readDeltaTable(container, request.layout);
  let checked = false;
  for (let attempt = 0; attempt < maxCommitTries; attempt++) {
    const own = findRunCommit(snapshot, request.provenance.runId, request.readVersion);
    if (own) return { version: own.version, committedNow: false, ...commitCounts(own.actions) };
    if (!checked) {
      await request.beforeCommit?.();
      checked = true;
    }
    const built = await buildCommit(container, snapshot, request);
    if (!built) return { version: undefined, committedNow: false, added: 0, removed: 0, rewritten: 0 };
    const version = snapshot.version + 1;
    if ((await putCommit(container, request.layout, version, built.actions)) === 'committed') {
      return { version, committedNow: true, added: built.added, removed: built.removed, rewritten: built.rewritten };
    }
    snapshot = await readDeltaTable(container, request.layout);
  }
  throw new Error(`${request.where}: the Delta table ${request.layout.table} changed at every one of ${maxCommitTries} tries to commit`);
}

export type BuiltCommit = { actions: unknown[]; added: number; removed: number; rewritten: number };

/** The actions of the run's commit on `snapshot` (undefined: nothing to commit); the container is read only by a merge. */
export async function buildCommit(container: ContainerClient, snapshot: DeltaSnapshot, request: RunCommitRequest): Promise<BuiltCommit | undefined> {
  const { mode, layout, where } = request;
  checkWritable(snapshot, mode, where);
  const now = request.now().getTime();
  const runFields = deltaFields(request.writtenColumns);
  const configuration = { 'delta.deletedFileRetentionDuration': `interval ${request.retentionHours} hours` };
  let metaData: MetadataAction | undefined;
  let protocol = undefined as ReturnType<typeof protocolAfter>;
  if (!snapshot.metadata || !snapshot.protocol) {
    // The table's first commit ("Change Metadata": the first version must contain a metaData
    // action); its id is fixed here for the table's life.
    metaData = { id: randomUUID(), format: { provider: 'parquet', options: {} }, schemaString: schemaString(runFields), partitionColumns: request.partitionBy, configuration, createdTime: now };
    protocol = requiredProtocol(runFields);
  } else {
    const current = snapshot.metadata;
    if (JSON.stringify(current.partitionColumns) !== JSON.stringify(request.partitionBy)) {
      throw new NonRetryableError(`${where}: the Delta table is partitioned by ${JSON.stringify(current.partitionColumns)} and the pipeline by ${JSON.stringify(request.partitionBy)}`);
    }
    const evolved = schemaEvolution(parseSchemaString(current.schemaString), runFields, where);
    const nextConfiguration = { ...current.configuration, ...configuration };
    if (evolved.added.length || JSON.stringify(nextConfiguration) !== JSON.stringify(current.configuration)) {
      metaData = { ...current, schemaString: schemaString(evolved.fields), configuration: nextConfiguration };
    }
    protocol = protocolAfter(snapshot.protocol, requiredProtocol(evolved.fields));
  }

  const adds = request.files.map((file) => addAction(layout, file));
  let removes: AddAction[] = [];
  let rewritten = 0;
  let examined: number | undefined;
  if (mode === 'overwrite') {
    removes = [...snapshot.files.values()];
  } else if (mode === 'merge') {
    const plan = await planMerge(container, snapshot, { layout, keys: request.keys ?? [], partitionBy: request.partitionBy, writtenColumns: request.writtenColumns, files: request.files, deletes: request.deletes, runId: request.provenance.runId, now: request.now, where });
    removes = plan.removes;
    rewritten = plan.rewrites.length;
    examined = plan.examined;
    adds.push(...plan.rewrites.map((file) => addAction(layout, file)));
  }
  // Nothing to say: an append or merge of no rows leaves the table (and its log) as it is.
  if (adds.length === 0 && removes.length === 0 && mode !== 'overwrite') return undefined;

  const operation = mode === 'merge' ? 'MERGE' : 'WRITE';
  const commitInfo = {
    timestamp: now,
    operation,
    operationParameters: mode === 'merge'
      ? { predicate: JSON.stringify(request.keys!.map((key) => `target.\`${key}\` = source.\`${key}\``)), matchedPredicates: '[{"actionType":"update"}]', notMatchedPredicates: '[{"actionType":"insert"}]' }
      : { mode: mode === 'append' ? 'Append' : 'Overwrite', partitionBy: JSON.stringify(request.partitionBy) },
    readVersion: snapshot.version >= 0 ? snapshot.version : undefined,
    isBlindAppend: mode === 'append',
    operationMetrics: {
      numFiles: String(adds.length),
      numOutputRows: String(request.files.reduce((sum, file) => sum + file.rows, 0)),
      numOutputBytes: String(request.files.reduce((sum, file) => sum + file.bytes, 0)),
      numRemovedFiles: String(removes.length),
      numRewrittenFiles: String(rewritten),
      // A merge: the files whose key statistics left room for the run's keys (their key columns were read).
      ...(examined === undefined ? {} : { numTargetFilesExamined: String(examined) }),
    },
    engineInfo: 'Siphon',
    siphon: request.provenance,
  };
  // "Add File and Remove File": a remove carries the add's partition values and size when
  // extendedFileMetadata is true, and the time it was removed (what the vacuum's retention counts from).
  const removeActions = removes.map((file) => ({
    remove: { path: file.path, deletionTimestamp: now, dataChange: true, extendedFileMetadata: true, partitionValues: file.partitionValues, size: file.size },
  }));
  const actions: unknown[] = [
    { commitInfo },
    ...(protocol ? [{ protocol }] : []),
    ...(metaData ? [{ metaData }] : []),
    ...removeActions,
    ...adds.map((add) => ({ add })),
  ];
  return { actions, added: request.files.length, removed: removes.length, rewritten };
}

/** A staged file as its add action: the path relative to the table and URI-encoded. */
function addAction(layout: DeltaTableLayout, file: StagedFile) {
  const prefix = `${layout.table}/`;
  if (!file.path.startsWith(prefix)) throw new Error(`${file.path} is not under the table ${layout.table}`);
  return { path: logPathOf(file.path.slice(prefix.length)), partitionValues: file.partitionValues, size: file.bytes, modificationTime: file.modificationTime, dataChange: true, stats: file.stats };
}

function commitCounts(actions: DeltaSnapshot['commits'][number]['actions']): Pick<RunCommitResult, 'added' | 'removed' | 'rewritten'> {
  const metrics = actions.find((action) => action.commitInfo)?.commitInfo?.operationMetrics as Record<string, string> | undefined;
  return { added: Number(metrics?.numFiles ?? 0) - Number(metrics?.numRewrittenFiles ?? 0), removed: Number(metrics?.numRemovedFiles ?? 0), rewritten: Number(metrics?.numRewrittenFiles ?? 0) };
}
