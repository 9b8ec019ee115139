import { formatBytes, formatCount, formatDuration } from '../format.js';
import { rangeWords } from './cursorText.js';
import type { ChunkDetail, KeyKind } from './runTypes.js';

/** The finishing attempt's duration in ms, when the chunk is done. */
export function finishedDuration(chunk: ChunkDetail): number | undefined {
  const last = chunk.attempts.at(-1);
  if (chunk.status !== 'done' || !last?.endedAt) return undefined;
  return Date.parse(last.endedAt) - Date.parse(last.startedAt);
}

/** Where the chunk's time went, in words: "queue 1.2 s, read 800 ms, encode 40 ms, upload 90 ms". */
export function timingsText(chunk: ChunkDetail): string {
  if (!chunk.timings) return '';
  const { queueMs, readMs, encodeMs, uploadMs } = chunk.timings;
  return `queue ${formatDuration(queueMs)}, read ${formatDuration(readMs)}, encode ${formatDuration(encodeMs)}, upload ${formatDuration(uploadMs)}`;
}

/**
 * One sentence with everything a lane shows, for screen readers (the lane's label) and the bars'
 * tooltips: "Chunk 3, from 100 to 200 exclusive: done, 100 rows, 12 KiB, 1 file, 1 attempt, took 1.2 s (queue ..., read ...)".
 */
export function chunkSentence(chunk: ChunkDetail, keyKind: KeyKind | undefined, errorChunk: number | undefined): string {
  const range = rangeWords(chunk.range, keyKind);
  const attempts = chunk.attempts.length;
  const duration = finishedDuration(chunk);
  const lastError = [...chunk.attempts].reverse().find((attempt) => attempt.error)?.error;
  const parts = [
    `${chunk.status.replace(/_/g, ' ')}`,
    `${formatCount(chunk.rows)} rows`,
    formatBytes(chunk.bytes),
    `${formatCount(chunk.files)} ${chunk.files === 1 ? 'file' : 'files'}`,
    `${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}`,
    ...(duration !== undefined ? [`took ${formatDuration(duration)}`] : []),
    ...(chunk.timings ? [timingsText(chunk)] : []),
    ...(lastError ? [`last error: ${lastError.slice(0, 200)}`] : []),
    ...(errorChunk === chunk.index ? ['the run failed here'] : []),
  ];
  return `Chunk ${chunk.index}${range ? `, ${range}` : ''}: ${parts.join(', ')}`;
}
