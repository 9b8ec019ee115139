import type { RunStatus } from '../../spec/runStatus.js';

/** GET /api/queries/{id} (api/queryHandlers.ts queryBody). */
export type QueryJobStatus = {
  id: string;
  status: RunStatus;
  engine: string;
  format: string;
  timeoutSeconds: number;
  maxRows?: number;
  rows: number;
  bytes: number;
  files: number;
  truncated: boolean;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  expiresAt?: string;
  error?: string;
  statusReason?: string;
  url: string;
  resultUrl?: string;
};

/** The statuses after which a query changes no more (spec/runStatus.ts terminalRunStatuses, as words). */
const ended: readonly string[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'];
export const hasEnded = (status: string | undefined) => status !== undefined && ended.includes(status);
