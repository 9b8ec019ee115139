import type { Services } from '../services.js';
import type { OrchestrationStarter } from './orchestrationStarter.js';
import { runInstanceId } from './runInstanceId.js';
import { releaseRunLease } from './runLease.js';
import { cancelEventName } from '../orchestration/functionNames.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import type { StoredRun } from '../store/runStore.js';

/**
 * How a cancel went: done, refused because finalize has claimed the run (its files are final and
 * its manifest is being written), or refused because the run had already ended.
 */
export type CancelOutcome = { outcome: 'cancelled' | 'finalizing' | 'ended'; run: StoredRun };

/**
 * Ends a queued or running run `cancelled` (a pipeline's run or a query job's): the record first,
 * under its ETag, then the timeline, the lease (the next run may start while this one's chunks
 * wind down: they write no manifest and move no watermark) and the cancel event that stops the
 * orchestration at once. A run that finalize has claimed is not cancelled: without that fence the
 * lease would be freed before the watermark moves, and the next run could read the same window.
 */
export async function cancelRunRecord(services: Services, pipelineId: string, runId: string, orchestrations: OrchestrationStarter | undefined): Promise<CancelOutcome> {
  let cancelled = false;
  const run = await services.runs.update(pipelineId, runId, (current) => {
    cancelled = !terminalRunStatuses.has(current.status) && current.finalizingSince === undefined;
    return cancelled ? { ...current, status: RunStatus.cancelled, endedAt: services.now().toISOString(), statusReason: 'cancelled through the API' } : undefined;
  });
  if (!cancelled) return { outcome: terminalRunStatuses.has(run.status) ? 'ended' : 'finalizing', run };
  await recordCancelled(services, run);
  await releaseRunLease(services, pipelineId, runId);
  // Best effort: a queued run has no instance yet, and its prepare sees the status anyway.
  await orchestrations?.raiseEvent(runInstanceId(runId, run.attempt), cancelEventName, {}).catch(() => undefined);
  return { outcome: 'cancelled', run };
}

/**
 * The cancel on the run's timeline, and the run's ending: the cancel has happened whatever these
 * writes do, so a failure to record it is not the caller's error (the run record says cancelled).
 */
async function recordCancelled(services: Services, run: StoredRun): Promise<void> {
  const at = run.endedAt ? new Date(run.endedAt) : services.now();
  const fields = { runAttempt: run.attempt, status: run.status, reason: run.statusReason };
  await Promise.all([
    appendRunEvent(services, run.runId, { type: RunEventType.cancelled, key: `${run.attempt}:cancelled`, at, fields }),
    // A millisecond later, so the ending sorts after the cancel (sequences follow `at`).
    appendRunEvent(services, run.runId, { type: RunEventType.finished, key: `${run.attempt}:finished`, at: new Date(at.getTime() + 1), fields: { ...fields, rows: run.rows, bytes: run.bytes } }),
  ]).catch(() => undefined);
}
