import { afterEach, describe, expect, it, vi } from 'vitest';
import { runEventStream, type RunEventStreamOptions, type StreamedRun } from '../../src/api/runEventStream.js';
import { decodePosition, startPosition, type StreamPosition } from '../../src/api/eventStreamPosition.js';
import type { StoredRunEvent } from '../../src/store/runEventStore.js';
import { runEventsOf, sseReader, type SseMessage } from '../support/sseReader.js';

const fast: RunEventStreamOptions = { pollIntervalInMs: 10, keepAliveInMs: 60_000, maxDurationInMs: 5_000, retryInMs: 2_000, settleInMs: 0, endGraceInMs: 60_000 };

const base = 1_765_432_100_000_000;
const event = (sequence: number, type: StoredRunEvent['type'] = 'chunkDone', fields: Record<string, number> = {}): StoredRunEvent => ({ sequence, at: new Date(sequence / 1000).toISOString(), type, runAttempt: 0, ...fields });

/** A run and its timeline in memory, counting reads, as RunEventStore and RunStore would answer. */
function fakeRun(options: { pageSize?: number } = {}) {
  const state = { run: { status: 'running', attempt: 0 } as StreamedRun, events: [] as StoredRunEvent[], runReads: 0, eventReads: 0, failWith: undefined as Error | undefined, logged: [] as string[] };
  const source = {
    readRun: async () => {
      state.runReads++;
      if (state.failWith) throw state.failWith;
      return { ...state.run };
    },
    readEvents: async (after: number | undefined) => {
      state.eventReads++;
      const later = state.events.filter((e) => after === undefined || e.sequence > after).sort((a, b) => a.sequence - b.sequence);
      const size = options.pageSize ?? 500;
      return { events: later.slice(0, size), more: later.length > size };
    },
    log: (message: string) => state.logged.push(message),
  };
  return { state, source };
}

const runEvents = (messages: SseMessage[]) => runEventsOf(messages).map((event) => event.sequence);

afterEach(() => {
  vi.useRealTimers();
});

describe('a run event stream', () => {
  it('tells EventSource when to reconnect, sends each event with its position, and ends once the run ended and its finished event is out', async () => {
    const { state, source } = fakeRun();
    state.events.push(event(base, 'queued'), event(base + 1_000, 'started'));
    const sse = sseReader(runEventStream(source, startPosition, fast));
    await sse.readUntil((m) => runEvents(m).length === 2);
    expect(sse.messages[0]).toEqual({ retry: '2000' });
    // The id is the position after that event: decoded, it has the event as sent.
    const second = sse.messages.find((m) => m.event === 'runEvent' && JSON.parse(m.data!).sequence === base + 1_000)!;
    expect(decodePosition(second.id!)!.recent).toEqual([base, base + 1_000]);

    // The run ends; its finished event (written after the record, stamped with the end) follows.
    state.run = { status: 'succeeded', attempt: 0, endedAt: new Date(Date.now() - 5_000).toISOString() };
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sse.done).toBe(false);
    expect(sse.messages.some((m) => m.event === 'end')).toBe(false);
    state.events.push(event(base + 2_000, 'finished', { runAttempt: 0 }));
    await sse.readUntil(() => false);
    expect(sse.done).toBe(true);
    expect(runEvents(sse.messages)).toEqual([base, base + 1_000, base + 2_000]);
    expect(sse.messages.at(-1)).toEqual({ event: 'end', data: '{"status":"succeeded"}' });
  });

  it('sends an event that shows up late below the newest one sent, once, and never anything twice', async () => {
    const { state, source } = fakeRun();
    state.events.push(event(base), event(base + 3_000_000));
    const sse = sseReader(runEventStream(source, startPosition, { ...fast, keepAliveInMs: 30 }));
    await sse.readUntil((m) => runEvents(m).length === 2);
    // A writer with a clock 2 s behind commits now.
    state.events.push(event(base + 1_000_000));
    await sse.readUntil((m) => runEvents(m).length === 3);
    // Polls go on re-reading the window below the newest (keep-alives make the reader come back).
    const reads = state.eventReads;
    await sse.readUntil((m) => m.filter((message) => message.comment === 'keep-alive').length >= 3);
    expect(state.eventReads).toBeGreaterThan(reads + 2);
    state.events.push(event(base + 4_000_000));
    await sse.readUntil((m) => runEvents(m).length === 4);
    expect(runEvents(sse.messages)).toEqual([base, base + 3_000_000, base + 1_000_000, base + 4_000_000]);
    // The late event's id still covers everything sent: a reconnect there gets none of them again.
    const lateId = sse.messages.find((m) => m.event === 'runEvent' && JSON.parse(m.data!).sequence === base + 1_000_000)!.id!;
    expect(decodePosition(lateId)!.recent).toEqual([base, base + 1_000_000, base + 3_000_000]);
    await sse.reader.cancel();
  });

  it('resumes from a position with only the events after it, including one that came late below it', async () => {
    const { state, source } = fakeRun();
    const sequences = [0, 1, 2, 3, 4, 5].map((i) => base + i * 1_000_000);
    state.events.push(...sequences.filter((_, i) => i !== 1 && i < 4).map((s) => event(s)));
    const first = sseReader(runEventStream(source, startPosition, fast));
    await first.readUntil((m) => runEvents(m).length === 3);
    await first.reader.cancel();
    const resumeAt: StreamPosition = decodePosition(first.messages.filter((m) => m.event === 'runEvent').at(-1)!.id!)!;

    // While the client was away: the late one below what it saw, and newer ones.
    state.events.push(event(sequences[1]!), event(sequences[4]!), event(sequences[5]!), event(base + 6_000_000, 'finished', { runAttempt: 0 }));
    state.run = { status: 'failed', attempt: 0, endedAt: new Date(Date.now() - 60_000).toISOString() };
    const second = sseReader(runEventStream(source, resumeAt, fast));
    await second.readUntil(() => false);
    expect(runEvents(second.messages)).toEqual([sequences[1], sequences[4], sequences[5], base + 6_000_000]);
    expect(second.messages.at(-1)).toEqual({ event: 'end', data: '{"status":"failed"}' });
  });

  it('pages through a long timeline without waiting between pages', async () => {
    const { state, source } = fakeRun({ pageSize: 3 });
    for (let i = 0; i < 10; i++) state.events.push(event(base + i * 1_000));
    state.events.push(event(base + 10_000, 'finished', { runAttempt: 0 }));
    state.run = { status: 'succeeded', attempt: 0, endedAt: new Date(Date.now() - 60_000).toISOString() };
    const sse = sseReader(runEventStream(source, startPosition, { ...fast, pollIntervalInMs: 60_000 }));
    await sse.readUntil(() => false);
    expect(runEvents(sse.messages)).toEqual([...Array.from({ length: 10 }, (_, i) => base + i * 1_000), base + 10_000]);
    expect(sse.messages.at(-1)!.event).toBe('end');
  });

  it('waits for the finished event of the run attempt that ended, and ends without it after the grace', async () => {
    const { state, source } = fakeRun();
    // Attempt 0 finished earlier; attempt 1 (a retry) has just ended and its finished event is not written yet.
    state.events.push(event(base, 'finished', { runAttempt: 0 }));
    state.run = { status: 'failed', attempt: 1, endedAt: new Date().toISOString() };
    const started = Date.now();
    const sse = sseReader(runEventStream(source, startPosition, { ...fast, endGraceInMs: 300 }));
    await sse.readUntil(() => false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(sse.messages.at(-1)).toEqual({ event: 'end', data: '{"status":"failed"}' });
  });

  it('sends a keep-alive comment after a quiet spell', async () => {
    const { source } = fakeRun();
    const sse = sseReader(runEventStream(source, startPosition, { ...fast, keepAliveInMs: 100 }));
    await sse.readUntil((m) => m.some((message) => message.comment === 'keep-alive'));
    await sse.reader.cancel();
  });

  it('closes after its longest time, for the client to reconnect', async () => {
    const { source } = fakeRun();
    const started = Date.now();
    const sse = sseReader(runEventStream(source, startPosition, { ...fast, maxDurationInMs: 200 }));
    await sse.readUntil(() => false);
    expect(sse.done).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(sse.messages.some((m) => m.event === 'end')).toBe(false);
  });

  it('closes (and logs) when storage fails, and when the run is gone', async () => {
    const { state, source } = fakeRun();
    state.failWith = new Error('table service unavailable');
    const sse = sseReader(runEventStream(source, startPosition, fast));
    await sse.readUntil(() => false);
    expect(sse.done).toBe(true);
    expect(state.logged.join()).toContain('table service unavailable');

    const gone = fakeRun();
    const closed = sseReader(runEventStream({ ...gone.source, readRun: async () => undefined }, startPosition, fast));
    await closed.readUntil(() => false);
    expect(closed.done).toBe(true);
  });

  it('stops polling and clears its timer when the client goes away', async () => {
    vi.useFakeTimers();
    const { state, source } = fakeRun();
    const stream = runEventStream(source, startPosition, { ...fast, pollIntervalInMs: 1_000 });
    const reader = stream.getReader();
    await reader.read(); // retry:
    const pending = reader.read();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(state.runReads).toBeGreaterThanOrEqual(3);
    await reader.cancel();
    expect(await pending).toEqual({ done: true, value: undefined });
    const reads = state.runReads + state.eventReads;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.runReads + state.eventReads).toBe(reads);
  });

  it('polls only while someone reads', async () => {
    vi.useFakeTimers();
    const { state, source } = fakeRun();
    const reader = runEventStream(source, startPosition, { ...fast, pollIntervalInMs: 1_000 }).getReader();
    await vi.advanceTimersByTimeAsync(10_000);
    // Nobody asked past the first chunk: nothing was read from storage.
    expect(state.runReads).toBe(0);
    await reader.read();
    expect(state.runReads).toBe(0);
    await reader.cancel();
  });
});
