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
});
