import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { formatBytes, formatCount, formatDuration } from '../format.js';
import type { EventFeed } from './useRunEvents.js';
import type { RunEvent } from './runTypes.js';

/** Events drawn at first; the earlier ones come on request (a run of thousands of chunks has tens of thousands). */
const lastEvents = 300;

const feedText: Record<EventFeed, string> = { stream: 'live (event stream)', polling: 'live (polling every 1.5 s)', idle: '' };

/** The run's timeline, oldest first, following the newest while the reader is at the bottom. */
export function EventLog({ events, feed, error, onChunk }: { events: RunEvent[]; feed: EventFeed; error?: ApiError; onChunk: (index: number) => void }) {
  const [all, setAll] = useState(false);
  const boxRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const shown = all ? events : events.slice(-lastEvents);

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const onScroll = () => {
      atBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    };
    box.addEventListener('scroll', onScroll, { passive: true });
    return () => box.removeEventListener('scroll', onScroll);
  }, []);

  useLayoutEffect(() => {
    const box = boxRef.current;
    if (box && atBottom.current) box.scrollTop = box.scrollHeight;
  }, [events.length]);

  return (
    <section class="event-log" aria-labelledby="run-events-heading">
      <h2 id="run-events-heading">
        Event log <span class="muted count">{formatCount(events.length)} {events.length === 1 ? 'event' : 'events'}</span>
        {feed !== 'idle' ? <span class="feed" data-feed={feed}>{feedText[feed]}</span> : null}
      </h2>
      <ProblemNotice error={error} />
      {events.length > shown.length ? (
        <button type="button" class="more" onClick={() => setAll(true)}>Show the {formatCount(events.length - shown.length)} earlier events</button>
      ) : null}
      <div class="event-box" ref={boxRef} tabIndex={0} role="region" aria-label="Run events, oldest first">
        {events.length === 0 ? <p class="muted">No events yet.</p> : null}
        <ol id="run-events">
          {shown.map((event) => (
            <li key={event.sequence} class={`event event-${event.type}${isTrouble(event) ? ' trouble' : ''}`} data-type={event.type}>
              <time dateTime={event.at} title={new Date(event.at).toLocaleString()}>{clock(event.at)}</time>
              <span class="event-what">
                {typeof event.chunk === 'number' && event.type.startsWith('chunk') ? (
                  <button type="button" class="link" onClick={() => onChunk(event.chunk as number)} aria-label={`Show chunk ${event.chunk} in the timeline`}>chunk {event.chunk}</button>
                ) : null}{' '}
                {describe(event)}
              </span>
              {typeof event.runAttempt === 'number' && event.runAttempt > 0 ? <span class="muted attempt-tag">run attempt {event.runAttempt}</span> : null}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}

const isTrouble = (event: RunEvent) => (event.type === 'quality' && (Number(event.warned) > 0 || Number(event.failed) > 0)) || event.type === 'planWarning' || (event.type === 'drift' && event.outcome === 'frozen') || event.type === 'notificationFailed' || event.type === 'chunkRetried' || event.type === 'chunkFailed' || (event.type === 'finished' && event.status !== 'succeeded');

/** hh:mm:ss.mmm in the browser's time zone: events come milliseconds apart. */
function clock(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

const text = (value: unknown) => (value === undefined ? undefined : String(value));
const number = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** What happened, in a sentence, from the event's own fields (README: The run timeline). */
function describe(event: RunEvent): string {
  const f = event as Record<string, string | number | boolean | undefined>;
  switch (event.type) {
    case 'queued': return `Queued (${text(f.reason) ?? 'manual'})`;
    case 'started': return 'Started';
    case 'prepared': {
      // A many-table run plans its tables, each of which plans its own chunks in its own run.
      if (f.tableCount !== undefined) return `Listed ${formatCount(number(f.tableCount))} tables to copy, each as a run of its own`;
      const window = f.windowUpTo !== undefined ? `; ${text(f.windowMode) ?? 'incremental'} window ${text(f.windowAfter) ?? 'from the start'} < ${text(f.windowColumn) ?? 'cursor'} ≤ ${text(f.windowUpTo)}` : '';
      // 0 is what a plan without an estimate records (a query split by equal widths).
      const estimate = number(f.rowsEstimate) ? `, about ${formatCount(number(f.rowsEstimate))} rows` : '';
      return `Planned ${formatCount(number(f.chunkCount))} chunks${f.method ? ` (${text(f.method)})` : ''}${estimate}${window}`;
    }
    case 'planWarning': return `Plan warning: ${text(f.message) ?? ''}`;
    // The changes in words; the diff itself is the run page's drift panel.
    case 'drift': return `Schema drift${f.outcome ? ` (${text(f.outcome)})` : ''}${f.message ? `: ${text(f.message)}` : ''}`;
    case 'waitingForSource': return `attempt ${text(f.attempt)} waiting for source: all ${text(f.maxSessions) ?? ''} sessions (source.maxSessions) are in use`;
    case 'chunkStarted': return `attempt ${text(f.attempt)} started`;
    case 'chunkRetried': return `attempt ${text(f.attempt)} failed and will be tried again: ${text(f.error) ?? ''}`;
    case 'chunkDone': {
      const split = number(f.readMs) !== undefined ? ` (read ${formatDuration(number(f.readMs))}, encode ${formatDuration(number(f.encodeMs))}, upload ${formatDuration(number(f.uploadMs))})` : '';
      return `done: ${formatCount(number(f.rows))} rows, ${formatBytes(number(f.bytes))}, ${formatCount(number(f.files))} files in ${formatDuration(number(f.durationInMs))}${split}`;
    }
    case 'chunkFailed': return `attempt ${text(f.attempt)} failed for good: ${text(f.error) ?? ''}`;
    case 'chunkStopped': return `attempt ${text(f.attempt)} stopped: the run is ${text(f.status) ?? 'over'}`;
    case 'deltaCommitted': return `Committed Delta version ${text(f.version)}: ${formatCount(number(f.added))} files added, ${formatCount(number(f.removed))} removed${number(f.rewritten) ? `, ${formatCount(number(f.rewritten))} rewritten by the merge` : ''}`;
    case 'deltaVacuumed': return f.error ? `Vacuum failed: ${text(f.error)}` : `Vacuumed ${formatCount(number(f.deleted))} files no version within the retention reads`;
    case 'notificationFailed': return `Notification ${f.event ? `of ${text(f.event)} ` : ''}${f.target ? `to ${text(f.target)} ` : ''}failed${f.attempts ? ` after ${text(f.attempts)} tries` : ''}: ${text(f.error) ?? ''}`;
    case 'quality': return `Quality checks: ${formatCount(number(f.passed))} passed, ${formatCount(number(f.warned))} warned, ${formatCount(number(f.failed))} failed${number(f.warned) || number(f.failed) ? `: ${text(f.message) ?? ''}` : ''}`;
    case 'cancelled': return `Cancelled${f.reason ? `: ${text(f.reason)}` : ''}`;
    case 'finished': return `Finished ${text(f.status)?.replace(/_/g, ' ') ?? ''}: ${formatCount(number(f.rows))} rows, ${formatBytes(number(f.bytes))}${f.error ? `. ${text(f.error)}` : ''}${f.reason ? ` (${text(f.reason)})` : ''}`;
    default: {
      const { sequence: _s, at: _a, type, runAttempt: _r, ...rest } = f;
      const details = Object.entries(rest).filter(([, value]) => value !== undefined).map(([name, value]) => `${name} ${String(value)}`).join(', ');
      return `${String(type)}${details ? `: ${details}` : ''}`;
    }
  }
}
