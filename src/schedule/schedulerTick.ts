import type { Services } from '../services.js';
import { enqueueRun } from '../jobs/enqueueRun.js';
import { scheduledRunId } from '../jobs/runId.js';
import { withContext } from '../errors/errorTypes.js';
import { dueFireTime } from './dueFireTime.js';

export type TickResult = { enqueued: Array<{ pipelineId: string; runId: string }>; errors: string[] };

/**
 * Enqueues the due run of every scheduled pipeline. The run id comes from pipeline + fire time,
 * so a tick that fires twice (or two hosts ticking at once) creates and starts the run once.
 */
export async function schedulerTick(services: Services): Promise<TickResult> {
  const now = services.now();
  const result: TickResult = { enqueued: [], errors: [] };
  for (const { spec, schedulePaused } of await services.pipelines.list()) {
    if (!spec.schedule || schedulePaused) continue;
    try {
      const fire = dueFireTime(spec.schedule.cron, spec.schedule.timeZone, now, services.settings.SIPHON_SCHEDULER_CATCHUP_MINUTES);
      if (!fire) continue;
      const runId = scheduledRunId(spec.id, fire);
      const { created } = await enqueueRun(services, { runId, pipelineId: spec.id, reason: 'schedule', options: {}, attempt: 0 });
      if (created) result.enqueued.push({ pipelineId: spec.id, runId });
    } catch (err) {
      // One broken pipeline must not stop the others from being scheduled.
      result.errors.push(withContext(err, `Pipeline ${spec.id}, schedule`).message);
    }
  }
  return result;
}
