import { dueFireTime } from '../schedule/dueFireTime.js';

/**
 * The fire time a scheduled pipeline is late for: the latest one at least `lateAfterInMs` ago
 * (and after its schedule took effect), when no run has succeeded since it (a run that ended
 * after it). Undefined when the pipeline is not late. Pure; the tick raises each fire time once.
 */
export function missedFireTime(facts: { cron: string; timeZone: string; scheduleChangedAt: Date; lateAfterInMs: number; lastSuccessAt?: Date }, now: Date): Date | undefined {
  const fire = dueFireTime(facts.cron, facts.timeZone, new Date(now.getTime() - facts.lateAfterInMs), Number.POSITIVE_INFINITY, facts.scheduleChangedAt);
  if (!fire) return undefined;
  return facts.lastSuccessAt !== undefined && facts.lastSuccessAt.getTime() >= fire.getTime() ? undefined : fire;
}
