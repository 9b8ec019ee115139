import cliProgress from 'cli-progress';
import type { OutputStream } from '../io.js';
import type { ProgressView } from './progressView.js';
import { compactProgressFacts, type ProgressSnapshot } from './progressSnapshot.js';

/**
 * The bar on a terminal, redrawn in place by cli-progress (which throttles redraws and handles
 * the cursor); its value is rows when the run estimated them, else chunks. Notes are printed
 * above the bar (a MultiBar's log), so they stay in the scrollback.
 */
export class LiveProgressBar implements ProgressView {
  private readonly bars: cliProgress.MultiBar;
  private readonly bar: cliProgress.SingleBar;

  /** The run's name goes on a line of its own before the bar (see followRun), so the bar fits 80 columns. */
  constructor(stream: OutputStream) {
    this.bars = new cliProgress.MultiBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: '{status} [{bar}] {percentage}% {facts}',
        barsize: 12,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.bars.create(1, 0, { status: 'queued', facts: '' });
  }

  update(snapshot: ProgressSnapshot): void {
    // A many-table run goes by its tables: its own record has no estimate or chunks while they run.
    const { tables } = snapshot;
    const byRows = !tables && Boolean(snapshot.rowsEstimate);
    const total = tables ? Math.max(1, tables.total) : byRows ? Math.max(snapshot.rowsEstimate!, snapshot.rowsCopied) : Math.max(1, snapshot.chunksPlanned);
    this.bar.setTotal(total);
    this.bar.update(tables ? tables.done : byRows ? snapshot.rowsCopied : snapshot.chunksDone, { status: snapshot.status, facts: compactProgressFacts(snapshot) });
  }

  note(line: string): void {
    this.bars.log(`${line}\n`);
  }

  stop(): void {
    // A MultiBar prints its log lines on its next redraw, and stop() does not redraw them: the
    // last poll's notes (a chunk that failed) would be lost.
    this.bars.update();
    this.bars.stop();
  }
}
