import { z } from 'zod';
import { notificationEvents, notificationTargetSchema, type NotificationTarget } from '../spec/notificationSpec.js';
import { notificationSchema, type Notification } from './notification.js';

/**
 * One send on the notification queue: what to say, to which target (setting names only), and
 * which try this is. `subject` is what the event is about: `run:<runId>:<attempt>` for a run's
 * ending (a retried run that fails again is news again), `late:<fire time>`, `alert:<rule>:<window>`.
 */
export const notificationMessageSchema = z
  .object({
    version: z.literal(1),
    pipelineId: z.string().min(1).max(200),
    subject: z.string().min(1).max(300),
    event: z.enum(notificationEvents),
    target: notificationTargetSchema,
    notification: notificationSchema,
    attempt: z.number().int().min(0).max(100),
  })
  .strict();

export type NotificationMessage = { version: 1; pipelineId: string; subject: string; event: Notification['event']; target: NotificationTarget; notification: Notification; attempt: number };

/** Base64 JSON, as the host's queue trigger decodes it (see jobs/jobQueueMessage.ts). */
export function encodeNotificationMessage(message: NotificationMessage): string {
  return Buffer.from(JSON.stringify(notificationMessageSchema.parse(message))).toString('base64');
}
