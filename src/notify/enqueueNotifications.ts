import type { Services } from '../services.js';
import type { NotificationEvent, Subscription } from '../spec/notificationSpec.js';
import type { Notification } from './notification.js';
import { encodeNotificationMessage, type NotificationMessage } from './notificationQueueMessage.js';
import { targetId, targetOf } from './targetId.js';

/**
 * Puts one message per (event, target) on the notification queue for the subscriptions that ask
 * for the event: a target named by two subscriptions gets it once. Only enqueues; the sender
 * (deliverNotification.ts) posts, so whoever raised the event never waits on a target.
 */
export async function enqueueNotifications(
  services: Pick<Services, 'notificationQueue'>,
  input: { pipelineId: string; subject: string; subscriptions: readonly Subscription[]; notifications: ReadonlyMap<NotificationEvent, Notification> },
): Promise<number> {
  const messages = new Map<string, NotificationMessage>();
  for (const subscription of input.subscriptions) {
    for (const event of subscription.events) {
      const notification = input.notifications.get(event);
      if (!notification) continue;
      const target = targetOf(subscription);
      messages.set(`${event}|${targetId(target)}`, { version: 1, pipelineId: input.pipelineId, subject: input.subject, event, target, notification, attempt: 0 });
    }
  }
  await Promise.all([...messages.values()].map((message) => services.notificationQueue.sendMessage(encodeNotificationMessage(message))));
  return messages.size;
}
