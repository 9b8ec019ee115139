import { RunEventType, type StoredRunEvent } from '../store/runEventStore.js';
import { terminalRunStatuses, type RunStatus } from '../spec/runStatus.js';
import { errorMessage } from '../errors/errorTypes.js';
import { encodePosition, markSent, wasSent, type StreamPosition } from './eventStreamPosition.js';
import { formatComment, formatEvent, formatRetry } from './serverSentEvents.js';

/** What the stream needs to know of its run at each poll. */
export type StreamedRun = { status: RunStatus; attempt: number; endedAt?: string };

export type RunEventStreamSource = {
  /** The run as it is now; undefined once it is gone (its history purged). */
  readRun: () => Promise<StreamedRun | undefined>;
  /** One page of the run's events after a sequence (from the start without one), in order; `more` when the page was full. */
  readEvents: (after: number | undefined) => Promise<{ events: StoredRunEvent[]; more: boolean }>;
  log: (message: string) => void;
};

export type RunEventStreamOptions = {
  pollIntervalInMs: number;
  /** A comment after this long without a write, so proxies and load balancers keep the connection. */
  keepAliveInMs: number;
  /** The stream closes after this long (a held Functions instance slot); EventSource reconnects. */
  maxDurationInMs: number;
  /** What the stream tells EventSource to wait before reconnecting. */
  retryInMs: number;
  /**
   * A run's last events are written after its record ends (`finished` after the status, chunks that
   * notice a cancel after it): the stream ends only with a full read this long after the run's end.
   */
  settleInMs: number;
  /** A run that ended this long ago ends the stream even without its `finished` event (a skipped run has none). */
  endGraceInMs: number;
};

export const defaultRunEventStreamOptions: RunEventStreamOptions = {
  pollIntervalInMs: 1_000,
  keepAliveInMs: 15_000,
  maxDurationInMs: 3 * 60_000,
  retryInMs: 2_000,
  settleInMs: 2_000,
  endGraceInMs: 15_000,
};

/**
 * A run's timeline as Server-Sent Events: `retry:` first, then each event once as `runEvent` with
 * the stream position as its id (see eventStreamPosition), then `end` with the run's status once
 * the run is terminal and its events are out. It polls storage about every pollIntervalInMs, and
 * only while someone reads: the stream pulls (high-water mark 0), so a client that stops reading
 * stops the polling, and a cancelled stream (the client went away) clears its timer and never
 * reads again. A storage error closes the stream (logged); EventSource reconnects where it was.
 */
export function runEventStream(source: RunEventStreamSource, from: StreamPosition, options: RunEventStreamOptions = defaultRunEventStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const startedAt = Date.now();
  const closesAt = startedAt + options.maxDurationInMs;
  let position = from;
  let nextPollAt = startedAt;
  let lastWriteAt = startedAt;
  /** A pass reads every page from the floor; its run is read before its first page. */
  let pass: { run: StreamedRun; startedAt: number; after: number | undefined } | undefined;
  /** Run attempts whose `finished` event was sent. */
  const finished = new Set<number>();

  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (cancelled || ms <= 0) return resolve();
      wake = resolve;
      timer = setTimeout(() => {
        timer = undefined;
        wake = undefined;
        resolve();
      }, ms);
    });

  /** One page of events: the messages to send, and whether the run's stream is complete (or the run gone). */
  async function poll(): Promise<{ text: string; end: boolean }> {
    if (!pass) {
      const run = await source.readRun();
      if (!run) return { text: '', end: true };
      pass = { run, startedAt: Date.now(), after: position.floor > 0 ? position.floor : undefined };
    }
    const page = await source.readEvents(pass.after);
    let text = '';
    for (const event of page.events) {
      if (wasSent(position, event.sequence)) continue;
      position = markSent(position, event.sequence);
      if (event.type === RunEventType.finished) finished.add(typeof event.runAttempt === 'number' ? event.runAttempt : 0);
      text += formatEvent({ id: encodePosition(position), event: 'runEvent', data: event });
    }
    if (page.more && page.events.length > 0) {
      pass.after = page.events[page.events.length - 1]!.sequence;
      nextPollAt = Date.now();
      return { text, end: false };
    }
    const { run, startedAt: passStartedAt } = pass;
    pass = undefined;
    nextPollAt = passStartedAt + options.pollIntervalInMs;
    if (!runComplete(run, passStartedAt)) return { text, end: false };
    return { text: text + formatEvent({ event: 'end', data: { status: run.status } }), end: true };
  }

  /** Whether a full read that began at `readAt` (after the run was read as `run`) was the run's last. */
  function runComplete(run: StreamedRun, readAt: number): boolean {
    if (!terminalRunStatuses.has(run.status)) return false;
    const endedAt = run.endedAt === undefined ? Number.NaN : Date.parse(run.endedAt);
    const end = Number.isNaN(endedAt) ? startedAt : endedAt;
    return (finished.has(run.attempt) && readAt >= end + options.settleInMs) || readAt >= end + options.endGraceInMs;
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(formatRetry(options.retryInMs)));
      },
      async pull(controller) {
        try {
          for (;;) {
            await sleep(Math.min(nextPollAt, closesAt) - Date.now());
            if (cancelled) return;
            if (Date.now() >= closesAt) return controller.close();
            const { text, end } = await poll();
            if (cancelled) return;
            const now = Date.now();
            const message = text || (now - lastWriteAt >= options.keepAliveInMs ? formatComment('keep-alive') : '');
            if (message) {
              lastWriteAt = now;
              controller.enqueue(encoder.encode(message));
            }
            if (end) return controller.close();
            if (message) return;
          }
        } catch (err) {
          if (cancelled) return;
          source.log(`Run event stream: reading the run or its events failed, closing the stream (the client reconnects): ${errorMessage(err)}`);
          controller.close();
        }
      },
      cancel() {
        cancelled = true;
        clearTimeout(timer);
        wake?.();
      },
    },
    { highWaterMark: 0 },
  );
}
