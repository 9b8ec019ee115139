import { z } from 'zod';
import type { RunRecord } from '../store/runStore.js';
import { RunStatus } from '../spec/runStatus.js';
import type { NotificationEvent } from '../spec/notificationSpec.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import { capMessage } from '../errors/capMessage.js';
import { dashboardLink } from './dashboardLink.js';
import type { Notification } from './notification.js';

/**
 * The quality results a run record carries (quality/ adds the field: `quality.checks`); read
 * leniently, so a run without them, or recorded before they existed, simply has no breach.
 */
const qualityChecksSchema = z.object({
  checks: z.array(
    z.object({ name: z.string(), kind: z.string().optional(), severity: z.string().optional(), outcome: z.string(), measured: z.unknown().optional(), bound: z.unknown().optional(), message: z.string().optional() }).passthrough(),
  ),
});

function breachedChecks(run: RunRecord): Array<z.infer<typeof qualityChecksSchema>['checks'][number]> {
  const parsed = qualityChecksSchema.safeParse((run as Record<string, unknown>).quality);
  return parsed.success ? parsed.data.checks.filter((check) => check.outcome === 'warn' || check.outcome === 'fail') : [];
}

const failed: ReadonlySet<string> = new Set([RunStatus.failed, RunStatus.timedOut]);

/**
 * The events an ended run raises: `failure` (failed or timed out) or `success`; `quarantine`
 * when validation rejected rows; `drift` when its source's columns changed; `qualityBreach`
 * when a quality check warned or failed. A cancelled or skipped run raises none: someone chose it.
 */
export function eventsOfRun(run: RunRecord): NotificationEvent[] {
  const ended = run.status === RunStatus.succeeded || failed.has(run.status);
  if (!ended) return [];
  const events: NotificationEvent[] = [run.status === RunStatus.succeeded ? 'success' : 'failure'];
  if ((run.rowsRejected ?? 0) > 0) events.push('quarantine');
  if (run.drift) events.push('drift');
  if (breachedChecks(run).length) events.push('qualityBreach');
  return events;
}

const titles: Record<NotificationEvent, (run: RunRecord) => string> = {
  failure: (run) => `${run.pipelineId} ${run.status === RunStatus.timedOut ? 'timed out' : 'failed'}`,
  success: (run) => `${run.pipelineId} succeeded`,
  quarantine: (run) => `${run.pipelineId}: ${(run.rowsRejected ?? 0).toLocaleString('en-US')} row(s) quarantined`,
  drift: (run) => `${run.pipelineId}: the source's columns changed`,
  qualityBreach: (run) => `${run.pipelineId}: quality checks breached`,
  late: (run) => `${run.pipelineId} is late`,
  alert: (run) => `${run.pipelineId}: alert`,
};

/** The notification of one event of an ended run, with a link to the run in the dashboard. */
export function runNotification(run: RunRecord, event: NotificationEvent, baseUrl: string): Notification {
  const endedAt = run.endedAt ?? run.requestedAt;
  const durationInMs = run.startedAt && run.endedAt ? Math.max(0, Date.parse(run.endedAt) - Date.parse(run.startedAt)) : undefined;
  return {
    event,
    pipelineId: run.pipelineId,
    runId: run.runId,
    status: run.status,
    title: titles[event](run),
    rows: run.rows,
    ...(run.rowsRejected === undefined ? {} : { rowsRejected: run.rowsRejected }),
    ...(durationInMs === undefined ? {} : { durationInMs }),
    ...(run.error ? { error: capMessage(scrubSecrets(run.error), 2_000) } : {}),
    details: detailsOf(run, event),
    link: dashboardLink(baseUrl, run.pipelineId, run.runId),
    occurredAt: endedAt,
  };
}

function detailsOf(run: RunRecord, event: NotificationEvent): string[] {
  if (event === 'drift' && run.drift) {
    const { added, removed, retyped, outcome, truncated } = run.drift;
    const lines = [
      ...added.slice(0, 5).map((change) => `added ${change.column} (${change.new.type})`),
      ...removed.slice(0, 5).map((change) => `removed ${change.column}`),
      ...retyped.slice(0, 5).map((change) => `retyped ${change.column}: ${change.old.type} -> ${change.new.type}`),
    ];
    const total = (truncated?.added ?? added.length) + (truncated?.removed ?? removed.length) + (truncated?.retyped ?? retyped.length);
    if (total > lines.length) lines.push(`and ${total - lines.length} more change(s)`);
    return [`schema contract: ${outcome}`, ...lines];
  }
  if (event === 'qualityBreach') {
    return breachedChecks(run).slice(0, 10).map((check) => capMessage(scrubSecrets(`${check.outcome}: ${check.name}${check.message ? `: ${check.message}` : ''}${check.measured === undefined ? '' : ` (measured ${String(check.measured)}${check.bound === undefined ? '' : `, bound ${String(check.bound)}`})`}`), 480));
  }
  if (event === 'quarantine') return [`${(run.rowsRejected ?? 0).toLocaleString('en-US')} row(s) failed validation and are in the run's _quarantine/ files`];
  return [];
}
