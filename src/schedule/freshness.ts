import { RunStatus } from '../spec/runStatus.js';
import { dueFireTime } from './dueFireTime.js';
import { nextFireTime } from './nextFireTime.js';

export const Freshness = { onTime: 'on_time', late: 'late', failing: 'failing', paused: 'paused', unscheduled: 'unscheduled' } as const;
export type Freshness = (typeof Freshness)[keyof typeof Freshness];

/** A fire time counts as missed only this long after it passed: the scheduler ticks once a minute and a run takes a moment to be queued. */
export const lateGraceInMs = 5 * 60_000;

export type FreshnessFacts = {
  schedule?: { cron: string; timeZone: string };
  paused: boolean;
  /** When the schedule took effect (creation, a change, a resume): earlier fire times were never due. */
  scheduleChangedAt: Date;
  /** The status of the pipeline's latest run, if it has one. */
  latestStatus?: RunStatus;
  /** A run of the pipeline is queued or running. */
  inProgress: boolean;
  /** When the pipeline's latest successful run ended. */
  lastSuccessAt?: Date;
};

/**
 * How current a pipeline's data is, in the order the overview states it: paused; failing (its
 * latest run failed or timed out); unscheduled; late (a fire time passed more than lateGraceInMs
 * ago, after the schedule took effect, and no run has succeeded since and none is in progress);
 * otherwise on time. `nextRunAt` for a schedule that is not paused.
 */
export function pipelineFreshness(facts: FreshnessFacts, now: Date): { freshness: Freshness; nextRunAt?: Date } {
  if (facts.paused) return { freshness: Freshness.paused };
  const failing = facts.latestStatus === RunStatus.failed || facts.latestStatus === RunStatus.timedOut;
  const { schedule } = facts;
  if (!schedule) return { freshness: failing ? Freshness.failing : Freshness.unscheduled };
  const nextRunAt = nextFireTime(schedule.cron, schedule.timeZone, now);
  if (failing) return { freshness: Freshness.failing, nextRunAt };
  // The latest fire time before the grace, however long ago (no catch-up limit), if the schedule applied then.
  const missed = dueFireTime(schedule.cron, schedule.timeZone, new Date(now.getTime() - lateGraceInMs), Number.POSITIVE_INFINITY, facts.scheduleChangedAt);
  const covered = facts.inProgress || (facts.lastSuccessAt !== undefined && facts.lastSuccessAt.getTime() >= (missed?.getTime() ?? 0));
  return { freshness: missed && !covered ? Freshness.late : Freshness.onTime, nextRunAt };
}
