import { describe, expect, it } from 'vitest';
import { attemptBars, ganttWindow, offsetLabel, timeSplit, timeTicks } from '../../src/ui/run/ganttModel.js';
import { withTimelineHistory } from '../../src/ui/run/timelineChunks.js';
import { cursorText, rangeText } from '../../src/ui/run/cursorText.js';
import type { ChunkDetail, RunDetail, RunEvent } from '../../src/ui/run/runTypes.js';

/** The run view's pure parts: what the Gantt draws from chunk records, and how lanes come back from the timeline. */
const t = (seconds: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + seconds * 1_000).toISOString();

const chunk = (overrides: Partial<ChunkDetail>): ChunkDetail => ({ index: 0, status: 'planned', attempts: [], rows: 0, bytes: 0, files: 0, ...overrides });

describe('attempt bars', () => {
  it('colour each attempt by how it ended: a failed try, the done one, one still running up to now', () => {
    const retried = chunk({
      status: 'done',
      attempts: [{ attempt: 1, startedAt: t(0), endedAt: t(2), error: 'connection reset' }, { attempt: 2, startedAt: t(7), endedAt: t(9) }],
    });
    expect(attemptBars(retried, undefined, Date.parse(t(20)))).toEqual([
      { attempt: 1, from: Date.parse(t(0)), to: Date.parse(t(2)), outcome: 'failed', error: 'connection reset' },
      { attempt: 2, from: Date.parse(t(7)), to: Date.parse(t(9)), outcome: 'done' },
    ]);
    const running = chunk({ status: 'running', attempts: [{ attempt: 1, startedAt: t(3) }] });
    expect(attemptBars(running, undefined, Date.parse(t(5)))).toMatchObject([{ outcome: 'running', to: Date.parse(t(5)) }]);
    // The run ended (cancelled) while it copied: the bar stops at the run's end, not at now.
    expect(attemptBars(running, Date.parse(t(4)), Date.parse(t(60)))).toMatchObject([{ outcome: 'stopped', to: Date.parse(t(4)) }]);
  });

  it('span a window from the first queued chunk to now while the run goes, and to its end after', () => {
    const chunks = [chunk({ status: 'done', attempts: [{ attempt: 1, startedAt: t(2), endedAt: t(4) }], timings: { queueMs: 1_500, readMs: 1_000, encodeMs: 200, uploadMs: 300 }, startedAt: t(2) })];
    const run = { requestedAt: t(0), startedAt: t(0.5), endedAt: t(6) } as RunDetail;
    expect(ganttWindow(chunks, run, Date.parse(t(30)), true)).toEqual({ start: Date.parse(t(0.5)), end: Date.parse(t(30)) });
    expect(ganttWindow(chunks, run, Date.parse(t(30)), false)).toEqual({ start: Date.parse(t(0.5)), end: Date.parse(t(6)) });
    // The split strip: shares of the finished attempt's 2 s.
    expect(timeSplit(chunks[0]!, 2_000)).toEqual([{ part: 'read', fraction: 0.5 }, { part: 'encode', fraction: 0.1 }, { part: 'upload', fraction: 0.15 }]);
  });

  it('tick at round steps that fit the width, labelled by time since the start', () => {
    expect(timeTicks(10_000, 800, 90)).toEqual({ step: 2_000, offsets: [0, 2_000, 4_000, 6_000, 8_000, 10_000] });
    expect(timeTicks(3_600_000, 400, 90).step).toBe(900_000);
    expect([offsetLabel(1_500, 500), offsetLabel(45_000, 15_000), offsetLabel(90_000, 30_000), offsetLabel(7_200_000, 3_600_000)]).toEqual(['1.5 s', '45 s', '1 m 30 s', '2 h']);
  });
});

describe('lanes from the timeline', () => {
  it('give a chunk record set back to planned by the run\'s ending its attempts again, from the current run attempt\'s events only', () => {
    const events: RunEvent[] = [
      { sequence: 1, at: t(1), type: 'chunkStarted', runAttempt: 0, chunk: 0, attempt: 1 },
      { sequence: 2, at: t(2), type: 'chunkRetried', runAttempt: 0, chunk: 0, attempt: 1, error: 'reset' },
      { sequence: 3, at: t(5), type: 'chunkStarted', runAttempt: 0, chunk: 0, attempt: 2 },
      { sequence: 4, at: t(6), type: 'chunkDone', runAttempt: 0, chunk: 0, attempt: 2, rows: 10, bytes: 400, files: 1, durationInMs: 1_000, queueMs: 1_000, readMs: 600, encodeMs: 100, uploadMs: 100 },
      { sequence: 5, at: t(3), type: 'chunkFailed', runAttempt: 0, chunk: 1, attempt: 1, error: 'infinity' },
      { sequence: 6, at: t(9), type: 'chunkStarted', runAttempt: 1, chunk: 2, attempt: 1 },
    ];
    const records = [chunk({ index: 0 }), chunk({ index: 1 }), chunk({ index: 2 }), chunk({ index: 3, status: 'done', attempts: [{ attempt: 1, startedAt: t(1), endedAt: t(2) }] })];
    const [first, second, third, fourth] = withTimelineHistory(records, events, 0);
    expect(first).toMatchObject({ status: 'done', rows: 10, bytes: 400, files: 1, fromTimeline: true, timings: { readMs: 600 }, attempts: [{ attempt: 1, startedAt: t(1), endedAt: t(2), error: 'reset' }, { attempt: 2, startedAt: t(5), endedAt: t(6) }] });
    // A failure whose start was not seen: the bar starts at its ending.
    expect(second).toMatchObject({ status: 'failed', attempts: [{ attempt: 1, startedAt: t(3), endedAt: t(3), error: 'infinity' }] });
    // An event of another run attempt leaves a record alone, and so does a record with attempts of its own.
    expect(third).toBe(records[2]);
    expect(fourth).toBe(records[3]);
  });
});

describe('key values for people', () => {
  it('read a range in the key\'s own kind', () => {
    expect(cursorText('date', '19723')).toBe('2024-01-01');
    expect(cursorText('timestamptz', '1704067200000000')).toBe('2024-01-01T00:00Z');
    expect(cursorText('timestamp', '1704067200123456')).toBe('2024-01-01T00:00:00.123456');
    expect(cursorText('rowversion', '2001')).toBe('0x00000000000007D1');
    expect(rangeText({ kind: 'range', lower: '1', upper: '100', upperInclusive: true }, 'integer')).toBe('1 – 100 (incl.)');
    expect(rangeText({ kind: 'nullKey' }, 'integer')).toBe('key is NULL');
  });
});
