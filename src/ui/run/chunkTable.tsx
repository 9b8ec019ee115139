import { useEffect, useRef, useState } from 'preact/hooks';
import { StatusBadge } from '../components/statusBadge.js';
import { formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { rangeText } from './cursorText.js';
import { finishedDuration } from './chunkText.js';
import type { ChunkDetail, KeyKind } from './runTypes.js';

/** Rows drawn before "show all": a table of thousands of rows redrawn every 1.5 s is slow to no one's benefit. */
const firstRows = 500;

/** The timeline as a table: every number the Gantt shows, for reading, copying and screen readers. */
export function ChunkTable({ chunks, keyKind, errorChunk, active, focusRequest }: { chunks: ChunkDetail[]; keyKind: KeyKind | undefined; errorChunk: number | undefined; active: number | undefined; focusRequest: number }) {
  const [all, setAll] = useState(false);
  const tableRef = useRef<HTMLTableElement>(null);
  const activePosition = active === undefined ? -1 : chunks.findIndex((chunk) => chunk.index === active);
  const showAll = all || activePosition >= firstRows;
  const shown = showAll ? chunks : chunks.slice(0, firstRows);

  // The error's "chunk N" link lands on its row.
  useEffect(() => {
    if (focusRequest > 0 && active !== undefined) tableRef.current?.querySelector<HTMLElement>(`[data-chunk="${active}"]`)?.focus();
  }, [focusRequest]);

  return (
    <>
      <div class="table-wrap">
        <table ref={tableRef} class="chunk-table">
          <caption class="sr-only">Chunks of the run</caption>
          <thead>
            <tr>
              <th class="num">Chunk</th><th>Range</th><th>Status</th><th class="num">Attempts</th><th class="num">Rows</th><th class="num">Bytes</th><th class="num">Files</th>
              <th>Started</th><th class="num">Took</th><th class="num">Queue</th><th class="num">Read</th><th class="num">Encode</th><th class="num">Upload</th><th>Reconciled</th><th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((chunk) => (
              <tr key={chunk.index} data-chunk={chunk.index} tabIndex={-1} class={`${chunk.index === active ? 'active' : ''}${chunk.index === errorChunk ? ' failed-here' : ''}`}>
                <td class="num">{chunk.index}</td>
                <td>{rangeText(chunk.range, keyKind)}</td>
                <td><StatusBadge status={chunk.status} /></td>
                <td class="num">{chunk.attempts.length}</td>
                <td class="num">{formatCount(chunk.rows)}</td>
                <td class="num">{formatBytes(chunk.bytes)}</td>
                <td class="num">{formatCount(chunk.files)}</td>
                <td>{formatTime(chunk.startedAt)}</td>
                <td class="num">{formatDuration(finishedDuration(chunk))}</td>
                <td class="num">{formatDuration(chunk.timings?.queueMs)}</td>
                <td class="num">{formatDuration(chunk.timings?.readMs)}</td>
                <td class="num">{formatDuration(chunk.timings?.encodeMs)}</td>
                <td class="num">{formatDuration(chunk.timings?.uploadMs)}</td>
                <td title={chunk.reconciliation?.columns?.length ? `values differ in ${chunk.reconciliation.columns.join(', ')}` : undefined}>{reconciledText(chunk.reconciliation)}</td>
                <td class="error-text">{[...chunk.attempts].reverse().find((attempt) => attempt.error)?.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length < chunks.length ? <button type="button" class="more" onClick={() => setAll(true)}>Show all {formatCount(chunks.length)} chunks</button> : null}
    </>
  );
}

/** A chunk's reconciliation as the table shows it: ✓ match, or ! mismatch (a warning: checked without a snapshot). */
function reconciledText(reconciliation: ChunkDetail['reconciliation']): string {
  if (!reconciliation) return '';
  return reconciliation.status === 'match' ? '✓ match' : `! mismatch${reconciliation.columns?.length ? ` (${reconciliation.columns.join(', ')})` : ''}`;
}
