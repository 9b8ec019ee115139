import type { Services } from '../services.js';
import type { StoredPipeline } from '../store/pipelineStore.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';
import { durationInMs } from '../spec/fixedDuration.js';
import { RunStatus } from '../spec/runStatus.js';
import { withContext } from '../errors/errorTypes.js';
import { dashboardBaseUrl, dashboardLink } from './dashboardLink.js';
import { evaluateAlertRule, type AlertFiring } from './alertRules.js';
import { missedFireTime } from './missedFireTime.js';
import { enqueueNotifications } from './enqueueNotifications.js';
import type { Notification } from './notification.js';

/** Runs a tick reads per watched pipeline: enough for lastRuns up to 100 and a failure-rate window of a busy day. */
export const watchedRunsPerPipeline = 200;

export type WatchResult = { raised: Array<{ pipelineId: string; event: 'late' | 'alert'; occurrence: string }>; errors: string[] };

/**
 * The scheduler tick's look at run history: for each pipeline with `lateAfter` (scheduled, not
 * paused) or `alerts`, its latest runs are read once, and each late fire time and each alert that
 * fires is queued to the subscriptions of event `late` / `alert`, once: an occurrence already
 * recorded (store/notificationStore.ts markFired) is not queued again. The occurrence is
 * recorded after its messages are queued, so a crash between the two queues it again at the next
 * tick, where the delivery records send it once.
 */
export async function watchRunHistory(services: Services, pipelines: readonly StoredPipeline[], now: Date): Promise<WatchResult> {
  const result: WatchResult = { raised: [], errors: [] };
  const baseUrl = dashboardBaseUrl(services.settings);
  for (const pipeline of pipelines) {
    const { spec } = pipeline;
    const watchesLate = spec.lateAfter !== undefined && spec.schedule !== undefined && !pipeline.schedulePaused;
    if (!spec.notifications || (!watchesLate && !spec.alerts)) continue;
    try {
      const page = await services.runs.listPage(spec.id, { limit: watchedRunsPerPipeline, maxScanned: watchedRunsPerPipeline });
      // A deleted pipeline's runs kept under the same id belong to its earlier life.
      const runs = page.runs.filter((run) => runGeneration(run) === pipeline.generation);
      const occurrences: Array<{ event: 'late' | 'alert'; occurrence: string; notification: Notification }> = [];
      if (watchesLate) {
        const lateAfterInMs = durationInMs(spec.lateAfter!)!;
        const lastSuccess = runs.find((run) => run.status === RunStatus.succeeded && run.endedAt);
        const fire = missedFireTime({ cron: spec.schedule!.cron, timeZone: spec.schedule!.timeZone, scheduleChangedAt: new Date(pipeline.scheduleChangedAt), lateAfterInMs, lastSuccessAt: lastSuccess?.endedAt ? new Date(lastSuccess.endedAt) : undefined }, now);
        if (fire) occurrences.push({ event: 'late', occurrence: `late:${fire.toISOString()}`, notification: lateNotification(spec.id, fire, spec.lateAfter!, lastSuccess?.endedAt, lateAfterInMs, baseUrl) });
      }
      spec.alerts?.forEach((rule, index) => {
        const firing = evaluateAlertRule(rule, index, runs, now);
        if (firing) occurrences.push({ event: 'alert', occurrence: firing.occurrence, notification: alertNotification(spec.id, firing, now, baseUrl) });
      });
      for (const { event, occurrence, notification } of occurrences) {
        if (await services.notifications.hasFired(spec.id, occurrence)) continue;
        await enqueueNotifications(services, { pipelineId: spec.id, subject: occurrence, subscriptions: spec.notifications, notifications: new Map([[event, notification]]) });
        if (await services.notifications.markFired(spec.id, occurrence, now)) result.raised.push({ pipelineId: spec.id, event, occurrence });
      }
    } catch (err) {
      // One pipeline's trouble must not keep the others' alerts from being seen.
      result.errors.push(withContext(err, `Pipeline ${spec.id}, alerts`).message);
    }
  }
  return result;
}

function lateNotification(pipelineId: string, fire: Date, lateAfter: string, lastSuccessAt: string | undefined, lateAfterInMs: number, baseUrl: string): Notification {
  return {
    event: 'late',
    pipelineId,
    title: `${pipelineId} is late`,
    details: [`the run scheduled for ${fire.toISOString()} has not succeeded within ${lateAfter}`, `last success: ${lastSuccessAt ?? 'never'}`],
    link: dashboardLink(baseUrl, pipelineId),
    occurredAt: new Date(fire.getTime() + lateAfterInMs).toISOString(),
  };
}

function alertNotification(pipelineId: string, firing: AlertFiring, now: Date, baseUrl: string): Notification {
  return {
    event: 'alert',
    pipelineId,
    ...(firing.runId ? { runId: firing.runId } : {}),
    ...(firing.status ? { status: firing.status } : {}),
    title: `${pipelineId}: ${firing.title}`,
    details: firing.details,
    link: dashboardLink(baseUrl, pipelineId, firing.runId),
    occurredAt: now.toISOString(),
  };
}
