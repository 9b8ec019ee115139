/**
 * The run API's answers as the run view reads them (GET /api/pipelines/{id}/runs/{runId} and its
 * chunks, events and files; see src/api/runHandlers.ts and runFilesHandler.ts). Written out here
 * because the browser may import only src/spec from the server's code; the spec's own types are
 * reused where the API passes them through.
 */
import type { ChunkRange } from '../../spec/columns.js';
import type { ChunkStatus, RunStatus } from '../../spec/runStatus.js';
import type { CursorWindow } from '../../spec/cursorWindow.js';
import type { RunQuality } from '../../spec/qualitySpec.js';
import type { KeyKind, RunSummary } from '../components/apiShapes.js';

export type { KeyKind };


/** One try of a chunk's copy: 1, 2, ... within the run's current attempt. */
export type ChunkAttempt = { attempt: number; startedAt: string; endedAt?: string; error?: string };

/** Where the finishing attempt's time went, in ms; queue is from the run's start to the chunk's first start. */
export type ChunkTimings = { queueMs: number; readMs: number; encodeMs: number; uploadMs: number };

export type ChunkDetail = {
  index: number;
  range?: ChunkRange;
  status: ChunkStatus;
  attempts: ChunkAttempt[];
  rows: number;
  bytes: number;
  /** How many files the chunk wrote. */
  files: number;
  startedAt?: string;
  endedAt?: string;
  timings?: ChunkTimings;
  /** The chunk's reconciliation with the source (README "Reconciliation"); absent when it is off. */
  reconciliation?: { status: 'match' | 'mismatch'; snapshot: boolean; columns?: string[] };
  /** Set by the view (not the API) when the lane was rebuilt from the run's events: see timelineChunks.ts. */
  fromTimeline?: boolean;
};

export type PreviousAttempt = { attempt: number; status: string; error?: string; errorChunk?: number; endedAt?: string };

export type RunProgress = { chunksPlanned: number; chunksDone: number; chunksWaiting?: number; rowsCopied: number; bytesWritten: number };

/** GET /api/pipelines/{id}/runs/{runId}: the run as lists show it, and its detail. */
export type RunDetail = RunSummary & {
  rowsEstimate?: number;
  outputFolder?: string;
  manifestPath?: string;
  errorChunk?: number;
  keyKind?: KeyKind;
  planMethod?: 'single' | 'equalWidth' | 'statistics' | 'sample';
  window?: CursorWindow;
  finalizingSince?: string;
  cleaningSince?: string;
  cleanedAt?: string;
  previousAttempts?: PreviousAttempt[];
  /** What the pipeline's quality checks found (absent without checks, or before finalize). */
  quality?: RunQuality;
  progress: RunProgress;
  /** The first 100 chunks; the rest page through chunksUrl. */
  chunks: ChunkDetail[];
  chunksUrl: string;
  eventsUrl: string;
  /** A run of a many-table pipeline: how many tables it copies, and (once it ended) how many succeeded and failed. */
  tables?: { count: number; succeeded?: number; failed?: number };
  /** A run of a many-table pipeline: each table's own run (with its own page, chunks and files). */
  tableRuns?: TableRun[];
  /** A table's run of a many-table run: the run it is part of (which is cancelled and retried, not this one). */
  partOf?: { pipelineId: string; runId: string; index: number; table: string; attempt: number };
};

/**
 * One table of a many-table run (GET .../runs/{runId} `tableRuns`): a summary of the table's own
 * run, which lives under the table's pipeline id (`<pipeline>~<hash>`) at `url`.
 */
export type TableRun = {
  table: string;
  pipelineId: string;
  runId: string;
  status: string;
  attempt: number;
  rows: number;
  bytes: number;
  files: number;
  chunksPlanned: number;
  startedAt?: string;
  endedAt?: string;
  window?: CursorWindow;
  error?: string;
  statusReason?: string;
  manifestPath?: string;
  url: string;
};

export type ChunkPage = { chunks: ChunkDetail[]; continuationToken?: string };

/** A timeline event: `sequence`, `at`, `type`, and flat fields (runAttempt, chunk, attempt, rows, error, ...). */
export type RunEvent = { sequence: number; at: string; type: string } & Record<string, string | number | boolean>;

export type RunEventPage = { events: RunEvent[]; continuationToken?: string };

export type RunFile = { path: string; rows: number; bytes: number; chunk: number; md5: string };

export type RunManifestSummary = {
  path: string;
  container: string;
  createdAt: string;
  format: string;
  compression: string;
  rows: number;
  bytes: number;
  files: number;
  partitionBy?: string[];
};

/** With validation: the `_quarantine/` files holding the rows the run rejected (all of them, on every page). */
export type RunQuarantine = { rows: number; files: RunFile[] };

export type RunFilePage = { manifest: RunManifestSummary; files: RunFile[]; quarantine?: RunQuarantine; continuationToken?: string };

const terminal: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped']);

/** Whether a run can still change by itself (and the view keeps asking). */
export const isLive = (status: string | undefined) => status !== undefined && !terminal.has(status);

/** The API path (below /api) of a URL the API answered with (`/api/pipelines/...`). */
export const apiPathOf = (url: string) => url.replace(/^\/api\//, '');
