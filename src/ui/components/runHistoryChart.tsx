import uPlot from 'uplot';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatCount, formatDuration } from '../format.js';
import type { RunSummary } from './apiShapes.js';
import { rowsPerSecond, runDurationMs } from './runMetrics.js';

/** One run as the charts draw it: when it started (seconds, uPlot's time unit) and its three figures. */
type Point = { at: number; rows: number; seconds: number | null; rate: number | null };

type Metric = { key: 'rows' | 'seconds' | 'rate'; title: string; colourVariable: string; format: (value: number) => string };

const metrics: Metric[] = [
  { key: 'rows', title: 'Rows', colourVariable: '--accent', format: (value) => formatCount(value) },
  { key: 'seconds', title: 'Duration', colourVariable: '--warn', format: (value) => formatDuration(value * 1_000) },
  { key: 'rate', title: 'Rows per second', colourVariable: '--ok', format: (value) => formatCount(value) },
];

const chartHeightInPx = 150;

/**
 * Rows, duration and throughput of the finished runs given, as three small uPlot charts side by
 * side (stacked on a phone) whose cursors move together. Colours come from the stylesheet's
 * variables and are read again when the colour scheme changes, so dark mode draws in its own.
 * The table of runs beside it carries the same numbers as text.
 */
export function RunHistoryChart({ runs, syncKey }: { runs: RunSummary[]; syncKey: string }) {
  const points = chartPoints(runs);
  const scheme = useColourScheme();
  if (points.length === 0) return <p class="muted">No finished runs to chart yet.</p>;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  return (
    <figure class="run-chart" data-points={points.length}>
      <figcaption class="muted small">
        {points.length} finished run{points.length === 1 ? '' : 's'}, {new Date(first.at * 1_000).toLocaleString()} to {new Date(last.at * 1_000).toLocaleString()}; the table below has the same figures.
      </figcaption>
      <div class="charts">
        {metrics.map((metric) => <MetricChart key={`${metric.key}-${scheme}`} metric={metric} points={points} syncKey={syncKey} />)}
      </div>
    </figure>
  );
}

function MetricChart({ metric, points, syncKey }: { metric: Metric; points: Point[]; syncKey: string }) {
  const container = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLSpanElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const data: uPlot.AlignedData = [points.map((point) => point.at), points.map((point) => point[metric.key])];
  const dataKey = JSON.stringify(data);
  // The hovered run's figure and time, or the latest run's: written straight into the title's
  // readout as the cursor moves, without rendering the view again.
  const latest = useRef(points);
  latest.current = points;
  const showReadout = (index: number | null | undefined) => {
    const shown = latest.current;
    const point = index === null || index === undefined ? shown[shown.length - 1] : shown[index];
    if (!readout.current) return;
    const value = point?.[metric.key];
    readout.current.textContent = point && value !== null && value !== undefined ? (index === null || index === undefined ? `latest ${metric.format(value)}` : `${metric.format(value)} · ${new Date(point.at * 1_000).toLocaleString()}`) : '';
  };

  // Built once per mount (the key changes with the colour scheme, which mounts a new one).
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const colours = readColours(metric.colourVariable);
    chart.current = new uPlot(chartOptions(metric, colours, element.clientWidth, syncKey, showReadout), data, element);
    const resize = new ResizeObserver(() => chart.current?.setSize({ width: element.clientWidth, height: chartHeightInPx }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.current?.destroy();
      chart.current = undefined;
    };
  }, []);

  // New runs move the points, not the chart.
  useEffect(() => {
    chart.current?.setData(data);
    showReadout(chart.current?.cursor.idx);
  }, [dataKey]);

  return (
    <div class="metric-chart">
      <h3>{metric.title} <span ref={readout} class="readout" aria-hidden="true" /></h3>
      <div ref={container} class="chart-canvas" data-metric={metric.key} />
    </div>
  );
}

/**
 * The time axis: the runs' span with a little room either side so the first and last points are
 * not cut in half, and an hour either side of a single run (uPlot alone would span a day in
 * milliseconds there, which in seconds is nearly three years).
 */
function timeRange(u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  const times = u.data[0];
  const first = times[0];
  const last = times[times.length - 1];
  if (first === undefined || last === undefined) return [min, max];
  if (first === last) return [first - 3_600, first + 3_600];
  const room = (last - first) * 0.04;
  return [first - room, last + room];
}

function chartOptions(metric: Metric, colours: { line: string; axis: string; grid: string }, width: number, syncKey: string, onCursor: (index: number | null | undefined) => void): uPlot.Options {
  const axis = { stroke: colours.axis, grid: { stroke: colours.grid, width: 1 }, ticks: { stroke: colours.grid, width: 1 } };
  return {
    width: Math.max(width, 200),
    height: chartHeightInPx,
    cursor: { sync: { key: syncKey }, points: { size: 9 } },
    // uPlot's legend shows dashes until hovered; the readout in the title says more in less room.
    legend: { show: false },
    hooks: { setCursor: [(u) => onCursor(u.cursor.idx)] },
    scales: {
      x: { time: true, range: timeRange },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
    },
    axes: [
      axis,
      { ...axis, size: 64, values: (_u, splits) => splits.map((value) => metric.format(value)) },
    ],
    series: [
      { label: 'Started' },
      {
        label: metric.title,
        stroke: colours.line,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 7, fill: colours.line, stroke: colours.line },
        value: (_u, value) => (value === null || value === undefined ? '–' : metric.format(value)),
      },
    ],
  };
}

/** Finished runs that started, oldest first (a run still going has no rows counted yet). */
function chartPoints(runs: RunSummary[]): Point[] {
  return runs
    .filter((run) => run.startedAt && run.endedAt)
    .map((run) => {
      const ms = runDurationMs(run) ?? null;
      return { at: Date.parse(run.startedAt!) / 1_000, rows: run.rows, seconds: ms === null ? null : ms / 1_000, rate: rowsPerSecond(run) ?? null };
    })
    .sort((a, b) => a.at - b.at);
}

function readColours(lineVariable: string) {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string) => style.getPropertyValue(name).trim();
  return { line: read(lineVariable), axis: read('--muted'), grid: read('--border') };
}

/** 'dark' or 'light', following the browser's preference as it changes. */
function useColourScheme(): 'dark' | 'light' {
  const query = matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const onChange = (event: MediaQueryListEvent) => setDark(event.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}
