import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { RunCapture } from './runCapture.js';

/** Whether a run keeps its position in the engine's change table (changeTracking, cdc) rather than a state of its own. */
export function keepsChangeVersion(capture: RunCapture | undefined): capture is RunCapture & { mode: 'changeTracking' | 'cdc' } {
  return capture?.mode === 'changeTracking' || capture?.mode === 'cdc';
}

/**
 * Before the manifest: refuses a changeTracking or cdc run prepared against a position that is
 * no longer the pipeline's (a failed run retried after a later run succeeded): its window would
 * overlap the later run's, and its rows fold out of order. Passes when the position is where it
 * was at prepare, or already at this run (a finalize repeated).
 */
export async function checkChangeVersionUnmoved(services: Services, pipelineId: string, runId: string, capture: RunCapture): Promise<void> {
  const current = await services.changeVersions.get(pipelineId);
  if (current?.runId === capture.currentAtPrepare || current?.runId === runId) return;
  throw new NonRetryableError(`the change-table position moved to run ${current?.runId ?? '(none)'} (${current?.version ?? 'none'}) since this run was prepared against ${capture.currentAtPrepare ?? 'no position'}; its changes would overlap or fold out of order, so no manifest was written: trigger a new run`);
}

/** After the manifest: the next run reads from this run's high version (or LSN). */
export async function advanceChangeVersion(services: Services, pipelineId: string, runId: string, capture: RunCapture & { mode: 'changeTracking' | 'cdc' }): Promise<void> {
  await services.changeVersions.advance(pipelineId, {
    runId,
    mode: capture.mode,
    version: capture.version,
    ...(capture.captureInstance ? { captureInstance: capture.captureInstance } : {}),
    updatedAt: services.now().toISOString(),
  });
}
