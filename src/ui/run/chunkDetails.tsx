import { StatusBadge } from '../components/statusBadge.js';
import { formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { rangeText } from './cursorText.js';
import { finishedDuration } from './chunkText.js';
import type { ChunkDetail, ChunkTimings, KeyKind } from './runTypes.js';

const parts = ['queue', 'read', 'encode', 'upload'] as const;

/** The chunk a lane stands for, in full: volume, times, where the time went, every attempt with its error. */
export function ChunkDetails({ chunk, keyKind, errorChunk, now }: { chunk: ChunkDetail | undefined; keyKind: KeyKind | undefined; errorChunk: number | undefined; now: number }) {
  if (!chunk) return <p class="muted chunk-detail-hint">Point at a lane, or Tab to the timeline and move with the arrow keys, to see a chunk's details here.</p>;
  const duration = finishedDuration(chunk);
  return (
    <section class="chunk-detail" aria-label={`Chunk ${chunk.index} details`}>
      <h3>
        Chunk {chunk.index} <StatusBadge status={chunk.status} />
        {errorChunk === chunk.index ? <span class="badge status-failed">the run failed here</span> : null}
      </h3>
      {chunk.fromTimeline ? <p class="muted">As the run's event log tells it: the run's ending deleted its files and set this chunk back to planned, so that a retry copies it again.</p> : null}
      <dl class="facts">
        <div><dt>Range</dt><dd>{rangeText(chunk.range, keyKind) || '–'}</dd></div>
        <div><dt>Rows</dt><dd class="num">{formatCount(chunk.rows)}</dd></div>
        <div><dt>Bytes</dt><dd class="num">{formatBytes(chunk.bytes)}</dd></div>
        <div><dt>Files</dt><dd class="num">{formatCount(chunk.files)}</dd></div>
        <div><dt>Started</dt><dd>{formatTime(chunk.startedAt)}</dd></div>
        <div><dt>Ended</dt><dd>{formatTime(chunk.endedAt)}</dd></div>
        <div><dt>Copy time</dt><dd>{formatDuration(duration)}</dd></div>
        <div><dt>Rows/s</dt><dd class="num">{duration ? formatCount((chunk.rows / duration) * 1_000) : '–'}</dd></div>
      </dl>
      {chunk.timings ? <TimeSplit timings={chunk.timings} /> : null}
      {chunk.attempts.length ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Attempts of chunk {chunk.index}</caption>
            <thead><tr><th class="num">Attempt</th><th>Started</th><th>Ended</th><th class="num">Took</th><th>Error</th></tr></thead>
            <tbody>
              {chunk.attempts.map((attempt) => (
                <tr key={attempt.attempt}>
                  <td class="num">{attempt.attempt}</td>
                  <td>{formatTime(attempt.startedAt)}</td>
                  <td>{attempt.endedAt ? formatTime(attempt.endedAt) : chunk.status === 'running' ? 'running' : '–'}</td>
                  <td class="num">{formatDuration((attempt.endedAt ? Date.parse(attempt.endedAt) : now) - Date.parse(attempt.startedAt))}</td>
                  <td class="error-text">{attempt.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/**
 * Where the time went (ADF Monitor's queue / read / write split): one stacked bar, each part's
 * share of their sum, the milliseconds beside each name. Read, encode and upload overlap in a
 * streamed copy, so this is a split of waiting, not a sequence.
 */
function TimeSplit({ timings }: { timings: ChunkTimings }) {
  const values = { queue: timings.queueMs, read: timings.readMs, encode: timings.encodeMs, upload: timings.uploadMs };
  const total = parts.reduce((sum, part) => sum + values[part], 0);
  let offset = 0;
  return (
    <figure class="time-split">
      <figcaption>Where the time went</figcaption>
      <svg class="time-split-bar" width="100%" height="12" role="img" aria-label={parts.map((part) => `${part} ${formatDuration(values[part])}`).join(', ')}>
        {total > 0
          ? parts.map((part) => {
              const width = (values[part] / total) * 100;
              const rect = <rect class={`split-${part}`} x={`${offset}%`} y="0" width={`${width}%`} height="12" />;
              offset += width;
              return rect;
            })
          : null}
      </svg>
      <ul class="legend">
        {parts.map((part) => (
          <li key={part}><span class={`swatch split-${part}`} aria-hidden="true" />{part} {formatDuration(values[part])}</li>
        ))}
      </ul>
    </figure>
  );
}
