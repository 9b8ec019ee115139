import type { ChunkDetail, RunDetail } from './runTypes.js';

/**
 * What the Gantt draws, computed from the API's chunk records alone: a bar per attempt, from its
 * start to its end (or now while it runs), with its outcome, and the time window and ticks.
 */
export type BarOutcome = 'done' | 'running' | 'failed' | 'stopped';

export type AttemptBar = { attempt: number; from: number; to: number; outcome: BarOutcome; error?: string };

/** The bars of one chunk's lane. An attempt without an end is running while its chunk is, else it was cut off when the run ended. */
export function attemptBars(chunk: ChunkDetail, runEnd: number | undefined, now: number): AttemptBar[] {
  const latest = Math.max(0, ...chunk.attempts.map((attempt) => attempt.attempt));
  return chunk.attempts.map(({ attempt, startedAt, endedAt, error }) => {
    const from = Date.parse(startedAt);
    const open = endedAt === undefined;
    const to = open ? (runEnd ?? now) : Date.parse(endedAt);
    let outcome: BarOutcome;
    if (error !== undefined) outcome = 'failed';
    else if (open) outcome = chunk.status === 'running' && runEnd === undefined ? 'running' : 'stopped';
    else outcome = chunk.status === 'done' && attempt === latest ? 'done' : 'stopped';
    return { attempt, from, to: Math.max(from, to), outcome, ...(error !== undefined ? { error } : {}) };
  });
}

/** When a chunk waited in the queue: from the run's plan (its first start minus queueMs) to its first start. */
export function queueSpan(chunk: ChunkDetail): { from: number; to: number } | undefined {
  const first = chunk.attempts[0];
  if (!first || !chunk.timings || chunk.timings.queueMs <= 0) return undefined;
  const to = Date.parse(chunk.startedAt ?? first.startedAt);
  return { from: to - chunk.timings.queueMs, to };
}

/** The time window every lane shares: the first queue or attempt start to the run's end (or now while it runs). */
export function ganttWindow(chunks: ChunkDetail[], run: RunDetail, now: number, live: boolean): { start: number; end: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const runEnd = run.endedAt ? Date.parse(run.endedAt) : undefined;
  for (const chunk of chunks) {
    const queue = queueSpan(chunk);
    if (queue) start = Math.min(start, queue.from);
    for (const bar of attemptBars(chunk, live ? undefined : runEnd, now)) {
      start = Math.min(start, bar.from);
      end = Math.max(end, bar.to);
    }
  }
  if (!Number.isFinite(start)) start = Date.parse(run.startedAt ?? run.requestedAt);
  if (live) end = Math.max(end, now);
  else if (runEnd !== undefined) end = Math.max(end, runEnd);
  if (!Number.isFinite(end) || end - start < 1_000) end = start + 1_000;
  return { start, end };
}

const tickSteps = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

/** Tick offsets (ms from the window's start) at a round step, at least `minGapPx` apart. */
export function timeTicks(spanMs: number, widthPx: number, minGapPx = 80): { step: number; offsets: number[] } {
  const wanted = Math.max(1, Math.floor(widthPx / minGapPx));
  const step = tickSteps.find((candidate) => spanMs / candidate <= wanted) ?? Math.ceil(spanMs / wanted / 86_400_000) * 86_400_000;
  const offsets: number[] = [];
  for (let offset = 0; offset <= spanMs; offset += step) offsets.push(offset);
  return { step, offsets };
}

/** A tick's label: time since the window's start, as precise as the step needs ("0 s", "1 m 30 s", "2 h"). */
export function offsetLabel(offsetMs: number, step: number): string {
  if (step < 1_000) return `${(offsetMs / 1_000).toFixed(1)} s`;
  const seconds = Math.round(offsetMs / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} m ${seconds % 60} s` : `${minutes} m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} m` : `${hours} h`;
}

/** How an attempt's finishing time split, as fractions of the attempt's duration, in drawing order; `other` is the rest. */
export function timeSplit(chunk: ChunkDetail, durationMs: number): Array<{ part: 'read' | 'encode' | 'upload'; fraction: number }> {
  if (!chunk.timings || durationMs <= 0) return [];
  const { readMs, encodeMs, uploadMs } = chunk.timings;
  // Their sum never exceeds the attempt (the API says so); scaled down anyway should clocks disagree.
  const scale = Math.max(durationMs, readMs + encodeMs + uploadMs);
  return [
    { part: 'read' as const, fraction: readMs / scale },
    { part: 'encode' as const, fraction: encodeMs / scale },
    { part: 'upload' as const, fraction: uploadMs / scale },
  ];
}
