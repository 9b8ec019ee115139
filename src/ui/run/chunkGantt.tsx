import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatBytes, formatCount, formatDuration } from '../format.js';
import { rangeText } from './cursorText.js';
import { chunkSentence, timingsText } from './chunkText.js';
import { attemptBars, ganttWindow, offsetLabel, queueSpan, timeSplit, timeTicks, type AttemptBar } from './ganttModel.js';
import type { ChunkDetail, RunDetail } from './runTypes.js';

/** Lane geometry in px. */
const laneHeight = 24;
const barHeight = 14;
const barTop = (laneHeight - barHeight) / 2;
/** The split strip along the bottom of a finished bar. */
const splitHeight = 5;
const axisHeight = 24;
/** Lanes drawn above and below the visible ones, so a quick scroll shows no gap. */
const overscan = 10;

export type GanttProps = {
  run: RunDetail;
  chunks: ChunkDetail[];
  now: number;
  live: boolean;
  /** The chunk index whose lane has the keyboard's place (and whose details show), if any. */
  active: number | undefined;
  onActivate: (index: number) => void;
  /** Changes when something outside (the error's "chunk N" link) asks to bring the active lane into view and focus it. */
  focusRequest: number;
  /** The chunk under the pointer, for the details beside the chart. */
  onHover: (index: number | undefined) => void;
};

/**
 * The chunk timeline: one lane per chunk (index and range), a bar per attempt from its start to
 * its end (or now while it runs), coloured by outcome; a finished bar carries its read / encode /
 * upload split along its bottom, and a dashed line before a lane's first bar is the time the chunk
 * queued. SVG, coloured by CSS classes whose colours are the theme's variables (dark mode).
 *
 * Thousands of chunks: the lanes sit in a scrollable box and only those in view (and `overscan`
 * around them, and the active one) are drawn; the SVG keeps the full height so the scroll bar is
 * true. Keyboard: the lanes are one list with a single Tab stop; arrows, Page Up/Down, Home and End
 * move between lanes, each lane's label says everything it shows.
 */
export function ChunkGantt({ run, chunks, now, live, active, onActivate, focusRequest, onHover }: GanttProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const lanesRef = useRef<SVGSVGElement>(null);
  const [width, setWidth] = useState(800);
  const [view, setView] = useState({ top: 0, height: 480 });
  /** The chunk index the keys just moved to, to be focused once its lane is drawn. */
  const focusPending = useRef<number | undefined>(undefined);

  useEffect(() => {
    const element = wrapRef.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    let frame = 0;
    const onScroll = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setView({ top: element.scrollTop, height: element.clientHeight }));
    };
    onScroll();
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      element.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, []);

  const positionOf = useMemo(() => new Map(chunks.map((chunk, position) => [chunk.index, position])), [chunks]);
  const activePosition = active === undefined ? undefined : positionOf.get(active);

  // Bring the active lane into view and give it the focus, when asked: by the keys here
  // (focusPending), or from outside (a new focusRequest: the error's "chunk N" link).
  const handledRequest = useRef(focusRequest);
  useEffect(() => {
    const requested = focusRequest !== handledRequest.current;
    handledRequest.current = focusRequest;
    if (activePosition === undefined || (focusPending.current !== active && !requested)) return;
    focusPending.current = undefined;
    const scroller = scrollRef.current;
    if (scroller) {
      const laneTop = activePosition * laneHeight;
      if (laneTop < scroller.scrollTop) scroller.scrollTop = laneTop;
      else if (laneTop + laneHeight > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = laneTop + laneHeight - scroller.clientHeight;
    }
    lanesRef.current?.querySelector<SVGGElement>(`[data-chunk="${active}"]`)?.focus();
  }, [activePosition, active, focusRequest]);

  const narrow = width < 560;
  const labelWidth = narrow ? 92 : 180;
  const chartWidth = Math.max(60, width - labelWidth - 8);
  const { start, end } = ganttWindow(chunks, run, now, live);
  const x = (time: number) => labelWidth + ((time - start) / (end - start)) * chartWidth;
  const ticks = timeTicks(end - start, chartWidth, narrow ? 70 : 90);
  const runEnd = live ? undefined : run.endedAt ? Date.parse(run.endedAt) : now;
  const totalHeight = Math.max(laneHeight, chunks.length * laneHeight);

  const first = Math.max(0, Math.floor(view.top / laneHeight) - overscan);
  const last = Math.min(chunks.length - 1, Math.ceil((view.top + view.height) / laneHeight) + overscan);
  const positions: number[] = [];
  for (let position = first; position <= last; position++) positions.push(position);
  if (activePosition !== undefined && (activePosition < first || activePosition > last)) positions.push(activePosition);
  // The one Tab stop: the active lane, else the first one drawn.
  const tabStop = activePosition ?? first;

  const move = (event: KeyboardEvent) => {
    if (chunks.length === 0) return;
    const from = activePosition ?? first;
    const page = Math.max(1, Math.floor(view.height / laneHeight) - 1);
    const to = { ArrowDown: from + 1, ArrowUp: from - 1, PageDown: from + page, PageUp: from - page, Home: 0, End: chunks.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const target = chunks[Math.max(0, Math.min(chunks.length - 1, to))]!.index;
    focusPending.current = target;
    onActivate(target);
  };

  return (
    <div class="gantt" ref={wrapRef}>
      <svg class="gantt-axis" width={width} height={axisHeight} aria-hidden="true">
        <text class="axis-caption" x="4" y="16">{narrow ? 'chunk' : 'chunk · range'}</text>
        {ticks.offsets.map((offset) => (
          <g class="tick" key={offset}>
            <line x1={x(start + offset)} x2={x(start + offset)} y1={axisHeight - 6} y2={axisHeight} />
            {/* A label that would run off the right edge is left out; its grid line stays. */}
            {x(start + offset) + 44 <= width ? <text x={x(start + offset) + 3} y="14">{offsetLabel(offset, ticks.step)}</text> : null}
          </g>
        ))}
      </svg>
      <div class="gantt-scroll" ref={scrollRef}>
        <svg
          ref={lanesRef}
          class="gantt-lanes"
          width={width}
          height={totalHeight}
          role="list"
          aria-label={`Chunk timeline, ${chunks.length} ${chunks.length === 1 ? 'chunk' : 'chunks'}; arrow keys move between chunks`}
          onKeyDown={move}
        >
          <defs>
            <clipPath id="gantt-label-clip"><rect x="0" y="0" width={labelWidth - 6} height={laneHeight} /></clipPath>
          </defs>
          {ticks.offsets.map((offset) => (
            <line class="grid" key={offset} x1={x(start + offset)} x2={x(start + offset)} y1="0" y2={totalHeight} aria-hidden="true" />
          ))}
          {positions.map((position) => {
            const chunk = chunks[position]!;
            return (
              <Lane
                key={chunk.index}
                chunk={chunk}
                position={position}
                count={chunks.length}
                width={width}
                labelWidth={labelWidth}
                narrow={narrow}
                x={x}
                bars={attemptBars(chunk, runEnd, now)}
                active={chunk.index === active}
                tabStop={position === tabStop}
                failedHere={run.errorChunk === chunk.index}
                label={chunkSentence(chunk, run.keyKind, run.errorChunk)}
                rangeLabel={rangeText(chunk.range, run.keyKind)}
                onActivate={onActivate}
                onHover={onHover}
              />
            );
          })}
          {live ? <line class="now-line" x1={x(now)} x2={x(now)} y1="0" y2={totalHeight} aria-hidden="true" /> : null}
        </svg>
      </div>
      <GanttLegend />
    </div>
  );
}

type LaneProps = {
  chunk: ChunkDetail;
  position: number;
  count: number;
  width: number;
  labelWidth: number;
  narrow: boolean;
  x: (time: number) => number;
  bars: AttemptBar[];
  active: boolean;
  tabStop: boolean;
  failedHere: boolean;
  label: string;
  rangeLabel: string;
  onActivate: (index: number) => void;
  onHover: (index: number | undefined) => void;
};

function Lane({ chunk, position, count, width, labelWidth, narrow, x, bars, active, tabStop, failedHere, label, rangeLabel, onActivate, onHover }: LaneProps) {
  const queue = queueSpan(chunk);
  const middle = laneHeight / 2;
  return (
    <g
      class={`lane${active ? ' active' : ''}${failedHere ? ' failed-here' : ''}`}
      transform={`translate(0 ${position * laneHeight})`}
      role="listitem"
      tabindex={tabStop ? 0 : -1}
      aria-label={label}
      aria-posinset={position + 1}
      aria-setsize={count}
      aria-current={active ? 'true' : undefined}
      data-chunk={chunk.index}
      data-status={chunk.status}
      onFocus={() => !active && onActivate(chunk.index)}
      onClick={() => onActivate(chunk.index)}
      onMouseEnter={() => onHover(chunk.index)}
      onMouseLeave={() => onHover(undefined)}
    >
      <rect class="lane-bg" x="0" y="0" width={width} height={laneHeight} />
      <text class="lane-index" x="4" y={middle + 4}>#{chunk.index}</text>
      {narrow ? null : <text class="lane-range" x="46" y={middle + 4} clip-path="url(#gantt-label-clip)">{rangeLabel}</text>}
      {queue ? <line class="queue-line" x1={x(queue.from)} x2={x(queue.to)} y1={middle} y2={middle} /> : null}
      {bars.map((bar) => (
        <Bar key={bar.attempt} chunk={chunk} bar={bar} x={x} minX={labelWidth} />
      ))}
    </g>
  );
}

function Bar({ chunk, bar, x, minX }: { chunk: ChunkDetail; bar: AttemptBar; x: (time: number) => number; minX: number }) {
  const left = Math.max(minX, x(bar.from));
  const width = Math.max(2, x(bar.to) - left);
  const duration = bar.to - bar.from;
  const title = [
    `Chunk ${chunk.index}, attempt ${bar.attempt}: ${bar.outcome === 'failed' ? 'failed' : bar.outcome}, ${formatDuration(duration)}`,
    ...(bar.outcome === 'done' ? [`${formatCount(chunk.rows)} rows, ${formatBytes(chunk.bytes)}, ${formatCount(chunk.files)} files`, timingsText(chunk)] : []),
    ...(bar.error ? [bar.error.slice(0, 300)] : []),
  ].filter(Boolean).join('\n');
  let offset = left;
  return (
    <g class={`bar-group bar-${bar.outcome}`} data-attempt={bar.attempt}>
      <rect class={`bar bar-${bar.outcome}`} x={left} y={barTop} width={width} height={barHeight} rx="2">
        <title>{title}</title>
      </rect>
      {bar.outcome === 'done'
        ? timeSplit(chunk, duration).map(({ part, fraction }) => {
            const partWidth = fraction * width;
            const rect = partWidth >= 0.5 ? <rect class={`split split-${part}`} key={part} x={offset} y={barTop + barHeight - splitHeight} width={partWidth} height={splitHeight} aria-hidden="true" /> : null;
            offset += partWidth;
            return rect;
          })
        : null}
    </g>
  );
}

function GanttLegend() {
  const entries = [
    ['bar-done', 'done'],
    ['bar-running', 'running'],
    ['bar-failed', 'failed attempt'],
    ['bar-stopped', 'stopped'],
    ['queue', 'queued'],
    ['split-read', 'read'],
    ['split-encode', 'encode'],
    ['split-upload', 'upload'],
  ] as const;
  return (
    <ul class="legend gantt-legend" aria-label="Timeline legend">
      {entries.map(([kind, text]) => (
        <li key={kind}><span class={`swatch ${kind}`} aria-hidden="true" />{text}</li>
      ))}
      <li class="muted">the strip along a finished bar: its read / encode / upload share</li>
    </ul>
  );
}
