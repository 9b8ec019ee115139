import { describe, expect, it } from 'vitest';
import { pipelineFreshness, type FreshnessFacts } from '../../src/schedule/freshness.js';
import { nextFireTime } from '../../src/schedule/nextFireTime.js';

const at = (iso: string) => new Date(iso);
const hourly = { cron: '0 * * * *', timeZone: 'UTC' };
// 10:20: the 10:00 fire is past its 5-minute grace, 09:00 before it.
const now = at('2026-03-10T10:20:00Z');
const facts = (more: Partial<FreshnessFacts> = {}): FreshnessFacts => ({ schedule: hourly, paused: false, scheduleChangedAt: at('2026-03-01T00:00:00Z'), inProgress: false, ...more });

describe('nextFireTime', () => {
  it('is the first fire time strictly after now, in the schedule time zone', () => {
    expect(nextFireTime('0 * * * *', 'UTC', at('2026-03-10T10:20:00Z')).toISOString()).toBe('2026-03-10T11:00:00.000Z');
    expect(nextFireTime('0 * * * *', 'UTC', at('2026-03-10T11:00:00Z')).toISOString()).toBe('2026-03-10T12:00:00.000Z');
    // 02:00 in Berlin in winter is 01:00Z.
    expect(nextFireTime('0 0 2 * * *', 'Europe/Berlin', at('2026-01-15T00:00:00Z')).toISOString()).toBe('2026-01-15T01:00:00.000Z');
  });
});

describe('pipeline freshness', () => {
  it('is on time when a run succeeded after the last fire time, or one is in progress', () => {
    expect(pipelineFreshness(facts({ latestStatus: 'succeeded', lastSuccessAt: at('2026-03-10T10:01:00Z') }), now)).toEqual({ freshness: 'on_time', nextRunAt: at('2026-03-10T11:00:00Z') });
    expect(pipelineFreshness(facts({ latestStatus: 'running', inProgress: true, lastSuccessAt: at('2026-03-09T00:00:00Z') }), now).freshness).toBe('on_time');
  });

  it('is late when a fire time passed more than 5 minutes ago with no success since', () => {
    expect(pipelineFreshness(facts({ latestStatus: 'succeeded', lastSuccessAt: at('2026-03-10T09:01:00Z') }), now).freshness).toBe('late');
    expect(pipelineFreshness(facts(), now).freshness).toBe('late');
    // A cancelled latest run does not cover the fire time either.
    expect(pipelineFreshness(facts({ latestStatus: 'cancelled', lastSuccessAt: at('2026-03-10T08:00:00Z') }), now).freshness).toBe('late');
  });

  it('gives a fire time its grace: at 10:04 the 10:00 run is not yet missed', () => {
    expect(pipelineFreshness(facts({ lastSuccessAt: at('2026-03-10T09:01:00Z') }), at('2026-03-10T10:04:00Z')).freshness).toBe('on_time');
    expect(pipelineFreshness(facts({ lastSuccessAt: at('2026-03-10T09:01:00Z') }), at('2026-03-10T10:05:01Z')).freshness).toBe('late');
  });

  it('is not late for fire times before the schedule took effect (created, changed or resumed since)', () => {
    expect(pipelineFreshness(facts({ scheduleChangedAt: at('2026-03-10T10:10:00Z') }), now).freshness).toBe('on_time');
  });

  it('is failing when the latest run failed or timed out, before any lateness, scheduled or not', () => {
    expect(pipelineFreshness(facts({ latestStatus: 'failed' }), now)).toEqual({ freshness: 'failing', nextRunAt: at('2026-03-10T11:00:00Z') });
    expect(pipelineFreshness(facts({ latestStatus: 'timed_out' }), now).freshness).toBe('failing');
    expect(pipelineFreshness(facts({ schedule: undefined, latestStatus: 'failed' }), now)).toEqual({ freshness: 'failing' });
  });

  it('is paused before anything else, with no next run; unscheduled without a schedule', () => {
    expect(pipelineFreshness(facts({ paused: true, latestStatus: 'failed' }), now)).toEqual({ freshness: 'paused' });
    expect(pipelineFreshness(facts({ schedule: undefined, latestStatus: 'succeeded' }), now)).toEqual({ freshness: 'unscheduled' });
  });
});
