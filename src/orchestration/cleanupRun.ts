import type { ContainerClient } from '@azure/storage-blob';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import { columnsWritten } from '../store/runStore.js';
import { withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { RunStatus } from '../spec/runStatus.js';
import { deltaLayoutFor, runPathsFor, type RunPaths } from '../sink/blobPaths.js';
import { findRunCommit, readDeltaTable } from '../sink/delta/deltaLog.js';
import { deleteUnreferencedRunFiles } from '../sink/delta/vacuumTable.js';
import { deleteUnlistedFiles } from '../sink/deleteUnlistedFiles.js';
import { readManifest } from '../sink/readManifest.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import type { CleanupResult, RunRef } from './activityContracts.js';

/** The endings whose files no reader may take: cleanup deletes them. */
export const cleanableStatuses: readonly RunStatus[] = [RunStatus.failed, RunStatus.cancelled, RunStatus.timedOut];
const cleanable: ReadonlySet<string> = new Set(cleanableStatuses);

export type CleanupRunOptions = {
  /** Set by the sweep: records `sweptAt`, after which the sweep leaves the run alone. */
  sweep?: boolean;
  /** The sweep cleans only runs that ended before this (its grace); a run retried and ended again since is left for later. */
  endedBefore?: Date;
};

/**
 * Deletes the files of a run that ended failed, cancelled or timed out, and sets its chunks back
 * to planned, so that a retry copies them again. Called by the run's own ending and by the sweep.
 *
 * Why delete and not keep the done chunks' files for a retry (as before): files no manifest lists
 * are not output, and a run that is never retried would keep them forever; guessing whether a
 * retry will come would need a retention policy and a second kind of garbage. Deleting at the
 * ending is simple to reason about: a run's folder holds files only while the run is going or
 * once its manifest lists them. A retry pays by copying every chunk again, to the same names.
 * (Moving files under `_trash/` instead would keep a second copy and still need this sweep.)
 *
 * Order and fences, because a retry, a late chunk and a second cleanup can all meet here:
 * - the run is claimed first (`cleaningSince`, under its ETag) and only while it is still failed,
 *   cancelled or timed out; the retry API refuses a claimed run, so no retry copies while files
 *   are being deleted, and a run already retried is left alone;
 * - files are deleted before the chunk records are reset: a chunk copy of the ended attempt that
 *   commits late either lands before the listing (deleted, then its record reset) or after it
 *   (its file stays and its record may say done: consistent, and the sweep deletes both later);
 *   resetting first could leave a record saying done for a file deleted after it;
 * - the claim is released only once both are done. A cleanup that fails keeps it, so a retry
 *   never lists files a half-finished cleanup deleted; the sweep (or the next call) finishes it;
 * - a folder whose `_manifest.json` exists (a run cancelled while its finalize ran) keeps every
 *   file the manifest lists and its chunk records: a manifest's files are never deleted.
 * - a Delta run never loses a file the table's log names: one whose commit is in the log keeps
 *   all its files and chunk records; otherwise only its own files (named `part-<runId>-...`)
 *   that no version names are deleted, with its folder beside the table.
 */
export async function cleanupRun(services: Services, ref: RunRef, options: CleanupRunOptions = {}): Promise<CleanupResult> {
  const context = `Pipeline ${ref.pipelineId}, run ${ref.runId}, cleanup${options.sweep ? ' sweep' : ''}`;
  try {
    let claimed = false;
    const run = await services.runs.update(ref.pipelineId, ref.runId, (current) => {
      const endedInTime = !options.endedBefore || (current.endedAt !== undefined && Date.parse(current.endedAt) < options.endedBefore.getTime());
      claimed = cleanable.has(current.status) && endedInTime;
      return claimed ? { ...current, cleaningSince: services.now().toISOString() } : undefined;
    });
    if (!claimed) return { cleaned: false, status: run.status, deleted: 0, chunksReset: 0 };

    let deleted = 0;
    let chunksReset = 0;
    // A run that failed before prepare recorded its spec never wrote a file; a many-table run
    // writes none of its own (each table's run cleans up its own files when it ends).
    if (run.spec && !run.spec.tables) {
      const paths = runPathsFor(run.spec.output, { pipelineId: ref.pipelineId, runId: ref.runId, table: tableName(readTargetOf(run.spec)), schemaVersion: columnsWritten(run) && schemaVersionOf(columnsWritten(run)!) });
      const container = services.dataBlobs.getContainerClient(run.spec.output.container);
      // A re-ingest run's uploaded rows stay: a retry of the run reads them again.
      const upload = run.reingestUpload ? [run.reingestUpload] : [];
      if (run.spec.output.format === 'delta') {
        // The table's log, not the manifest, says what is output: a run that committed (finalize
        // failed after its commit) keeps everything; one that did not loses every file no version
        // names, and its manifest, whose files no reader takes.
        const layout = deltaLayoutFor(run.spec.output, ref.pipelineId, tableName(readTargetOf(run.spec)));
        const snapshot = await readDeltaTable(container, layout);
        const committed = findRunCommit(snapshot, ref.runId, run.deltaReadVersion ?? -1) !== undefined;
        if (!committed) {
          deleted = (await deleteUnreferencedRunFiles(container, layout, snapshot, ref.runId)).length;
          deleted += (await deleteUnlistedFiles(container, { folder: paths.folder, runId: ref.runId, keep: new Set(upload) })).length;
          chunksReset = await services.chunks.resetToPlanned(ref.runId);
        }
      } else {
        const listed = await manifestListing(container, paths);
        deleted = (await deleteUnlistedFiles(container, { folder: paths.folder, runId: ref.runId, keep: new Set([...(listed ?? []), ...upload]) })).length;
        if (!listed) chunksReset = await services.chunks.resetToPlanned(ref.runId);
      }
    }

    const finished = services.now().toISOString();
    await services.runs.update(ref.pipelineId, ref.runId, (current) => {
      const { cleaningSince: _claim, ...rest } = current;
      return { ...rest, cleanedAt: finished, ...(options.sweep ? { sweptAt: finished } : {}) };
    });
    return { cleaned: true, status: run.status, deleted, chunksReset };
  } catch (err) {
    throw withContext(err, context);
  }
}

/** The blob names a manifest in the run's folder lists (with the manifest and `_SUCCESS`), or undefined when there is none. */
async function manifestListing(container: ContainerClient, paths: RunPaths): Promise<Set<string> | undefined> {
  // A manifest this code cannot read may still be one a reader trusts: readManifest throws
  // (NonRetryableError), and the folder is left as it is.
  const manifest = await readManifest(container, paths.manifest);
  if (!manifest) return undefined;
  return new Set([paths.manifest, paths.successMarker, paths.schemaFile, ...manifest.files.map((file) => file.path), ...(manifest.quarantine?.files ?? []).map((file) => file.path)]);
}
