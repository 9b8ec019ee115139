import { CronExpressionParser } from 'cron-parser';

/**
 * The latest fire time of a cron schedule at or before `now`, if it lies within the catch-up
 * window; a scheduler that missed ticks starts the latest missed run, not every one of them.
 */
export function dueFireTime(cron: string, timeZone: string, now: Date, catchUpInMinutes: number): Date | undefined {
  const expression = CronExpressionParser.parse(cron, { currentDate: new Date(now.getTime() + 1), tz: timeZone });
  const fire = expression.prev().toDate();
  return now.getTime() - fire.getTime() <= catchUpInMinutes * 60_000 ? fire : undefined;
}
