import type { Services } from '../services.js';
import { enqueueRun } from '../jobs/enqueueRun.js';
import { scheduledRunId } from '../jobs/runId.js';
import { leaseHeldReason } from '../jobs/runLease.js';
import { withContext } from '../errors/errorTypes.js';
import { RunStatus } from '../spec/runStatus.js';
import { dueFireTime } from './dueFireTime.js';
import { watchRunHistory } from '../notify/watchRunHistory.js';

export type TickResult = {
  enqueued: Array<{ pipelineId: string; runId: string }>;
  /** Due runs recorded `skipped` because another run of the pipeline holds its run lease. */
  skipped: Array<{ pipelineId: string; runId: string; reason: string }>;
  errors: string[];
  /** `late` fire times and `alert` rules that fired at this tick, queued to their subscriptions (notify/watchRunHistory.ts). */
  raised: Array<{ pipelineId: string; event: 'late' | 'alert'; occurrence: string }>;
};

/**
 * Enqueues the due run of every scheduled pipeline. The run id comes from pipeline + fire time,
 * so a tick that fires twice (or two hosts ticking at once) creates and starts the run once, or
 * records it skipped once. Only fire times after the schedule took effect count (the pipeline's
 * creation, or the last change or resume of its schedule): a new pipeline does not start with a
 * run for a time before it existed.
 */
export async function schedulerTick(services: Services): Promise<TickResult> {
  const now = services.now();
  const result: TickResult = { enqueued: [], skipped: [], errors: [], raised: [] };
  const pipelines = await services.pipelines.list();
  for (const { spec, generation, schedulePaused, scheduleChangedAt } of pipelines) {
    if (!spec.schedule || schedulePaused) continue;
    try {
      const fire = dueFireTime(spec.schedule.cron, spec.schedule.timeZone, now, services.settings.SIPHON_SCHEDULER_CATCHUP_MINUTES, new Date(scheduleChangedAt));
      if (!fire) continue;
      const runId = scheduledRunId(spec.id, generation, fire);
      const job = { runId, pipelineId: spec.id, reason: 'schedule', options: {}, attempt: 0 } as const;
      const outcome = await enqueueRun(services, job, generation);
      if (outcome.pipelineGone) continue; // deleted since the list was read
      if (outcome.refusedBy) {
        const reason = leaseHeldReason(spec.id, outcome.refusedBy);
        // Create-if-absent: twenty ticks refused at once record the skipped run once.
        const created = await services.runs.create({ ...job, pipelineGeneration: generation, status: RunStatus.skipped, statusReason: reason, requestedAt: now.toISOString(), endedAt: now.toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0 });
        if (created) result.skipped.push({ pipelineId: spec.id, runId, reason });
      } else if (outcome.created) {
        result.enqueued.push({ pipelineId: spec.id, runId });
      }
    } catch (err) {
      // One broken pipeline must not stop the others from being scheduled.
      result.errors.push(withContext(err, `Pipeline ${spec.id}, schedule`).message);
    }
  }
  // After the due runs are queued: alerts and lateness never delay a schedule.
  const watched = await watchRunHistory(services, pipelines, now);
  result.raised.push(...watched.raised);
  result.errors.push(...watched.errors);
  return result;
}
