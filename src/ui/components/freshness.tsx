import type { Freshness, PipelineHealth } from './apiShapes.js';

/** What each verdict means, as the API decides it (CONTRACTS.md, GET /api/overview). */
const meaning: Record<Freshness, string> = {
  on_time: 'every scheduled run so far has succeeded or is under way',
  late: 'a scheduled time passed more than 5 minutes ago with no run succeeding or going since',
  failing: 'the latest run failed or timed out',
  paused: 'the schedule is paused; runs on demand still start',
  unscheduled: 'no schedule: runs only on demand',
};

const order: Freshness[] = ['failing', 'late', 'on_time', 'paused', 'unscheduled'];

/** Worst first: failing, late, on time, paused, unscheduled. */
export const freshnessRank = (freshness: Freshness) => order.indexOf(freshness);

export const freshnessValues = order;

export function FreshnessBadge({ freshness }: { freshness: Freshness }) {
  return <span class={`badge status-${freshness}`} title={meaning[freshness]}>{freshness.replace(/_/g, ' ')}</span>;
}

/** A cron schedule with its time zone, or a dash for a pipeline that runs on demand only. */
export function ScheduleText({ schedule }: { schedule: PipelineHealth['schedule'] }) {
  if (!schedule) return <span class="muted">on demand</span>;
  return <span><code>{schedule.cron}</code> <span class="muted small">{schedule.timeZone}</span></span>;
}
