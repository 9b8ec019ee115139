import type { ContainerClient } from '@azure/storage-blob';
import { mapWithConcurrency } from '../../store/mapWithConcurrency.js';
import { pathOfLogPath, dataFilePrefix, type DeltaTableLayout } from './deltaPaths.js';
import { statusOf, type DeltaSnapshot } from './deltaLog.js';

const parallelDeletes = 16;

/**
 * Every data file any version of the table names (an add in any commit), as paths relative to
 * the table: what time travel may still open, so what nothing but the vacuum may delete.
 */
export function everReferenced(snapshot: DeltaSnapshot): Set<string> {
  const paths = new Set<string>();
  for (const commit of snapshot.commits) {
    for (const action of commit.actions) if (action.add) paths.add(pathOfLogPath(action.add.path));
  }
  return paths;
}

type TableFile = { name: string; relative: string; lastModified: Date };

/** The table's files outside hidden folders (`_delta_log`, any `_x` or `.x`), which are never data ("Data Files"). */
async function listDataFiles(container: ContainerClient, layout: DeltaTableLayout): Promise<TableFile[]> {
  const prefix = `${layout.table}/`;
  const files: TableFile[] = [];
  try {
    for await (const blob of container.listBlobsFlat({ prefix, includeMetadata: true })) {
      // On a hierarchical namespace folders are listed too; they go with their files, not by name.
      if (blob.metadata?.hdi_isfolder === 'true') continue;
      const relative = blob.name.slice(prefix.length);
      if (relative.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'))) continue;
      files.push({ name: blob.name, relative, lastModified: blob.properties.lastModified });
    }
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw err;
  }
  return files;
}

async function deleteAll(container: ContainerClient, names: string[]): Promise<void> {
  await mapWithConcurrency(names, parallelDeletes, async (name) => {
    try {
      await container.deleteBlob(name);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  });
}

/**
 * A run's data files in the table that no version names: written by an attempt a retry
 * superseded, rewritten by a merge plan a conflict replaced, or the whole output of a run that
 * never committed (cleanupRun). Files of the run that a version names are never touched.
 */
export async function deleteUnreferencedRunFiles(container: ContainerClient, layout: DeltaTableLayout, snapshot: DeltaSnapshot, runId: string): Promise<string[]> {
  const referenced = everReferenced(snapshot);
  const prefix = dataFilePrefix(runId);
  const doomed = (await listDataFiles(container, layout))
    .filter((file) => file.relative.split('/').at(-1)!.startsWith(prefix) && !referenced.has(file.relative))
    .map((file) => file.name);
  await deleteAll(container, doomed);
  return doomed;
}

/**
 * VACUUM: deletes the data files no version within the retention can read. A file stays while
 * it is in the latest snapshot, or was removed less than `retentionHours` ago (its remove's
 * deletionTimestamp: time travel to a version before the remove still opens it), or was written
 * less than `retentionHours` ago (it may belong to a commit being made). Hidden folders, the log
 * among them, are never touched. A table whose log names absolute paths is left alone: which of
 * its files those are cannot be told from here.
 */
export async function vacuumTable(container: ContainerClient, layout: DeltaTableLayout, snapshot: DeltaSnapshot, options: { retentionHours: number; now: Date }): Promise<string[]> {
  if (snapshot.version < 0) return [];
  const cutoff = options.now.getTime() - options.retentionHours * 3_600_000;
  const keep = new Set(snapshot.files.keys());
  for (const [path, remove] of snapshot.tombstones) {
    if (remove.deletionTimestamp === undefined || remove.deletionTimestamp === null || remove.deletionTimestamp >= cutoff) keep.add(path);
  }
  if ([...keep, ...snapshot.tombstones.keys()].some((path) => /^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/'))) return [];
  const doomed = (await listDataFiles(container, layout))
    .filter((file) => !keep.has(file.relative) && file.lastModified.getTime() < cutoff)
    .map((file) => file.name);
  await deleteAll(container, doomed);
  return doomed;
}
