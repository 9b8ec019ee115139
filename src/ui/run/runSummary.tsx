import { formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { cursorText } from './cursorText.js';
import type { ChunkDetail, RunDetail } from './runTypes.js';

/** What the run has copied so far: its chunks, its rows and bytes (the run's totals once it has them). */
function volume(run: RunDetail, chunks: ChunkDetail[]) {
  return {
    rows: Math.max(run.rows, run.progress.rowsCopied),
    bytes: Math.max(run.bytes, run.progress.bytesWritten),
    files: Math.max(run.files, chunks.reduce((sum, chunk) => sum + chunk.files, 0)),
  };
}

/** Chunks done of planned, and rows copied against the plan's estimate when there is one. */
export function RunProgressBars({ run, chunks }: { run: RunDetail; chunks: ChunkDetail[] }) {
  const { chunksPlanned, chunksDone, chunksWaiting } = run.progress;
  const { rows } = volume(run, chunks);
  const estimate = run.rowsEstimate;
  return (
    <div class="run-progress panel">
      <div class="progress-line">
        <label for="run-chunks-progress">Chunks</label>
        <progress id="run-chunks-progress" max={Math.max(1, chunksPlanned)} {...(chunksPlanned ? { value: chunksDone } : {})} aria-valuetext={`${chunksDone} of ${chunksPlanned} chunks done`} />
        <span class="num" id="run-chunks-text">{chunksPlanned ? `${formatCount(chunksDone)} of ${formatCount(chunksPlanned)} done${chunksWaiting ? `, ${formatCount(chunksWaiting)} waiting for source` : ''}` : 'not planned yet'}</span>
      </div>
      {estimate ? (
        <div class="progress-line">
          <label for="run-rows-progress">Rows</label>
          <progress id="run-rows-progress" max={estimate} value={Math.min(rows, estimate)} aria-valuetext={`${rows} rows of about ${estimate} estimated`} />
          <span class="num">{formatCount(rows)} of ~{formatCount(estimate)} estimated</span>
        </div>
      ) : null}
    </div>
  );
}

/** Status, time and volume (ADF Monitor's copy details): cards for the numbers, then when and why. */
export function RunFacts({ run, chunks, now }: { run: RunDetail; chunks: ChunkDetail[]; now: number }) {
  const { rows, bytes, files } = volume(run, chunks);
  const started = run.startedAt ? Date.parse(run.startedAt) : undefined;
  const duration = started === undefined ? undefined : (run.endedAt ? Date.parse(run.endedAt) : now) - started;
  const waited = (started ?? (run.endedAt ? Date.parse(run.endedAt) : now)) - Date.parse(run.requestedAt);
  const perSecond = duration && duration > 0 ? (rows / duration) * 1_000 : undefined;
  return (
    <>
      <div class="cards run-cards">
        <div class="card"><div class="value" id="run-duration">{formatDuration(duration)}</div><div class="label">duration</div></div>
        <div class="card"><div class="value num" id="run-rows">{formatCount(rows)}</div><div class="label">rows</div></div>
        {run.rowsRejected !== undefined ? <div class={`card${run.rowsRejected ? ' rejected' : ''}`}><div class="value num" id="run-rejected">{formatCount(run.rowsRejected)}</div><div class="label">rows rejected</div></div> : null}
        <div class="card"><div class="value num">{formatBytes(bytes)}</div><div class="label">bytes</div></div>
        <div class="card"><div class="value num">{perSecond === undefined ? '–' : formatCount(perSecond)}</div><div class="label">rows/s</div></div>
        <div class="card"><div class="value num">{formatCount(files)}</div><div class="label">files</div></div>
      </div>
      <dl class="facts run-facts">
        <div><dt>Requested</dt><dd>{formatTime(run.requestedAt)}</dd></div>
        <div><dt>Started</dt><dd>{formatTime(run.startedAt)}{run.startedAt ? <span class="muted"> (waited {formatDuration(waited)})</span> : null}</dd></div>
        <div><dt>Ended</dt><dd>{formatTime(run.endedAt)}</dd></div>
        <div><dt>Reason</dt><dd>{run.reason}</dd></div>
        <div><dt>Options</dt><dd>{optionsText(run)}</dd></div>
        {run.window ? <div><dt>Window</dt><dd>{windowText(run)}</dd></div> : null}
        <div><dt>Attempt</dt><dd id="run-attempt">{run.attempt}{run.attempt === 0 ? ' (first try)' : ` (retried ${run.attempt} ${run.attempt === 1 ? 'time' : 'times'})`}</dd></div>
        <div><dt>Plan</dt><dd>{run.tables ? `${formatCount(run.tables.count)} tables, each a run of its own` : run.chunksPlanned ? `${formatCount(run.chunksPlanned)} chunks${run.planMethod ? ` by ${planMethodText[run.planMethod]}` : ''}` : '–'}</dd></div>
        {run.outputFolder ? <div><dt>Output folder</dt><dd><code>{run.outputFolder}</code></dd></div> : null}
      </dl>
    </>
  );
}

const planMethodText = { single: 'one chunk for everything', equalWidth: 'equal widths', statistics: 'the source statistics', sample: 'a sample' } as const;

function optionsText(run: RunDetail): string {
  const { options } = run;
  if (options?.fullRefresh) return 'full refresh (the watermark ignored once)';
  if (options?.backfill) return `backfill from ${options.backfill.from} to ${options.backfill.to} (the watermark left alone)`;
  return 'none';
}

/** An incremental run's window: `after < column <= upTo` in the cursor's own terms. */
function windowText(run: RunDetail): string {
  const window = run.window!;
  const after = window.after === undefined ? 'from the start' : `${cursorText(window.kind, window.after)} <`;
  const lookback = window.lookback ? `, with a lookback of ${window.lookback}` : '';
  return `${window.mode === 'fullRefresh' ? 'full refresh' : window.mode}: ${after} ${window.column} ≤ ${cursorText(window.kind, window.upTo)}${lookback}`;
}

/** How the run ended badly, and where: the error with a way to its chunk in the timeline; earlier attempts' errors below. */
export function RunProblem({ run, onChunk }: { run: RunDetail; onChunk: (index: number) => void }) {
  const previous = run.previousAttempts ?? [];
  return (
    <>
      {run.error ? (
        <div class="notice error" role="alert" id="run-error">
          <strong>
            The run {run.status === 'timed_out' ? 'timed out' : run.status === 'failed' ? 'failed' : `is ${run.status}`}
            {run.errorChunk !== undefined ? (
              <>
                {' '}in{' '}
                <button type="button" class="link" id="run-error-chunk" onClick={() => onChunk(run.errorChunk!)}>chunk {run.errorChunk}</button>
              </>
            ) : null}
          </strong>
          <p class="error-text">{run.error}</p>
        </div>
      ) : null}
      {!run.error && run.statusReason ? <div class="notice info" id="run-status-reason"><p>{run.statusReason}</p></div> : null}
      {previous.length ? (
        <details class="previous-attempts">
          <summary>Earlier attempts ({previous.length})</summary>
          <ul>
            {previous.map((attempt) => (
              <li key={attempt.attempt}>
                Attempt {attempt.attempt}: {attempt.status.replace(/_/g, ' ')}{attempt.endedAt ? ` at ${formatTime(attempt.endedAt)}` : ''}
                {attempt.errorChunk !== undefined ? ` in chunk ${attempt.errorChunk}` : ''}
                {attempt.error ? <p class="error-text">{attempt.error}</p> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}
