import type { RunStatus } from '../spec/runStatus.js';
import type { DriftView } from '../spec/driftChanges.js';
import type { QualityCheckResult, RunQuality } from '../spec/qualitySpec.js';

/**
 * A run as GET /api/pipelines/{id}/runs/{runId} shows it: the parts the CLI reads. Fields added
 * by later API versions (chunk attempts, timings) are optional, so an older server still works.
 */
export type RunDetail = {
  pipelineId: string;
  runId: string;
  status: RunStatus;
  reason?: string;
  attempt?: number;
  requestedAt?: string;
  startedAt?: string;
  endedAt?: string;
  rows?: number;
  /** Rows validation sent to `_quarantine/` instead of the output; absent without validation. */
  rowsRejected?: number;
  /** How many of those rows broke each rule, most first. */
  rejectedByRule?: Array<{ column: string; rule: string; rows: number }>;
  bytes?: number;
  files?: number;
  rowsEstimate?: number;
  /** How the source's columns differed from the last successful run's, and what the contract did. */
  drift?: DriftView;
  /** Added by `runs get` from the run's files (GET .../files): the `_quarantine/` files of a run with a manifest. */
  quarantine?: QuarantineListing;
  outputFolder?: string;
  manifestPath?: string;
  error?: string;
  errorChunk?: number;
  statusReason?: string;
  url?: string;
  progress?: { chunksPlanned: number; chunksDone: number; chunksWaiting?: number; rowsCopied: number; bytesWritten: number };
  chunks?: ChunkView[];
  /** What the pipeline's quality checks found (absent without checks, or before finalize). */
  quality?: RunQuality;
  /** A run of a many-table pipeline: how many tables it copies, and (once it ended) how many succeeded and failed. */
  tables?: { count: number; succeeded?: number; failed?: number };
  /** A run of a many-table pipeline: each table's own run (GET .../runs/{runId} only). */
  tableRuns?: TableRunView[];
  /** A table's run within a many-table run: the run it is part of. */
  partOf?: { pipelineId: string; runId: string; index: number; table: string; attempt: number };
};

/** One table of a many-table run, as `tableRuns` lists it: the table's own run, readable at `url`. */
export type TableRunView = {
  table: string;
  pipelineId: string;
  runId: string;
  status: string;
  attempt?: number;
  rows?: number;
  bytes?: number;
  files?: number;
  chunksPlanned?: number;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  statusReason?: string;
  manifestPath?: string;
  url?: string;
};

export type QualityView = QualityCheckResult;

export type ChunkView = {
  index: number;
  status: string;
  rows?: number;
  bytes?: number;
  files?: number | unknown[];
  attempts?: Array<{ attempt: number; startedAt?: string; endedAt?: string; error?: string }>;
  reconciliation?: { status: string; snapshot?: boolean; columns?: string[] };
};

/** The `_quarantine/` files a run's manifest lists, in the output's container. */
export type QuarantineListing = { rows: number; files: Array<{ path: string; rows: number; bytes: number; chunk: number }> };

/** One event of a run's timeline (GET .../runs/{runId}/events). */
export type RunEvent = { sequence: number; at: string; type: string; [field: string]: unknown };

/** Where a run lives in the API. */
export const runPath = (pipelineId: string, runId: string) => `/pipelines/${encodeURIComponent(pipelineId)}/runs/${encodeURIComponent(runId)}`;
