import type { ProgressSnapshot } from './progressSnapshot.js';

/** Where a watched run's progress goes: a bar redrawn in place, or plain lines. */
export interface ProgressView {
  update(snapshot: ProgressSnapshot): void;
  /** A line worth keeping (a chunk retried, drift): above the bar, or between plain lines. */
  note(line: string): void;
  stop(): void;
}
