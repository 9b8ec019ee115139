import { describe, expect, it } from 'vitest';
import { PlainProgress } from '../../src/cli/progress/plainProgress.js';
import { LiveProgressBar } from '../../src/cli/progress/liveProgressBar.js';
import { etaSeconds, formatDuration, progressFacts, type ProgressSnapshot } from '../../src/cli/progress/progressSnapshot.js';
import { runSummaryLines } from '../../src/cli/runSummary.js';
import { endedTables, snapshotOf } from '../../src/cli/runWatcher.js';
import type { RunDetail } from '../../src/cli/runTypes.js';

/** A stream that keeps what is written; `isTTY` as the test says. */
function capture(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    text: () => writes.join(''),
    stream: {
      isTTY,
      columns: 200,
      write: (text: string) => writes.push(text),
      // What cli-progress calls on a terminal.
      cursorTo: (x: number) => writes.push(`<to ${x}>`),
      clearLine: () => writes.push('<clear>'),
      clearScreenDown: () => writes.push('<clearDown>'),
      moveCursor: () => writes.push('<move>'),
      on: () => undefined,
      removeListener: () => undefined,
    },
  };
}

const snapshot = (fields: Partial<ProgressSnapshot>): ProgressSnapshot => ({ status: 'running', rowsCopied: 0, chunksDone: 0, chunksPlanned: 8, retries: 0, elapsedSeconds: 0, ...fields });

describe('progress facts', () => {
  it('show rows, rows/s, chunks done of total, retries and ETA from rows when the run estimated them', () => {
    expect(progressFacts(snapshot({ rowsCopied: 250_000, rowsEstimate: 1_000_000, chunksDone: 2, retries: 1, elapsedSeconds: 10 }))).toBe(
      '250,000/1,000,000 rows, 25,000 rows/s, chunks 2/8, retries 1, ETA 30s',
    );
  });

  it('estimate the time left from chunks without a row estimate, and say "-" before anything is done', () => {
    expect(etaSeconds(snapshot({ chunksDone: 2, elapsedSeconds: 10 }))).toBe(30);
    expect(progressFacts(snapshot({ elapsedSeconds: 3 }))).toMatch(/ETA -$/);
    expect([formatDuration(59.4), formatDuration(61), formatDuration(3_725)]).toEqual(['59s', '1m01s', '1h02m']);
  });
});

describe('plain progress (no terminal, CI)', () => {
  it('prints a line when status, chunks or retries change, a heartbeat every 10 s otherwise, and never redraws', () => {
    const out = capture(false);
    const view = new PlainProgress(out.stream, 'p/r');
    view.update(snapshot({ status: 'queued' }));
    view.update(snapshot({ status: 'queued', elapsedSeconds: 1 }));
    view.update(snapshot({ rowsCopied: 100, elapsedSeconds: 2 }));
    view.update(snapshot({ rowsCopied: 200, elapsedSeconds: 5 }));
    view.update(snapshot({ rowsCopied: 900, elapsedSeconds: 12.5 }));
    view.note('  chunk 3 retried (attempt 2): connection reset');
    view.update(snapshot({ rowsCopied: 900, chunksDone: 1, retries: 1, elapsedSeconds: 13 }));
    view.stop();
    expect(out.text()).not.toMatch(/\r|\u001b/);
    expect(out.writes).toEqual([
      '[    0s] p/r queued: 0 rows, 0 rows/s, chunks 0/8, retries 0, ETA -\n',
      '[    2s] p/r running: 100 rows, 50 rows/s, chunks 0/8, retries 0, ETA -\n',
      '[   13s] p/r running: 900 rows, 72 rows/s, chunks 0/8, retries 0, ETA -\n',
      '  chunk 3 retried (attempt 2): connection reset\n',
      '[   13s] p/r running: 900 rows, 69 rows/s, chunks 1/8, retries 1, ETA 1m31s\n',
    ]);
  });
});

describe('live progress bar (terminal)', () => {
  it('redraws one line in place with the facts and prints notes above it', () => {
    const out = capture(true);
    const view = new LiveProgressBar(out.stream);
    view.update(snapshot({ rowsCopied: 500, rowsEstimate: 1000, chunksDone: 4, elapsedSeconds: 5 }));
    view.note('  chunk 2 retried');
    view.update(snapshot({ status: 'succeeded', rowsCopied: 1000, rowsEstimate: 1000, chunksDone: 8, elapsedSeconds: 8 }));
    view.stop();
    const text = out.text();
    // Redrawn from the first column each time (ESC [1G), never a new line per update.
    expect(text.split('\u001b[1G').length).toBeGreaterThan(2);
    expect(text.indexOf('  chunk 2 retried\n')).toBeGreaterThan(-1);
    expect(text.indexOf('  chunk 2 retried\n')).toBeLessThan(text.lastIndexOf('succeeded ['));
    expect(text).toMatch(/succeeded \[█{12}\] 100% ETA 0s \| 1K\/1K rows 125\/s \| chunks 8\/8 \| retries 0/);
    // It fits an 80-column terminal.
    expect(Math.max(...text.split(/\u001b\[1G|\n/).map((line) => line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').length))).toBeLessThanOrEqual(80);
  });
});

describe('run summary', () => {
  it('says rows, files, bytes, throughput and where the files are, like the demo', () => {
    const lines = runSummaryLines({
      pipelineId: 'sales-orders',
      runId: '20261121T163000Z-1a2b3c4d',
      status: 'succeeded',
      startedAt: '2026-11-21T16:30:00.000Z',
      endedAt: '2026-11-21T16:30:04.000Z',
      rows: 1_000_000,
      files: 8,
      bytes: 20_656_000,
      outputFolder: 'landing/sales-orders/2026/11/21/run=20261121T163000Z-1a2b3c4d',
      progress: { chunksPlanned: 8, chunksDone: 8, rowsCopied: 1_000_000, bytesWritten: 20_656_000 },
    });
    expect(lines).toEqual([
      'Run sales-orders/20261121T163000Z-1a2b3c4d succeeded',
      '  rows         1,000,000',
      '  files        8 in 8 of 8 chunks',
      '  bytes        19.7 MiB',
      '  throughput   250,000 rows/s (4.0s from start to end)',
      '  files at     landing/sales-orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/',
    ]);
  });

  it('names the error and its chunk for a failed run', () => {
    const lines = runSummaryLines({ pipelineId: 'p', runId: 'r', status: 'failed', error: 'Timestamp infinity cannot be represented', errorChunk: 3 });
    expect(lines).toEqual(['Run p/r failed', '  error        Timestamp infinity cannot be represented (chunk 3)']);
  });
});

describe('a many-table run', () => {
  const table = (name: string, status: string, extra: Record<string, unknown> = {}) => ({ table: name, pipelineId: 'shop~0123456789ab', runId: `r-${name}`, status, rows: 0, bytes: 0, files: 0, ...extra });
  const run: RunDetail = {
    pipelineId: 'shop',
    runId: 'r',
    status: 'running',
    startedAt: '2026-12-08T00:00:00Z',
    tables: { count: 3 },
    // The run itself has no chunks: its tables' runs do.
    progress: { chunksPlanned: 0, chunksDone: 0, rowsCopied: 0, bytesWritten: 0 },
    tableRuns: [
      table('sales.orders', 'succeeded', { rows: 300, startedAt: '2026-12-08T00:00:01Z', endedAt: '2026-12-08T00:00:05Z' }),
      table('sales.late', 'failed', { attempt: 0, error: 'Pipeline shop~0123456789ab, run r-sales.late, chunk 0: relation "sales.late" does not exist' }),
      table('sales.customers', 'running'),
    ],
  };

  it('counts tables done of all, rows from the tables\' runs, and an ETA from the tables', () => {
    const facts = snapshotOf(run, 0, Date.parse('2026-12-08T00:00:10Z'), 0);
    expect(facts).toMatchObject({ tables: { done: 2, total: 3 }, rowsCopied: 300, elapsedSeconds: 10 });
    expect(etaSeconds(facts)).toBe(5);
    expect(progressFacts(facts)).toBe('300 rows, 30 rows/s, tables 2/3, retries 0, ETA 5s');
  });

  it('notes each table once when its run ends, its error without the context the line already gives', () => {
    const seen = new Set<string>();
    expect(endedTables(run, seen)).toEqual(['  table sales.orders succeeded: 300 rows in 4s', '  table sales.late failed: 0 rows: chunk 0: relation "sales.late" does not exist']);
    expect(endedTables(run, seen)).toEqual([]);
    // A retry's next attempt of the failed table is noted again when it ends.
    expect(endedTables({ ...run, tableRuns: [table('sales.late', 'succeeded', { attempt: 1, rows: 25 })] }, seen)).toEqual(['  table sales.late succeeded: 25 rows']);
  });

  it('fills the bar on a terminal by tables done of all, not by rows or chunks', () => {
    const out = capture(true);
    const view = new LiveProgressBar(out.stream);
    // 300 of ~10,000 rows would be 3%, and no chunks are planned: one table of four is 25%.
    view.update(snapshot({ rowsCopied: 300, rowsEstimate: 10_000, chunksPlanned: 0, elapsedSeconds: 4, tables: { done: 1, total: 4 } }));
    view.stop();
    expect(out.text()).toMatch(/running \[█{3}░{9}\] +25% ETA 12s \| 300\/10K rows 75\/s \| tables 1\/4 \| retries 0/);
  });

  it('sums up the tables, naming each that did not succeed with the command that shows its run', () => {
    const lines = runSummaryLines({ ...run, status: 'failed', rows: 300, files: 1, tables: { count: 3, succeeded: 1, failed: 2 }, tableRuns: run.tableRuns!.slice(0, 2) });
    expect(lines).toContain('  tables       2 of 3 done: 1 succeeded, 2 failed');
    expect(lines).toContain('  files        1 in 3 tables');
    expect(lines.at(-1)).toBe('  failed       sales.late (siphon runs get shop~0123456789ab/r-sales.late): chunk 0: relation "sales.late" does not exist');
  });
});
