import { cronExpression } from './cronExpression.js';

/**
 * The latest fire time of a cron schedule at or before `now`, if it lies within the catch-up
 * window; a scheduler that missed ticks starts the latest missed run, not every one of them.
 * A fire time at or before `effectiveFrom` (when the schedule was created, changed or resumed)
 * is not due: it belongs to a time the schedule did not apply.
 */
export function dueFireTime(cron: string, timeZone: string, now: Date, catchUpInMinutes: number, effectiveFrom?: Date): Date | undefined {
  const fire = cronExpression(cron, timeZone, new Date(now.getTime() + 1)).prev().toDate();
  if (effectiveFrom && fire.getTime() <= effectiveFrom.getTime()) return undefined;
  return now.getTime() - fire.getTime() <= catchUpInMinutes * 60_000 ? fire : undefined;
}
