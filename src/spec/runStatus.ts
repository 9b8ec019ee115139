export const RunStatus = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timedOut: 'timed_out',
  skipped: 'skipped',
} as const;

export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const terminalRunStatuses: ReadonlySet<RunStatus> = new Set([
  RunStatus.succeeded,
  RunStatus.failed,
  RunStatus.cancelled,
  RunStatus.timedOut,
  RunStatus.skipped,
]);

/**
 * A chunk's state as people read it: planned, waiting (for a session on its source: all of
 * source.maxSessions are in use), running (an attempt is copying it), retrying (an
 * attempt threw and the next waits out its backoff), done, failed (for good), stopped (its run
 * ended while it was copying).
 */
export const ChunkStatus = { planned: 'planned', waiting: 'waiting', running: 'running', retrying: 'retrying', done: 'done', failed: 'failed', stopped: 'stopped' } as const;
export type ChunkStatus = (typeof ChunkStatus)[keyof typeof ChunkStatus];
