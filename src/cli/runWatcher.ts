import { terminalRunStatuses, type RunStatus } from '../spec/runStatus.js';
import { ApiError } from './errors.js';
import type { SiphonClient } from './apiClient.js';
import type { ProgressView } from './progress/progressView.js';
import type { ProgressSnapshot } from './progress/progressSnapshot.js';
import { runPath, type RunDetail, type RunEvent } from './runTypes.js';
import { tableDuration, tableProblem, tablesTally } from './tableRuns.js';
import { formatCount } from '../local/progressBar.js';

export type WatchRunOptions = {
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * Follows a run to its end: polls its detail (status, progress, chunks), and its timeline of
 * events when the server has one (a server without the events endpoint still gets a full watch
 * from the detail alone). Returns the run as it ended.
 */
export async function watchRun(client: SiphonClient, pipelineId: string, runId: string, view: ProgressView, options: WatchRunOptions = {}): Promise<RunDetail> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const watchStartedAt = now();
  const timeline = new TimelineReader(client, pipelineId, runId);
  // Retries only grow: a poll whose chunk list lost an attempt (a retried run's reset) keeps the count seen.
  let retries = 0;
  const tablesEnded = new Set<string>();
  try {
    for (;;) {
      const run = (await client.request<RunDetail>('GET', runPath(pipelineId, runId))).body;
      for (const event of await timeline.next()) {
        const line = describeEvent(event);
        if (line) view.note(line);
      }
      for (const line of endedTables(run, tablesEnded)) view.note(line);
      const snapshot = snapshotOf(run, Math.max(retries, timeline.retries), now(), watchStartedAt);
      retries = snapshot.retries;
      view.update(snapshot);
      if (terminalRunStatuses.has(run.status as RunStatus)) return run;
      await sleep(options.intervalMs ?? 1000);
    }
  } finally {
    view.stop();
  }
}

export function snapshotOf(run: RunDetail, retriesSeen: number, nowMs: number, watchStartedAt: number): ProgressSnapshot {
  // The server's start time, so watching a run that began earlier shows its true rate.
  const startedAt = run.startedAt ? Date.parse(run.startedAt) : watchStartedAt;
  const endedAt = run.endedAt ? Date.parse(run.endedAt) : nowMs;
  const chunkRetries = (run.chunks ?? []).reduce((sum, chunk) => sum + Math.max(0, (chunk.attempts?.length ?? 1) - 1), 0);
  const tally = tablesTally(run);
  // A many-table run's own record sums its tables at the end; meanwhile its tables' runs hold the rows.
  const tableRows = (run.tableRuns ?? []).reduce((sum, table) => sum + (table.rows ?? 0), 0);
  return {
    status: run.status,
    rowsCopied: Math.max(run.progress?.rowsCopied ?? run.rows ?? 0, tableRows),
    rowsEstimate: run.rowsEstimate,
    chunksDone: run.progress?.chunksDone ?? 0,
    chunksPlanned: run.progress?.chunksPlanned ?? run.chunks?.length ?? 0,
    retries: Math.max(chunkRetries, retriesSeen),
    elapsedSeconds: Math.max(0, (endedAt - startedAt) / 1000),
    ...(tally ? { tables: { done: tally.done, total: tally.total } } : {}),
  };
}

/** A line for each table of a many-table run whose run ended since the last poll (`seen` remembers them). */
export function endedTables(run: RunDetail, seen: Set<string>): string[] {
  const lines: string[] = [];
  for (const table of run.tableRuns ?? []) {
    const key = `${table.table}|${table.attempt ?? 0}`;
    if (!terminalRunStatuses.has(table.status as RunStatus) || seen.has(key)) continue;
    seen.add(key);
    const problem = tableProblem(table, 100);
    lines.push(`  table ${table.table} ${table.status}: ${formatCount(table.rows ?? 0)} rows${table.startedAt ? ` in ${tableDuration(table)}` : ''}${problem ? `: ${problem}` : ''}`);
  }
  return lines;
}

/**
 * Reads the run's timeline page by page from where it left off. A server that has no events
 * endpoint (404, 405) or fails on it is not asked again: the watch goes on from the run detail.
 */
class TimelineReader {
  private after: number | undefined;
  private available = true;
  retries = 0;

  constructor(
    private readonly client: SiphonClient,
    private readonly pipelineId: string,
    private readonly runId: string,
  ) {}

  async next(): Promise<RunEvent[]> {
    if (!this.available) return [];
    const events: RunEvent[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.request<{ events: RunEvent[]; continuationToken?: string }>('GET', `${runPath(this.pipelineId, this.runId)}/events`, {
          query: { after: this.after, continuationToken },
        });
        events.push(...page.body.events);
        continuationToken = page.body.continuationToken;
      } while (continuationToken);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.available = false;
    }
    for (const event of events) {
      this.after = Math.max(this.after ?? -1, event.sequence);
      if (event.type === 'chunkRetried') this.retries++;
    }
    return events;
  }
}

/** The events worth a line of their own; progress (chunk started/done) shows in the bar. */
export function describeEvent(event: RunEvent): string | undefined {
  const chunk = event.chunk ?? event.index;
  const error = typeof event.error === 'string' ? `: ${event.error}` : '';
  switch (event.type) {
    case 'chunkRetried':
      return `  chunk ${chunk} retried${event.attempt !== undefined ? ` (attempt ${event.attempt})` : ''}${error}`;
    case 'chunkFailed':
      return `  chunk ${chunk} failed${error}`;
    case 'waitingForSource':
      return `  chunk ${chunk} waiting for source${event.maxSessions !== undefined ? ` (all ${String(event.maxSessions)} sessions of source.maxSessions in use)` : ''}`;
    case 'planWarning':
      return `  plan warning: ${String(event.message ?? '')}`;
    case 'drift':
      return `  schema drift${typeof event.detail === 'string' ? `: ${event.detail}` : ''}`;
    case 'quality':
      return `  quality checks: ${String(event.passed ?? 0)} passed, ${String(event.warned ?? 0)} warned, ${String(event.failed ?? 0)} failed${typeof event.message === 'string' && (event.warned || event.failed) ? `: ${event.message}` : ''}`;
    case 'cancelled':
      return '  cancelled';
    case 'watermarkReset':
      return `  watermark reset from ${String(event.from ?? event.old ?? '?')} to ${String(event.to ?? event.new ?? '?')}`;
    default:
      return undefined;
  }
}
