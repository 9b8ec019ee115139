import { describe, expect, it } from 'vitest';
import { evaluateAlertRule, type RunFacts } from '../../src/notify/alertRules.js';
import { missedFireTime } from '../../src/notify/missedFireTime.js';
import { durationInMs } from '../../src/spec/fixedDuration.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { formatZodError } from '../../src/spec/formatZodError.js';

const now = new Date('2026-12-07T18:00:00Z');
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
/** A run that ended `endedMinutesAgo` after taking `durationMinutes`. */
const run = (id: string, status: RunFacts['status'], endedMinutesAgo: number, rows = 100, durationMinutes = 1): RunFacts => ({ runId: id, status, endedAt: minutesAgo(endedMinutesAgo), startedAt: minutesAgo(endedMinutesAgo + durationMinutes), rows });

describe('failureRate', () => {
  const rule = { kind: 'failureRate', window: 'P1D', above: 0.5, minRuns: 3 } as const;

  it('fires when more than the share failed within the window, once per UTC day', () => {
    const runs = [run('r4', 'failed', 10), run('r3', 'timed_out', 60), run('r2', 'succeeded', 120), run('r1', 'failed', 25 * 60)];
    // r1 is outside the day: 2 of 3 failed.
    const firing = evaluateAlertRule(rule, 0, runs, now);
    expect(firing).toMatchObject({ occurrence: 'alert:0:failureRate:2026-12-07T00:00:00.000Z', runId: 'r4' });
    expect(firing?.details[0]).toContain('2 of 3');
    // Later the same day: the same occurrence, so it is sent once.
    expect(evaluateAlertRule(rule, 0, runs, new Date('2026-12-07T23:59:00Z'))?.occurrence).toBe(firing?.occurrence);
  });

  it('at the bound, below minRuns, or with only cancelled and skipped runs: no alert', () => {
    expect(evaluateAlertRule(rule, 0, [run('a', 'failed', 1), run('b', 'succeeded', 2), run('c', 'failed', 3), run('d', 'succeeded', 4)], now)).toBeUndefined(); // exactly 0.5
    expect(evaluateAlertRule(rule, 0, [run('a', 'failed', 1), run('b', 'failed', 2)], now)).toBeUndefined();
    expect(evaluateAlertRule({ ...rule, minRuns: undefined }, 0, [run('a', 'cancelled', 1), run('b', 'skipped', 2)], now)).toBeUndefined();
    expect(evaluateAlertRule({ ...rule, minRuns: undefined }, 0, [run('a', 'failed', 1)], now)?.runId).toBe('a');
  });
});

describe('volumeDrop', () => {
  const rule = { kind: 'volumeDrop', lastRuns: 3, belowPercent: 50 } as const;
  it('compares the latest successful run with the mean of the ones before it; failed runs are not the baseline', () => {
    const runs = [run('r5', 'succeeded', 1, 40), run('r4', 'failed', 2, 0), run('r3', 'succeeded', 3, 100), run('r2', 'succeeded', 4, 90), run('r1', 'succeeded', 5, 110)];
    expect(evaluateAlertRule(rule, 1, runs, now)).toMatchObject({ occurrence: 'alert:1:volumeDrop:r5', runId: 'r5' });
    expect(evaluateAlertRule(rule, 1, [run('r5', 'succeeded', 1, 50), ...runs.slice(1)], now)).toBeUndefined(); // exactly half
    expect(evaluateAlertRule(rule, 1, runs.slice(0, 4), now)).toBeUndefined(); // two runs of baseline, three asked
    expect(evaluateAlertRule(rule, 1, [run('r5', 'succeeded', 1, 0), run('a', 'succeeded', 2, 0), run('b', 'succeeded', 3, 0), run('c', 'succeeded', 4, 0)], now)).toBeUndefined();
  });
});

describe('durationAnomaly', () => {
  const rule = { kind: 'durationAnomaly', lastRuns: 2, abovePercent: 200 } as const;
  it('fires when the latest successful run took more than the percent of the mean duration', () => {
    const runs = [run('r3', 'succeeded', 1, 100, 25), run('r2', 'succeeded', 60, 100, 10), run('r1', 'succeeded', 120, 100, 12)];
    expect(evaluateAlertRule(rule, 2, runs, now)).toMatchObject({ occurrence: 'alert:2:durationAnomaly:r3', title: expect.stringContaining('25 min') });
    expect(evaluateAlertRule(rule, 2, [run('r3', 'succeeded', 1, 100, 22), ...runs.slice(1)], now)).toBeUndefined(); // exactly 200%
  });
});

describe('late fire times', () => {
  const facts = { cron: '0 0 * * * *', timeZone: 'UTC', scheduleChangedAt: new Date('2026-12-01T00:00:00Z'), lateAfterInMs: 30 * 60_000 };
  it('the latest fire time lateAfter ago without a success that ended after it', () => {
    // 18:00: the 17:00 fire time is 60 min old, the 18:00 one only 0 min.
    expect(missedFireTime(facts, now)?.toISOString()).toBe('2026-12-07T17:00:00.000Z');
    expect(missedFireTime({ ...facts, lastSuccessAt: new Date('2026-12-07T17:05:00Z') }, now)).toBeUndefined();
    expect(missedFireTime({ ...facts, lastSuccessAt: new Date('2026-12-07T16:59:00Z') }, now)?.toISOString()).toBe('2026-12-07T17:00:00.000Z');
    // A schedule that took effect after the fire time was never due then.
    expect(missedFireTime({ ...facts, scheduleChangedAt: new Date('2026-12-07T17:10:00Z') }, now)).toBeUndefined();
  });
});

describe('spec fields', () => {
  const base = { id: 'orders', source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' }, table: { name: 'orders' }, output: { container: 'out' } };
  const parse = (fields: Record<string, unknown>) => {
    const parsed = pipelineSpecSchema.safeParse({ ...base, ...fields });
    return parsed.success ? { ok: true as const, spec: parsed.data } : { ok: false as const, error: formatZodError(parsed.error) };
  };

  it('durations: fixed units only', () => {
    expect(durationInMs('P1D')).toBe(86_400_000);
    expect(durationInMs('PT1H30M')).toBe(5_400_000);
    expect(durationInMs('P2W')).toBe(14 * 86_400_000);
    for (const bad of ['P1M', 'P1Y', 'PT', 'P', '1D', 'PT0S', 'P1DT']) expect(durationInMs(bad), bad).toBeUndefined();
  });

  it('a full spec parses and re-parses to itself', () => {
    const fields = {
      schedule: { cron: '0 0 * * * *', timeZone: 'UTC' },
      lateAfter: 'PT30M',
      notifications: [
        { target: 'teams', urlSetting: 'SIPHON_NOTIFY_TEAMS', events: ['failure', 'late', 'alert'] },
        { target: 'telegram', botTokenSetting: 'SIPHON_NOTIFY_TG', chatId: '-1001', events: ['failure'] },
        { target: 'webhook', urlSetting: 'SIPHON_NOTIFY_HOOK', secretSetting: 'SIPHON_NOTIFY_HOOK_SECRET', events: ['success', 'qualityBreach'] },
      ],
      alerts: [{ kind: 'failureRate', window: 'P1D', above: 0.5, minRuns: 3 }, { kind: 'volumeDrop', lastRuns: 10, belowPercent: 50 }, { kind: 'durationAnomaly', lastRuns: 10, abovePercent: 200 }],
    };
    const first = parse(fields);
    if (!first.ok) throw new Error(first.error);
    expect(first.spec.notifications).toEqual(fields.notifications);
    expect(pipelineSpecSchema.parse(JSON.parse(JSON.stringify(first.spec)))).toEqual(first.spec);
  });

  it('refuses, naming the field: a setting outside SIPHON_NOTIFY_, a URL in place of a name, unknown events, orphan late and alerts', () => {
    const one = (subscription: Record<string, unknown>) => parse({ notifications: [subscription] });
    expect(one({ target: 'slack', urlSetting: 'AzureWebJobsStorage', events: ['failure'] })).toMatchObject({ ok: false, error: expect.stringContaining('notifications.0.urlSetting') });
    expect(one({ target: 'slack', urlSetting: 'SIPHON_SOURCE_SALES', events: ['failure'] })).toMatchObject({ ok: false, error: expect.stringContaining('SIPHON_NOTIFY_') });
    expect(one({ target: 'slack', urlSetting: 'https://hooks.slack.com/services/T/B/X', events: ['failure'] })).toMatchObject({ ok: false, error: expect.stringContaining('notifications.0.urlSetting') });
    expect(one({ target: 'slack', url: 'https://hooks.slack.com/services/T/B/X', urlSetting: 'SIPHON_NOTIFY_S', events: ['failure'] })).toMatchObject({ ok: false });
    expect(one({ target: 'slack', urlSetting: 'SIPHON_NOTIFY_S', events: ['oops'] })).toMatchObject({ ok: false, error: expect.stringContaining('notifications.0.events.0') });
    expect(one({ target: 'slack', urlSetting: 'SIPHON_NOTIFY_S', events: ['failure', 'failure'] })).toMatchObject({ ok: false, error: expect.stringContaining('twice') });
    expect(one({ target: 'pager', urlSetting: 'SIPHON_NOTIFY_S', events: ['failure'] })).toMatchObject({ ok: false, error: expect.stringContaining('notifications.0.target') });
    expect(one({ target: 'slack', urlSetting: 'SIPHON_NOTIFY_S', events: ['late'] })).toMatchObject({ ok: false, error: expect.stringContaining('lateAfter') });
    expect(parse({ lateAfter: 'PT30M', notifications: [{ target: 'slack', urlSetting: 'SIPHON_NOTIFY_S', events: ['late'] }] })).toMatchObject({ ok: false, error: expect.stringContaining('only a scheduled pipeline') });
    expect(parse({ alerts: [{ kind: 'volumeDrop', lastRuns: 3, belowPercent: 50 }] })).toMatchObject({ ok: false, error: expect.stringContaining('alerts') });
    expect(parse({ alerts: [{ kind: 'failureRate', window: 'P1M', above: 0.5 }], notifications: [{ target: 'slack', urlSetting: 'SIPHON_NOTIFY_S', events: ['alert'] }] })).toMatchObject({ ok: false, error: expect.stringContaining('alerts.0.window') });
  });
});
