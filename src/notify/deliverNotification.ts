import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import type { Services } from '../services.js';
import { appendRunEvent, pipelineEventPartition, RunEventType } from '../store/runEventStore.js';
import { DeliveryState } from '../store/notificationStore.js';
import { formatZodError } from '../spec/formatZodError.js';
import { notificationMessageSchema, encodeNotificationMessage, type NotificationMessage } from './notificationQueueMessage.js';
import { targetId } from './targetId.js';
import { targetRequest } from './targetRequest.js';
import { postToTarget } from './postToTarget.js';
import { retryDelayInMs, visibilityDelayInSeconds } from './retryDelay.js';

export type DeliveryOutcome = 'sent' | 'retrying' | 'failed' | 'duplicate' | 'refused';

export type DeliveryLog = { warn: (message: string) => void };

/** Thrown when another sender holds a fresh claim on the delivery: the queue brings the message back later. */
export class DeliveryBusyError extends Error {
  override readonly name = 'DeliveryBusyError';
}

/**
 * The notification queue's handler: one try of one (subject, event, target).
 *
 * 1. Claims the delivery (store/notificationStore.ts): a message for a delivery already sent or
 *    failed for good, or of an older try, sends nothing (a redelivered message, a finalize that
 *    ran twice).
 * 2. Builds the request from the settings the target names (read now) and posts it with a timeout.
 * 3. Sent: the delivery and the target's status say so. Not sent, with tries left: the next try
 *    is queued with a visibility delay (retryDelay.ts) and the delivery waits for it. Not sent on
 *    the last try: the delivery is failed, the target's status says failing, and the run's
 *    timeline (the pipeline's, for `late` and `alert`) gets a `notificationFailed` event.
 *
 * A target's failure never throws: the message is done once its outcome is recorded. Only
 * storage errors throw, and the queue retries those as usual.
 */
export async function deliverNotification(services: Services, raw: unknown, log: DeliveryLog, env: NodeJS.ProcessEnv = process.env, events: RunEventLog = discardRunEvents): Promise<DeliveryOutcome> {
  const parsed = notificationMessageSchema.safeParse(raw);
  if (!parsed.success) {
    // Not retried: the same bytes would fail the same way.
    log.warn(`Notification message refused: ${formatZodError(parsed.error)}`);
    return 'refused';
  }
  const message = parsed.data as NotificationMessage;
  const { settings } = services;
  const target = targetId(message.target);
  const key = { pipelineId: message.pipelineId, subject: message.subject, event: message.event, targetId: target };
  const now = services.now();
  const claim = await services.notifications.claimDelivery(key, message.attempt, now, settings.SIPHON_NOTIFICATION_TIMEOUT_MS + 15_000);
  if (!claim.claimed) {
    if (claim.why === 'busy') throw new DeliveryBusyError(`Notification ${message.event} of ${message.subject} to ${target}: another sender is posting it`);
    if (claim.why === 'requeue') await queueNextTry(services, message);
    return 'duplicate';
  }

  const deliveryId = `${message.pipelineId}|${message.subject}|${message.event}|${target}`;
  const built = targetRequest(message.target, message.notification, { env, telegramApiUrl: settings.SIPHON_TELEGRAM_API_URL, deliveryId, now });
  const posted = built.ok ? await postToTarget(built.request, settings.SIPHON_NOTIFICATION_TIMEOUT_MS) : { ok: false as const, error: built.problem };
  const at = services.now();
  const runId = message.notification.runId;
  // The telemetry event of a delivery settled for good (sent, or given up on).
  const told = { pipelineId: message.pipelineId, runId, target, targetType: message.target.target, notification: message.event, attempt: message.attempt + 1 };

  if (posted.ok) {
    await services.notifications.settleDelivery(key, claim.etag, { state: DeliveryState.sent, attempt: message.attempt, at });
    await services.notifications.recordTargetOutcome({ targetId: target, kind: message.target.target, at, pipelineId: message.pipelineId, runId });
    events(RunEvent.notificationSent, told);
    return 'sent';
  }

  const next = message.attempt + 1;
  if (next < settings.SIPHON_NOTIFICATION_MAX_ATTEMPTS) {
    // The row first, then the message: the next try must find the row waiting for it. A crash
    // between the two leaves the row `retrying` with no message; the message being handled now
    // was not deleted, so the queue delivers it again, and its claim answers `requeue`.
    const settled = await services.notifications.settleDelivery(key, claim.etag, { state: DeliveryState.retrying, attempt: next, at, error: posted.error });
    if (!settled) return 'duplicate';
    const delay = await queueNextTry(services, message);
    log.warn(`Notification ${message.event} of ${message.subject} to ${target}: try ${next} of ${settings.SIPHON_NOTIFICATION_MAX_ATTEMPTS} failed (${posted.error}); next try in ${delay} ms`);
    return 'retrying';
  }

  await services.notifications.settleDelivery(key, claim.etag, { state: DeliveryState.failed, attempt: message.attempt, at, error: posted.error });
  await services.notifications.recordTargetOutcome({ targetId: target, kind: message.target.target, at, pipelineId: message.pipelineId, runId, error: posted.error });
  await appendRunEvent(services, runId ?? pipelineEventPartition(message.pipelineId), {
    type: RunEventType.notificationFailed,
    key: `notify:${message.subject}:${message.event}:${target}`,
    at,
    fields: { target, event: message.event, attempts: next, error: posted.error },
  });
  log.warn(`Notification ${message.event} of ${message.subject} to ${target} failed after ${next} tries: ${posted.error}`);
  events(RunEvent.notificationFailed, { ...told, error: posted.error });
  return 'failed';
}

/** Queues the try after `message`'s, visible after its backoff; returns the delay. */
async function queueNextTry(services: Services, message: NotificationMessage): Promise<number> {
  const next = message.attempt + 1;
  const delay = retryDelayInMs(next, services.settings.SIPHON_NOTIFICATION_BACKOFF_MS);
  await services.notificationQueue.sendMessage(encodeNotificationMessage({ ...message, attempt: next }), { visibilityTimeout: visibilityDelayInSeconds(delay) });
  return delay;
}
