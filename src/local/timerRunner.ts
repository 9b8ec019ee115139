import { CronExpressionParser } from 'cron-parser';
import functions, { type LogHandler } from '@azure/functions';

const { InvocationContext } = functions;
import { errorMessage } from '../errors/errorTypes.js';
import type { TimerFunction } from '../registry.js';

/** Fires a timer function on its NCRONTAB schedule (six fields, with seconds, UTC). */
export class TimerRunner {
  private timeout?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly fn: TimerFunction, private readonly log: LogHandler) {}

  start(): void {
    this.armNext();
  }

  stop(): void {
    this.stopped = true;
    if (this.timeout) clearTimeout(this.timeout);
  }

  /** Runs the function now, as the host's admin endpoint would; the schedule is unchanged. */
  async fire(): Promise<void> {
    const context = new InvocationContext({ functionName: this.fn.name, invocationId: `${this.fn.name}:${Date.now()}`, logHandler: this.log });
    try {
      await this.fn.handler(context);
    } catch (err) {
      this.log('error', `${this.fn.name}: ${errorMessage(err)}`);
    }
  }

  private armNext(): void {
    if (this.stopped) return;
    const next = CronExpressionParser.parse(this.fn.schedule, { tz: 'UTC' }).next().toDate();
    this.timeout = setTimeout(() => {
      void this.fire().finally(() => this.armNext());
    }, Math.max(0, next.getTime() - Date.now()));
  }
}
