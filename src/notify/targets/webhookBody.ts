import type { Notification } from '../notification.js';

/**
 * The generic webhook's JSON body: the notification as it is, with the delivery id (the same
 * on every retry of one (run, event, target), so a receiver can drop a repeat) and a type and
 * version to dispatch on. Signed by signWebhook.ts.
 */
export function webhookBody(notification: Notification, deliveryId: string): Record<string, unknown> {
  return { type: 'siphon.notification', version: 1, deliveryId, ...notification };
}
