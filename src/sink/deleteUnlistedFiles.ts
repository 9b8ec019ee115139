import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../errors/errorTypes.js';

export type DeleteUnlistedFilesOptions = {
  /** The run's folder in the container (RunPaths.folder); hive partition folders sit below it. */
  folder: string;
  /** The folder holds the run id (the path template must put {runId} there), so it is this run's alone. */
  runId: string;
  /** Blob names to leave in place: the manifest's files, the manifest, `_SUCCESS`. Empty deletes everything. */
  keep: ReadonlySet<string>;
};

/** Deletes at most this many blobs at once: enough to clear thousands of files in seconds, few enough not to be throttled. */
const parallelDeletes = 16;

/**
 * Deletes every blob under a run's folder whose name is not in `keep`, and returns the names it
 * deleted. The listing ends the prefix with '/', so `run=A` never reaches into `run=AB`; and a
 * folder that does not hold the run id is refused, so a bad path can never widen the prefix to
 * another run's or another pipeline's files. A blob already gone counts as deleted: cleanup
 * runs again after a crash, and two cleanups of one run may overlap.
 */
export async function deleteUnlistedFiles(container: ContainerClient, options: DeleteUnlistedFilesOptions): Promise<string[]> {
  const { folder, runId, keep } = options;
  if (!folder.split('/').some((segment) => segment.includes(runId))) {
    throw new NonRetryableError(`Refusing to clean folder ${container.containerName}/${folder}: it does not hold run id ${runId}`);
  }
  const prefix = `${folder.replace(/\/+$/, '')}/`;
  const doomed: string[] = [];
  try {
    for await (const blob of container.listBlobsFlat({ prefix })) {
      if (!keep.has(blob.name)) doomed.push(blob.name);
    }
  } catch (err) {
    // A container that was never created (the run failed before its first file) holds nothing.
    if (statusOf(err) === 404) return [];
    throw err;
  }
  // On a hierarchical namespace (the data lake) the listing holds the partition folders too, and
  // a folder can be deleted only once it is empty: deepest names go first, one depth at a time.
  const byDepth = new Map<number, string[]>();
  for (const name of doomed) byDepth.set(depth(name), [...(byDepth.get(depth(name)) ?? []), name]);
  for (const level of [...byDepth.keys()].sort((a, b) => b - a)) {
    const names = byDepth.get(level)!;
    for (let start = 0; start < names.length; start += parallelDeletes) {
      await Promise.all(names.slice(start, start + parallelDeletes).map((name) => deleteIfExists(container, name)));
    }
  }
  // With nothing kept, the run's own folder goes too (a directory on the data lake; on a flat
  // namespace there is no such blob). One a late file keeps from being empty stays for the sweep.
  if (keep.size === 0) await deleteIfExists(container, prefix.slice(0, -1), [409]);
  return doomed;
}

const depth = (name: string) => name.split('/').length;

async function deleteIfExists(container: ContainerClient, name: string, alsoIgnore: number[] = []): Promise<void> {
  try {
    await container.deleteBlob(name);
  } catch (err) {
    if (statusOf(err) !== 404 && !alsoIgnore.includes(statusOf(err) ?? 0)) throw err;
  }
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}
