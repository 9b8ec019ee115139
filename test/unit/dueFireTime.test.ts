import { describe, expect, it } from 'vitest';
import { dueFireTime } from '../../src/schedule/dueFireTime.js';

// '0 0 2 * * *' (seconds field first) is 02:00:00 every day.
// Europe/Berlin is UTC+1 in winter (02:00 local = 01:00Z) and UTC+2 in summer (02:00 local = 00:00Z).
const daily2am = '0 0 2 * * *';
const berlin = 'Europe/Berlin';
const at = (iso: string) => new Date(iso);
const iso = (date: Date | undefined) => date?.toISOString();

describe('dueFireTime', () => {
  it('returns the fire time when now is exactly the fire time, even with no catch-up', () => {
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-15T01:00:00.000Z'), 0))).toBe('2026-01-15T01:00:00.000Z');
  });

  it('uses the Berlin offset in winter and summer', () => {
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-15T01:10:00Z'), 15))).toBe('2026-01-15T01:00:00.000Z');
    expect(iso(dueFireTime(daily2am, berlin, at('2026-07-15T00:10:00Z'), 15))).toBe('2026-07-15T00:00:00.000Z');
  });

  it('returns the fire time inside the catch-up window, boundary included', () => {
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-15T01:30:00Z'), 60))).toBe('2026-01-15T01:00:00.000Z');
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-15T01:30:00Z'), 30))).toBe('2026-01-15T01:00:00.000Z');
  });

  it('returns undefined outside the catch-up window', () => {
    expect(dueFireTime(daily2am, berlin, at('2026-01-15T01:30:00Z'), 29)).toBeUndefined();
    expect(dueFireTime(daily2am, berlin, at('2026-01-15T01:30:00.001Z'), 30)).toBeUndefined();
  });

  it('does not return a fire time in the future (one millisecond before the fire)', () => {
    expect(dueFireTime(daily2am, berlin, at('2026-01-15T00:59:59.999Z'), 60)).toBeUndefined();
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-15T00:59:59.999Z'), 24 * 60))).toBe('2026-01-14T01:00:00.000Z');
  });

  it('returns only the latest missed fire time', () => {
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-18T12:00:00Z'), 7 * 24 * 60))).toBe('2026-01-18T01:00:00.000Z');
  });

  it('works with five-field cron in UTC', () => {
    expect(iso(dueFireTime('*/15 * * * *', 'UTC', at('2026-05-01T12:07:30Z'), 10))).toBe('2026-05-01T12:00:00.000Z');
    expect(dueFireTime('*/15 * * * *', 'UTC', at('2026-05-01T12:07:30Z'), 7)).toBeUndefined();
  });

  it('does not return a fire time at or before the schedule took effect (created, changed or resumed)', () => {
    const everyMinute = '0 * * * * *';
    // A pipeline created at 10:00:30 does not get the 10:00:00 run, though it is within the catch-up window.
    expect(dueFireTime(everyMinute, 'UTC', at('2026-05-01T10:00:45Z'), 10, at('2026-05-01T10:00:30Z'))).toBeUndefined();
    expect(iso(dueFireTime(everyMinute, 'UTC', at('2026-05-01T10:00:45Z'), 10))).toBe('2026-05-01T10:00:00.000Z');
    // Its first run is the next fire time.
    expect(iso(dueFireTime(everyMinute, 'UTC', at('2026-05-01T10:01:00Z'), 10, at('2026-05-01T10:00:30Z')))).toBe('2026-05-01T10:01:00.000Z');
    expect(iso(dueFireTime(everyMinute, 'UTC', at('2026-05-01T10:01:20Z'), 10, at('2026-05-01T10:00:30Z')))).toBe('2026-05-01T10:01:00.000Z');
    // Created exactly at a fire time: that fire time predates nothing it could have seen, so it is not run.
    expect(dueFireTime(everyMinute, 'UTC', at('2026-05-01T10:00:00Z'), 10, at('2026-05-01T10:00:00Z'))).toBeUndefined();
    // A daily 02:00 schedule changed at 02:05 Berlin time (01:05Z): today's 02:00 is not run, tomorrow's is.
    expect(dueFireTime(daily2am, berlin, at('2026-01-15T01:10:00Z'), 60, at('2026-01-15T01:05:00Z'))).toBeUndefined();
    expect(iso(dueFireTime(daily2am, berlin, at('2026-01-16T01:00:00Z'), 60, at('2026-01-15T01:05:00Z')))).toBe('2026-01-16T01:00:00.000Z');
  });
});
