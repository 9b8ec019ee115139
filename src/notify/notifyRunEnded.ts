import type { Services } from '../services.js';
import type { RunRecord } from '../store/runStore.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { errorMessage } from '../errors/errorTypes.js';
import type { NotificationEvent } from '../spec/notificationSpec.js';
import { dashboardBaseUrl } from './dashboardLink.js';
import type { Notification } from './notification.js';
import { eventsOfRun, runNotification } from './runNotifications.js';
import { enqueueNotifications } from './enqueueNotifications.js';

/**
 * The last step of a run's ending (finalize, failRun): queues its notifications. It never
 * throws and never waits on a target: the run has ended whatever happens here. Safe to repeat
 * (a finalize run twice queues twice; the sender's delivery record sends once). A queue that
 * cannot be reached is written on the run's timeline as `notificationFailed`.
 */
export async function notifyRunEnded(services: Services, run: RunRecord): Promise<void> {
  try {
    // A run that failed before prepare has no spec snapshot: the pipeline's current spec names its targets.
    const subscriptions = run.spec?.notifications ?? (run.spec ? undefined : (await services.pipelines.get(run.pipelineId))?.spec.notifications);
    if (!subscriptions?.length) return;
    const baseUrl = dashboardBaseUrl(services.settings);
    const notifications = new Map<NotificationEvent, Notification>(eventsOfRun(run).map((event) => [event, runNotification(run, event, baseUrl)]));
    if (notifications.size === 0) return;
    await enqueueNotifications(services, { pipelineId: run.pipelineId, subject: `run:${run.runId}:${run.attempt}`, subscriptions, notifications });
  } catch (err) {
    await appendRunEvent(services, run.runId, {
      type: RunEventType.notificationFailed,
      key: `${run.attempt}:notify-enqueue`,
      fields: { error: `notifications could not be queued: ${errorMessage(err)}` },
    }).catch(() => undefined);
  }
}
