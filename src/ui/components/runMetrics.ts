import { elapsedMs } from '../format.js';
import type { RunSummary } from './apiShapes.js';

/** How long a run took (or has been going, while it runs); undefined before it started. */
export const runDurationMs = (run: Pick<RunSummary, 'startedAt' | 'endedAt'>, now = Date.now()) => elapsedMs(run.startedAt, run.endedAt, now);

/** Rows per second over the whole run, once it ended: a run still going has not counted its rows yet. */
export function rowsPerSecond(run: Pick<RunSummary, 'startedAt' | 'endedAt' | 'rows'>): number | undefined {
  if (!run.endedAt) return undefined;
  const ms = runDurationMs(run);
  return ms !== undefined && ms > 0 ? (run.rows * 1_000) / ms : undefined;
}

/** What kind of run it was, beyond why it started: a full refresh, a backfill's range, a retry's attempt. */
export function runKind(run: Pick<RunSummary, 'options' | 'attempt'>): string | undefined {
  const parts: string[] = [];
  if (run.options?.fullRefresh) parts.push('full refresh');
  if (run.options?.backfill) parts.push(`backfill ${run.options.backfill.from} → ${run.options.backfill.to}`);
  if (run.attempt > 0) parts.push(`attempt ${run.attempt + 1}`);
  return parts.length ? parts.join(', ') : undefined;
}
