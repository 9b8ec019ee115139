import { CronExpressionParser, type CronExpression } from 'cron-parser';

/**
 * The one reading of a pipeline's schedule: its cron text in its IANA time zone, iterated from
 * `currentDate`. The scheduler's due time and the overview's next run and lateness all come from
 * here, so they cannot disagree about when a schedule fires.
 */
export function cronExpression(cron: string, timeZone: string, currentDate: Date): CronExpression {
  return CronExpressionParser.parse(cron, { currentDate, tz: timeZone });
}
