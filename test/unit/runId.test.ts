import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newRunId, runIdTime, scheduledRunId } from '../../src/jobs/runId.js';
import { runIdSchema } from '../../src/spec/jobMessage.js';

const format = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

describe('newRunId', () => {
  it('matches the run id format and starts with the UTC time, milliseconds dropped', () => {
    const id = newRunId(new Date('2026-11-21T16:30:00.789Z'));
    expect(id).toMatch(format);
    expect(id.startsWith('20261121T163000Z-')).toBe(true);
    expect(runIdSchema.safeParse(id).success).toBe(true);
  });

  it('has a random suffix', () => {
    const now = new Date('2026-11-21T16:30:00Z');
    const ids = new Set(Array.from({ length: 20 }, () => newRunId(now)));
    expect(ids.size).toBe(20);
  });

  it('pads early months, days and hours', () => {
    expect(newRunId(new Date('2026-01-02T03:04:05Z')).slice(0, 16)).toBe('20260102T030405Z');
  });
});

describe('scheduledRunId', () => {
  const fire = new Date('2026-11-21T02:00:00Z');

  it('matches the format', () => {
    const id = scheduledRunId('orders', '0', fire);
    expect(id).toMatch(format);
    expect(id.startsWith('20261121T020000Z-')).toBe(true);
  });

  it('is deterministic for the same pipeline and fire time', () => {
    expect(scheduledRunId('orders', '0', fire)).toBe(scheduledRunId('orders', '0', new Date(fire.getTime())));
  });

  // The legacy generation ('0': pipelines created before generations existed) keeps the ids
  // scheduled runs always had, so a tick right after the deploy names the run recorded before it.
  it('suffixes the first 8 hex digits of sha256("<pipeline>|<ISO fire time>") for the legacy generation', () => {
    const expected = createHash('sha256').update('orders|2026-11-21T02:00:00.000Z').digest('hex').slice(0, 8);
    expect(scheduledRunId('orders', '0', fire)).toBe(`20261121T020000Z-${expected}`);
  });

  it('differs across pipelines and across fire times', () => {
    const a = scheduledRunId('orders', '0', fire);
    expect(scheduledRunId('customers', '0', fire)).not.toBe(a);
    expect(scheduledRunId('orders', '0', new Date('2026-11-22T02:00:00Z'))).not.toBe(a);
  });
});

describe('scheduledRunId across generations', () => {
  const fire = new Date('2026-11-21T02:00:00Z');

  it('names a different run for a pipeline created again under the same id, at the same fire time', () => {
    const first = scheduledRunId('orders', 'a1b2c3d4e5f6', fire);
    const again = scheduledRunId('orders', '0f1e2d3c4b5a', fire);
    expect(again).not.toBe(first);
    expect(first).not.toBe(scheduledRunId('orders', '0', fire));
    expect(first).toBe(scheduledRunId('orders', 'a1b2c3d4e5f6', new Date(fire.getTime())));
    const expected = createHash('sha256').update('orders|a1b2c3d4e5f6|2026-11-21T02:00:00.000Z').digest('hex').slice(0, 8);
    expect(first).toBe(`20261121T020000Z-${expected}`);
  });
});

describe('runIdTime', () => {
  it('reads the time of a run id', () => {
    expect(runIdTime('20261121T163000Z-1a2b3c4d').toISOString()).toBe('2026-11-21T16:30:00.000Z');
    expect(runIdTime('19991231T235959Z-00000000').toISOString()).toBe('1999-12-31T23:59:59.000Z');
  });

  it('inverts newRunId and scheduledRunId for whole-second times', () => {
    const time = new Date('2026-02-28T23:59:59Z');
    expect(runIdTime(newRunId(time)).getTime()).toBe(time.getTime());
    expect(runIdTime(scheduledRunId('p', 'a1b2c3d4e5f6', time)).getTime()).toBe(time.getTime());
  });

  it('truncates to the second', () => {
    expect(runIdTime(newRunId(new Date('2026-02-28T23:59:59.999Z'))).toISOString()).toBe('2026-02-28T23:59:59.000Z');
  });

  it.each(['', 'nope', '2026-11-21T16:30:00Z-1a2b3c4d', '20261121T163000-1a2b3c4d'])('throws on %j', (id) => {
    expect(() => runIdTime(id)).toThrow(/Not a run id/);
  });
});
