import { cronExpression } from './cronExpression.js';

/** The first fire time of a cron schedule after `now` (strictly). */
export function nextFireTime(cron: string, timeZone: string, now: Date): Date {
  return cronExpression(cron, timeZone, now).next().toDate();
}
