import type { ChunkAttempt, ChunkDetail, RunEvent } from './runTypes.js';

const chunkEvents: ReadonlySet<string> = new Set(['chunkStarted', 'chunkRetried', 'chunkDone', 'chunkFailed', 'chunkStopped']);

const number = (value: unknown) => (typeof value === 'number' ? value : undefined);

/**
 * Chunks as they went, for the lanes: a run that ends failed, cancelled or timed out has its files
 * deleted and its chunk records set back to planned, attempts and all (so a retry copies them
 * again), and its Gantt would be empty. The run's timeline still holds what happened: a record
 * with no attempts gets them back from its events of the run's current attempt (started, retried,
 * done, failed, stopped), with the rows, bytes and timings its `chunkDone` carried. Such a chunk
 * is marked `fromTimeline`. Records that have attempts are the truth and are left as they are.
 */
export function withTimelineHistory(chunks: ChunkDetail[], events: RunEvent[], runAttempt: number | undefined): ChunkDetail[] {
  if (runAttempt === undefined || !chunks.some((chunk) => chunk.attempts.length === 0)) return chunks;
  const byChunk = new Map<number, RunEvent[]>();
  for (const event of events) {
    const chunk = number(event.chunk);
    if (chunk === undefined || !chunkEvents.has(event.type) || event.runAttempt !== runAttempt) continue;
    byChunk.set(chunk, [...(byChunk.get(chunk) ?? []), event]);
  }
  if (byChunk.size === 0) return chunks;
  return chunks.map((chunk) => (chunk.attempts.length === 0 && byChunk.has(chunk.index) ? fromEvents(chunk, byChunk.get(chunk.index)!) : chunk));
}

function fromEvents(chunk: ChunkDetail, events: RunEvent[]): ChunkDetail {
  const attempts = new Map<number, ChunkAttempt & { ending?: string }>();
  let done: RunEvent | undefined;
  for (const event of events) {
    const number_ = number(event.attempt) ?? 1;
    const current = attempts.get(number_);
    if (event.type === 'chunkStarted') {
      attempts.set(number_, { ...current, attempt: number_, startedAt: event.at });
      continue;
    }
    // An ending without its start (not written, or paged out): the bar starts where a done chunk's duration says, else at the ending.
    const startedAt = current?.startedAt ?? (event.type === 'chunkDone' && number(event.durationInMs) !== undefined ? new Date(Date.parse(event.at) - number(event.durationInMs)!).toISOString() : event.at);
    const error = typeof event.error === 'string' ? event.error : undefined;
    attempts.set(number_, { attempt: number_, startedAt, endedAt: event.at, ...(error !== undefined ? { error } : {}), ending: event.type });
    if (event.type === 'chunkDone') done = event;
  }
  const ordered = [...attempts.values()].sort((a, b) => a.attempt - b.attempt);
  const last = ordered.at(-1);
  const status = ({ chunkDone: 'done', chunkFailed: 'failed', chunkRetried: 'retrying', chunkStopped: 'stopped' } as const)[last?.ending as 'chunkDone'] ?? 'stopped';
  const timings = done && number(done.readMs) !== undefined
    ? { queueMs: number(done.queueMs) ?? 0, readMs: number(done.readMs) ?? 0, encodeMs: number(done.encodeMs) ?? 0, uploadMs: number(done.uploadMs) ?? 0 }
    : undefined;
  return {
    ...chunk,
    status,
    attempts: ordered.map(({ ending: _ending, ...attempt }) => attempt),
    rows: number(done?.rows) ?? chunk.rows,
    bytes: number(done?.bytes) ?? chunk.bytes,
    files: number(done?.files) ?? chunk.files,
    startedAt: ordered[0]?.startedAt,
    endedAt: last?.endedAt,
    ...(timings ? { timings } : {}),
    fromTimeline: true,
  };
}
