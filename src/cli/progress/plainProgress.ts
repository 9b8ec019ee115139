import type { OutputStream } from '../io.js';
import type { ProgressView } from './progressView.js';
import { formatDuration, progressFacts, type ProgressSnapshot } from './progressSnapshot.js';

/**
 * Progress for a log (a pipe, a file, CI): a line when the status or the chunks or retries
 * change, and otherwise one every `heartbeatSeconds` so a long chunk does not look like a hang.
 * Lines never redraw, so a log keeps each one.
 */
export class PlainProgress implements ProgressView {
  private lastKey = '';
  private lastAt = -Infinity;

  constructor(
    private readonly out: OutputStream,
    private readonly label: string,
    private readonly heartbeatSeconds = 10,
  ) {}

  update(snapshot: ProgressSnapshot): void {
    const key = `${snapshot.status}|${snapshot.chunksDone}|${snapshot.chunksPlanned}|${snapshot.retries}|${snapshot.tables?.done ?? ''}|${snapshot.tables?.total ?? ''}`;
    if (key === this.lastKey && snapshot.elapsedSeconds - this.lastAt < this.heartbeatSeconds) return;
    this.lastKey = key;
    this.lastAt = snapshot.elapsedSeconds;
    this.out.write(`[${formatDuration(snapshot.elapsedSeconds).padStart(6)}] ${this.label} ${snapshot.status}: ${progressFacts(snapshot)}\n`);
  }

  note(line: string): void {
    this.out.write(`${line}\n`);
  }

  stop(): void {}
}
