import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../errors/errorTypes.js';
import { writtenColumns } from '../formats/writtenTypes.js';
import type { Services } from '../services.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { deltaLayoutFor, type RunPaths } from '../sink/blobPaths.js';
import { readChunkFiles, type StagedFile } from '../sink/delta/chunkFiles.js';
import { commitToTable, type RunCommitResult } from '../sink/delta/commitToTable.js';
import { readDeltaTable, statusOf } from '../sink/delta/deltaLog.js';
import type { DeltaTableLayout } from '../sink/delta/deltaPaths.js';
import { deleteUnreferencedRunFiles, vacuumTable } from '../sink/delta/vacuumTable.js';
import type { Manifest } from '../sink/manifest.js';
import { mapWithConcurrency } from '../store/mapWithConcurrency.js';
import { columnsWritten, type StoredRun } from '../store/runStore.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { changesToCommit, mergesChanges, snapshotReplacesTable, tableColumnsOf } from './changeMerge.js';

const parallelReads = 16;

/**
 * A Delta run's part of finalize, in this order (each step safe to repeat):
 *
 * 1. the run manifest, stating the table, the mode and the version the run was planned
 *    against, without a committed version: it lists the run's files for cleanup and people, and
 *    a crash from here to step 3 leaves the table unchanged (the files are unreferenced);
 * 2. the commit (commitToTable), which first looks for the run's own commit, so a finalize
 *    that ran this far before finds it and commits nothing;
 * 3. the manifest again, now with the version committed, then `_SUCCESS`: both are written
 *    only once the table holds the run, and a crash before them is repaired by the next finalize
 *    (step 2 finds the commit);
 * 4. the run's files that no version names (left by a superseded attempt or merge plan) deleted.
 *
 * A merge of change rows (changeMerge.ts) folds the run's change files into data files of the
 * table's columns just before step 2, unless the table holds the run's commit already; the change
 * files stay in the run's `_changes/` folder, listed by the manifest. A snapshot of change rows
 * (the first run, a full refresh, a Change Tracking or CDC snapshot) is committed as an overwrite.
 *
 * The watermark moves after this returns (finalizeRun), so an incremental window is never
 * given up before its rows are in the table.
 */
export async function commitDeltaRun(services: Services, run: StoredRun & { spec: PipelineSpec }, table: string, paths: RunPaths, manifest: Manifest, chunkIndexes: number[]): Promise<RunCommitResult & { layout: DeltaTableLayout }> {
  const { spec } = run;
  const layout = deltaLayoutFor(spec.output, run.pipelineId, table);
  const container = services.dataBlobs.getContainerClient(spec.output.container);
  const where = `Delta table ${spec.output.container}/${layout.table}`;
  const readVersion = run.deltaReadVersion ?? -1;
  const described: Manifest = { ...manifest, delta: { table: `${spec.output.container}/${layout.table}`, mode: spec.output.mode ?? 'append', readVersion } };
  await uploadJson(container, paths.manifest, described);

  const staged = (await mapWithConcurrency(chunkIndexes, parallelReads, (chunk) => readChunkFiles(container, layout.chunkFiles(run.runId, chunk), chunk))).flat();
  const written = writtenColumns(columnsWritten(run) ?? [], spec.output);
  // A merge of change rows commits the rows folded from the run's change files, not the files.
  const changes = mergesChanges(spec) && run.capture ? await changesToCommit(container, {
    layout, runId: run.runId, readVersion, capture: run.capture, spec, staged, changeColumns: written,
    tableColumns: tableColumnsOf(written, run.columns ?? []), now: () => services.now(), where,
  }) : undefined;
  const files = changes ? changes.files : staged;
  // A snapshot of change rows replaces the table rather than merging into it (snapshotReplacesTable).
  const replaces = changes !== undefined && snapshotReplacesTable(run.capture!);
  const result = await commitToTable(container, {
    layout,
    mode: replaces ? 'overwrite' : spec.output.mode ?? 'append',
    keys: changes ? changes.keys : spec.output.keys,
    partitionBy: spec.output.partitionBy ?? [],
    retentionHours: spec.output.retentionHours ?? 168,
    provenance: { pipelineId: run.pipelineId, runId: run.runId, attempt: run.attempt },
    readVersion,
    writtenColumns: changes ? tableColumnsOf(written, run.columns ?? []) : written,
    files,
    deletes: changes?.deletes,
    now: () => services.now(),
    where,
    beforeCommit: () => confirmFilesExist(container, files, where),
  });

  await uploadJson(container, paths.manifest, { ...described, delta: { ...described.delta!, ...(result.version === undefined ? {} : { version: result.version }), committed: true } });
  await container.getBlockBlobClient(paths.successMarker).upload('', 0);
  if (result.version !== undefined) {
    await appendRunEvent(services, run.runId, {
      type: RunEventType.deltaCommitted,
      key: `${run.attempt}:deltaCommitted`,
      at: services.now(),
      fields: { runAttempt: run.attempt, version: result.version, added: result.added, removed: result.removed, rewritten: result.rewritten },
    });
  }
  await deleteUnreferencedRunFiles(container, layout, await readDeltaTable(container, layout), run.runId);
  return { ...result, layout };
}

/**
 * The vacuum after a successful commit (vacuumTable). It is maintenance: a failure is put on
 * the run's timeline and changes nothing else, since the run's output is committed already.
 */
export async function vacuumAfterRun(services: Services, run: StoredRun & { spec: PipelineSpec }, layout: DeltaTableLayout): Promise<void> {
  const container = services.dataBlobs.getContainerClient(run.spec.output.container);
  const event = (fields: Record<string, string | number>) => appendRunEvent(services, run.runId, { type: RunEventType.deltaVacuumed, key: `${run.attempt}:deltaVacuumed`, at: services.now(), fields: { runAttempt: run.attempt, ...fields } });
  try {
    const deleted = await vacuumTable(container, layout, await readDeltaTable(container, layout), { retentionHours: run.spec.output.retentionHours ?? 168, now: services.now() });
    await event({ deleted: deleted.length });
  } catch (err) {
    await event({ error: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
  }
}

/**
 * Every file the commit will name is still there. A run whose chunks finished long ago and that
 * was retried without its cleanup may have had files vacuumed meanwhile (unreferenced and older
 * than the retention): committing would make a table that names missing files.
 */
async function confirmFilesExist(container: ContainerClient, files: StagedFile[], where: string): Promise<void> {
  await mapWithConcurrency(files, parallelReads, async (file) => {
    try {
      await container.getBlobClient(file.path).getProperties();
    } catch (err) {
      if (statusOf(err) === 404) throw new NonRetryableError(`${where}: the run's file ${file.path} is gone (vacuumed while the run waited?); the run's files are deleted at its ending, and a retry copies them again`);
      throw err;
    }
  });
}

async function uploadJson(container: ContainerClient, name: string, value: unknown): Promise<void> {
  const body = JSON.stringify(value, null, 2);
  await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
}
