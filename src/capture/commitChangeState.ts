import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { ChunkRange } from '../spec/columns.js';
import type { Manifest } from '../sink/manifest.js';
import type { RunCapture } from './runCapture.js';
import { stateIndexOf, stateIndexPath } from './stateFiles.js';

/**
 * Writes the index of the state a hashDiff run's chunks wrote (one file per chunk, with the key
 * range each covers) and returns its path and the paths it lists, for the run's folder to keep.
 * The same bytes every time, so a repeated finalize overwrites it unchanged.
 */
export async function writeStateIndex(container: ContainerClient, runId: string, capture: RunCapture, runFolder: string, chunks: Array<{ index: number; range: ChunkRange }>): Promise<{ index: string; files: string[] }> {
  const index = stateIndexOf(runId, capture.version, capture.keys, runFolder, chunks);
  const path = stateIndexPath(runFolder);
  const body = JSON.stringify(index);
  await container.getBlockBlobClient(path).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  return { index: path, files: [path, ...index.files.map((file) => file.path)] };
}

/** The run's change window for its manifest. */
export function manifestChanges(capture: RunCapture): NonNullable<Manifest['changes']> {
  return {
    mode: capture.mode,
    keys: capture.keys,
    version: capture.version,
    ...(capture.previous ? { afterVersion: capture.previous.version, afterRun: capture.previous.runId } : {}),
    // changeTracking and cdc: the change table's window (or the snapshot's reason).
    ...(capture.after !== undefined ? { afterVersion: capture.after, ...(capture.currentAtPrepare ? { afterRun: capture.currentAtPrepare } : {}) } : {}),
    ...(capture.snapshotReason && capture.mode !== 'hashDiff' ? { snapshotReason: capture.snapshotReason } : {}),
    ...(capture.captureInstance ? { captureInstance: capture.captureInstance } : {}),
  };
}

/**
 * Refuses to finalize a hashDiff run whose changes were computed against a state that is no
 * longer current: a failed run retried after a later run of the pipeline succeeded. Its change
 * rows would carry a lower `_change_version` than the later run's and fold out of order. Passes
 * when the pointer is where it was at prepare, or already at this run (a finalize repeated).
 */
export async function checkStateUnmoved(services: Services, pipelineId: string, runId: string, capture: RunCapture): Promise<void> {
  const current = await services.changeStates.get(pipelineId);
  if (current?.runId === capture.currentAtPrepare || current?.runId === runId) return;
  throw new NonRetryableError(`the change state moved to run ${current?.runId ?? '(none)'} since this run was prepared against ${capture.currentAtPrepare ?? 'no state'}; its changes would fold out of order, so no manifest was written: trigger a new run`);
}
