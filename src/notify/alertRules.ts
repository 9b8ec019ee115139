import type { AlertRule } from '../spec/notificationSpec.js';
import { durationInMs } from '../spec/fixedDuration.js';
import { RunStatus } from '../spec/runStatus.js';
import { durationText } from './notification.js';

/** What a rule reads of a run: its summary as the run list holds it. */
export type RunFacts = { runId: string; status: RunStatus; startedAt?: string; endedAt?: string; rows: number };

/** A rule that fired: `occurrence` names what it fired for, so it fires once per window (failure rate) or per run (the others). */
export type AlertFiring = { occurrence: string; title: string; details: string[]; runId?: string; status?: string };

const failedStatuses: ReadonlySet<string> = new Set([RunStatus.failed, RunStatus.timedOut]);
const endedStatuses: ReadonlySet<string> = new Set([RunStatus.succeeded, ...failedStatuses]);

const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;

/**
 * Evaluates rule number `index` of a pipeline over its runs (newest first) at `now`. Pure: the
 * scheduler tick reads the runs and sends what this returns (notify/watchRunHistory.ts).
 *
 * - failureRate: of the runs that ended (succeeded, failed, timed out; not cancelled or skipped)
 *   within `window` before now, the failed share is above `above`, with at least `minRuns` (1)
 *   of them. Fires once per window-length span of time (whole days from UTC midnight for P1D).
 * - volumeDrop: the latest successful run copied fewer rows than `belowPercent` of the mean of
 *   the `lastRuns` successful runs before it. Fires once per latest run; needs `lastRuns` runs
 *   of baseline, and a baseline of 0 rows never fires.
 * - durationAnomaly: the same for the run's duration (start to end) above `abovePercent`.
 */
export function evaluateAlertRule(rule: AlertRule, index: number, runs: readonly RunFacts[], now: Date): AlertFiring | undefined {
  switch (rule.kind) {
    case 'failureRate': {
      const windowInMs = durationInMs(rule.window)!;
      const from = now.getTime() - windowInMs;
      const ended = runs.filter((run) => endedStatuses.has(run.status) && run.endedAt !== undefined && Date.parse(run.endedAt) > from && Date.parse(run.endedAt) <= now.getTime());
      const failures = ended.filter((run) => failedStatuses.has(run.status));
      if (ended.length === 0 || ended.length < (rule.minRuns ?? 1)) return undefined;
      const rate = failures.length / ended.length;
      if (rate <= rule.above) return undefined;
      const span = new Date(Math.floor(now.getTime() / windowInMs) * windowInMs).toISOString();
      return {
        occurrence: `alert:${index}:failureRate:${span}`,
        title: `failure rate ${percent(rate)} over ${rule.window}`,
        details: [`${failures.length} of ${ended.length} run(s) that ended in the last ${rule.window} failed, above ${percent(rule.above)}`],
        runId: failures[0]!.runId,
        status: failures[0]!.status,
      };
    }
    case 'volumeDrop': {
      const baseline = successfulBaseline(runs, rule.lastRuns);
      if (!baseline) return undefined;
      const mean = average(baseline.before.map((run) => run.rows));
      if (mean <= 0 || baseline.latest.rows * 100 >= rule.belowPercent * mean) return undefined;
      return {
        occurrence: `alert:${index}:volumeDrop:${baseline.latest.runId}`,
        title: `volume drop: ${baseline.latest.rows.toLocaleString('en-US')} rows, ${percent(baseline.latest.rows / mean)} of the usual`,
        details: [`the latest successful run copied ${baseline.latest.rows.toLocaleString('en-US')} rows; the ${rule.lastRuns} before it averaged ${Math.round(mean).toLocaleString('en-US')} (alert below ${rule.belowPercent}%)`],
        runId: baseline.latest.runId,
        status: baseline.latest.status,
      };
    }
    case 'durationAnomaly': {
      const timed = runs.filter((run) => run.startedAt !== undefined && run.endedAt !== undefined);
      const baseline = successfulBaseline(timed, rule.lastRuns);
      if (!baseline) return undefined;
      const latest = runDuration(baseline.latest);
      const mean = average(baseline.before.map(runDuration));
      if (mean <= 0 || latest * 100 <= rule.abovePercent * mean) return undefined;
      return {
        occurrence: `alert:${index}:durationAnomaly:${baseline.latest.runId}`,
        title: `slow run: ${durationText(latest)}, ${percent(latest / mean)} of the usual`,
        details: [`the latest successful run took ${durationText(latest)}; the ${rule.lastRuns} before it averaged ${durationText(mean)} (alert above ${rule.abovePercent}%)`],
        runId: baseline.latest.runId,
        status: baseline.latest.status,
      };
    }
  }
}

/** The latest successful run and the `count` successful runs before it, or undefined without that many. */
function successfulBaseline(runs: readonly RunFacts[], count: number): { latest: RunFacts; before: RunFacts[] } | undefined {
  const succeeded = runs.filter((run) => run.status === RunStatus.succeeded);
  if (succeeded.length < count + 1) return undefined;
  return { latest: succeeded[0]!, before: succeeded.slice(1, count + 1) };
}

function runDuration(run: RunFacts): number {
  return Math.max(0, Date.parse(run.endedAt!) - Date.parse(run.startedAt!));
}

function average(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
