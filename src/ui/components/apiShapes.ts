/**
 * What the views read from the API, as the handlers answer it (src/api/*.ts and the contract of
 * GET /api/overview in CONTRACTS.md). Types only: the server's answers are its own to check.
 */
import type { RunOptions, RunReason } from '../../spec/jobMessage.js';
import type { Engine, OutputFormat, PipelineSpec } from '../../spec/pipelineSpec.js';
import type { RunStatus } from '../../spec/runStatus.js';
import type { keyKinds } from '../../spec/cursorWindow.js';
import type { DriftView } from '../../spec/driftChanges.js';

export type KeyKind = (typeof keyKinds)[number];

export type Freshness = 'on_time' | 'late' | 'failing' | 'paused' | 'unscheduled';

/** A run as GET /api/pipelines/{id}/runs lists it (runSummary in src/api/runHandlers.ts). */
export type RunSummary = {
  pipelineId: string;
  runId: string;
  status: RunStatus;
  reason: RunReason;
  requestedAt: string;
  startedAt?: string;
  endedAt?: string;
  rows: number;
  /** Rows validation sent to `_quarantine/` instead of the output; absent without validation. */
  rowsRejected?: number;
  /** How many of those rows broke each rule (a unique key's columns joined by commas), most first. */
  rejectedByRule?: Array<{ column: string; rule: string; rows: number }>;
  bytes: number;
  files: number;
  chunksPlanned: number;
  /** How the source's columns differed from the last successful run's, and what the contract did. */
  drift?: DriftView;
  error?: string;
  statusReason?: string;
  options?: RunOptions;
  attempt: number;
  /** A re-ingest run: the run whose quarantined rows it writes. */
  reingestOf?: string;
  url: string;
};

export type RunsPage = { runs: RunSummary[]; continuationToken?: string };

/** GET /api/pipelines/{id}: the spec with the record's bookkeeping beside it. */
export type PipelineRecord = PipelineSpec & { generation: string; schedulePaused: boolean; createdAt: string; updatedAt: string; etag: string };

/** The latest run as GET /api/overview carries it for each pipeline. */
export type LastRun = Pick<RunSummary, 'runId' | 'status' | 'reason' | 'requestedAt' | 'startedAt' | 'endedAt' | 'rows' | 'bytes' | 'error' | 'url'>;

export type PipelineHealth = {
  id: string;
  description?: string;
  engine: Engine;
  /** `schema.table`, or `query` for a pipeline that reads a SELECT of its own. */
  object: string;
  format: OutputFormat;
  container: string;
  schedule?: { cron: string; timeZone: string };
  paused: boolean;
  freshness: Freshness;
  nextRunAt?: string;
  lastRun?: LastRun;
  lastSuccessAt?: string;
};

export type AttentionItem = { pipelineId: string; runId: string; status: 'failed' | 'timed_out'; endedAt: string; error: string; url: string };

export type Overview = {
  now: string;
  since: string;
  runs: { total: number; byStatus: Partial<Record<RunStatus, number>>; rows: number; bytes: number };
  attention: AttentionItem[];
  pipelines: PipelineHealth[];
};

/** GET /api/pipelines/{id}/watermark (its ETag comes in the header). */
export type WatermarkBody = { pipelineId: string; column: string; kind: KeyKind; value: string; digits: string; runId: string; updatedAt: string; resetAt?: string };
