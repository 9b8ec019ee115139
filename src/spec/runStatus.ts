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

export const ChunkStatus = { planned: 'planned', copying: 'copying', done: 'done' } as const;
export type ChunkStatus = (typeof ChunkStatus)[keyof typeof ChunkStatus];
