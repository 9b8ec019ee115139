import { describe, expect, it } from 'vitest';
import { jobMessageSchema, runOptionsSchema, triggerRunBodySchema } from '../../src/spec/jobMessage.js';

function issues(from: string, to: string): Array<{ path: string; message: string }> {
  const result = triggerRunBodySchema.safeParse({ options: { backfill: { from, to } } });
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('backfill bounds in run options', () => {
  it.each([
    ['100', '200'],
    ['-5', '0'],
    ['0x00000000000007D0', '0x00000000000007D1'],
    ['2024-01-01', '2024-02-29'],
    ['2024-05-01T00:00:00Z', '2024-05-01T00:00:00.000001Z'],
    ['2024-05-01 10:00', '2024-05-01T12:00:00+01:00'],
  ])('accepts from %j to %j', (from, to) => {
    expect(triggerRunBodySchema.parse({ options: { backfill: { from, to } } }).options.backfill).toEqual({ from, to });
  });

  it.each([
    ['last week', 'from'],
    ['2024-13-01', 'from'],
    ['2023-02-29', 'from'],
    ['2024-05-01T24:00:00Z', 'from'],
    ['1e5', 'from'],
  ])('refuses the bound %j that is no cursor value, at options.backfill.from', (from) => {
    expect(issues(from, '2024-06-01')).toEqual([
      { path: 'options.backfill.from', message: `"${from}" is not a cursor value: give a whole number, a date (YYYY-MM-DD) or an ISO 8601 timestamp` },
    ]);
  });

  it('refuses bounds of two kinds at options.backfill.to', () => {
    expect(issues('100', '2024-06-01')).toEqual([
      { path: 'options.backfill.to', message: "is a date (YYYY-MM-DD) but from is a whole number (or a rowversion such as 0x00000000000007D1); give both bounds in the cursor column's kind" },
    ]);
    expect(issues('2024-06-01', '2024-06-02T00:00:00Z')[0]!.path).toBe('options.backfill.to');
  });

  it.each([
    ['200', '100'],
    ['100', '100'],
    ['2024-06-02', '2024-06-01'],
    // The same instant: 12:00 at +02:00 is 10:00 UTC.
    ['2024-05-01T10:00:00Z', '2024-05-01T12:00:00+02:00'],
    ['0x10', '16'],
  ])('refuses from %j not below to %j', (from, to) => {
    expect(issues(from, to)).toEqual([{ path: 'options.backfill.to', message: `must be above from (a backfill reads from < cursor <= to): ${from} .. ${to} is empty` }]);
  });

  it('checks the job message on the queue the same way', () => {
    const message = { runId: '20261121T163000Z-1a2b3c4d', pipelineId: 'orders', reason: 'manual', options: { backfill: { from: '9', to: '1' } } };
    expect(jobMessageSchema.safeParse(message).error?.issues.map((i) => i.path.join('.'))).toEqual(['options.backfill.to']);
  });

  // A run record stored before the rule (or by a buggy writer) must still be readable.
  it('reads stored run options as they are', () => {
    expect(runOptionsSchema.parse({ backfill: { from: '9', to: '1' } })).toEqual({ backfill: { from: '9', to: '1' } });
  });
});
