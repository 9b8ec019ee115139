import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, asApiError } from '../api.js';
import { pollIntervalInMs } from '../live.js';
import type { RunEvent, RunEventPage } from './runTypes.js';

/** How the log is kept up to date: the server's event stream, polling, or not at all (the run has ended). */
export type EventFeed = 'stream' | 'polling' | 'idle';

export type RunEvents = { events: RunEvent[]; feed: EventFeed; error?: ApiError };

/**
 * Sequences are the writers' clocks (ms × 1,000 plus a hash), and several processes write: a poll
 * asks from this far before the last event it has, and drops what it has seen (README: The run timeline).
 */
const clockSkewInMs = 5_000;
/** Polls after a run ended, waiting for its `finished` event (written just after the record). */
const pollsAfterEnd = 5;

/** Set once the server answered that it has no event stream (404/405): this page then polls without asking again. */
let streamMissing = false;

/**
 * A run's timeline, live. While the run is live: Server-Sent Events from `<eventsPath>/stream`
 * (EventSource resumes after a drop with Last-Event-ID by itself); when the browser gives up on it
 * (an answer that is not a stream, such as 404 or 405) or it fails twice in a row without getting
 * through, polling `<eventsPath>?after=` every 1.5 s takes over. Once the run has ended: polls
 * until its `finished` event is in, then stops. `live` undefined (the run not read yet) waits.
 * Events are kept by sequence, so a replayed stream or an overlapping poll adds nothing twice.
 */
export function useRunEvents(eventsPath: string, live: boolean | undefined, attempt: number): RunEvents {
  const sorted = useRef<RunEvent[]>([]);
  const seen = useRef(new Set<number>());
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [feed, setFeed] = useState<EventFeed>('idle');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const attemptRef = useRef(attempt);
  attemptRef.current = attempt;
  const flush = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    sorted.current = [];
    seen.current = new Set();
    setEvents([]);
  }, [eventsPath]);

  /** Adds new events in order; renders at most every 150 ms however fast a stream delivers. */
  const add = useCallback((incoming: RunEvent[]) => {
    let changed = false;
    for (const event of incoming) {
      if (typeof event.sequence !== 'number' || seen.current.has(event.sequence)) continue;
      seen.current.add(event.sequence);
      const list = sorted.current;
      if (list.length === 0 || list[list.length - 1]!.sequence < event.sequence) list.push(event);
      else list.splice(list.findIndex((other) => other.sequence > event.sequence), 0, event);
      changed = true;
    }
    if (changed && flush.current === undefined) {
      flush.current = setTimeout(() => {
        flush.current = undefined;
        setEvents(sorted.current.slice());
      }, 150);
    }
  }, []);

  useEffect(() => () => clearTimeout(flush.current), []);

  useEffect(() => {
    if (live === undefined) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let source: EventSource | undefined;
    const controller = new AbortController();

    const pollOnce = async () => {
      const last = sorted.current.at(-1)?.sequence;
      const from = last === undefined ? '' : `&after=${Math.max(0, last - clockSkewInMs * 1_000)}`;
      let token: string | undefined;
      do {
        const page = await getJson<RunEventPage>(`${eventsPath}?limit=1000${token ? `&continuationToken=${encodeURIComponent(token)}` : from}`, controller.signal);
        add(page.events);
        token = page.continuationToken;
      } while (token && !stopped);
    };
    const finished = () => sorted.current.some((event) => event.type === 'finished' && event.runAttempt === attemptRef.current);
    const poll = async (triesLeft: number): Promise<void> => {
      try {
        await pollOnce();
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        setError(asApiError(err));
      }
      if (stopped) return;
      if (live) timer = setTimeout(() => void poll(triesLeft), pollIntervalInMs);
      else if (!finished() && triesLeft > 0) timer = setTimeout(() => void poll(triesLeft - 1), pollIntervalInMs);
      else setFeed('idle');
    };
    const startPolling = () => {
      setFeed(live ? 'polling' : 'idle');
      void poll(pollsAfterEnd);
    };

    if (live && typeof EventSource !== 'undefined' && !streamMissing) {
      const stream = new EventSource(`/api/${eventsPath}/stream`);
      source = stream;
      let failures = 0;
      let opened = false;
      setFeed('stream');
      stream.addEventListener('open', () => {
        failures = 0;
        opened = true;
      });
      stream.addEventListener('runEvent', (message) => {
        try {
          add([JSON.parse((message as MessageEvent<string>).data) as RunEvent]);
        } catch {
          // Not an event this view reads; the next poll or event carries on.
        }
      });
      stream.addEventListener('end', () => {
        stream.close();
        setFeed('idle');
      });
      stream.addEventListener('error', () => {
        // CLOSED: the browser will not retry (the answer was not an event stream: 404, 405).
        // CONNECTING: it retries by itself; a second failure without getting through ends that.
        const gaveUp = stream.readyState === EventSource.CLOSED;
        failures += 1;
        if (!gaveUp && failures < 2) return;
        if (gaveUp && !opened) streamMissing = true;
        stream.close();
        source = undefined;
        if (!stopped) startPolling();
      });
    } else {
      startPolling();
    }
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
      source?.close();
    };
  }, [eventsPath, live, add]);

  return { events, feed, error };
}
