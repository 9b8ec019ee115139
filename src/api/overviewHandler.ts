import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../services.js';
import { RunStatus } from '../spec/runStatus.js';
import { pipelineIdSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { capMessage } from '../errors/capMessage.js';
import { queryIdPrefix } from '../store/queryStore.js';
import type { StoredPipeline } from '../store/pipelineStore.js';
import type { StoredRun } from '../store/runStore.js';
import { digestPipelineRuns, type PipelineRunDigest } from '../store/pipelineRunDigest.js';
import { mapWithConcurrency } from '../store/mapWithConcurrency.js';
import { pipelineFreshness } from '../schedule/freshness.js';
import { json } from './problem.js';
import { parseQuery } from './queryParameters.js';

const hourInMs = 60 * 60 * 1000;
/** How many pipelines' runs are read at once. */
const readConcurrency = 8;
/** An error in the overview is a headline; the run's own page has all of it. */
const maxErrorChars = 500;

const hoursParameter = z
  .string()
  .regex(/^\d{1,3}$/, 'a whole number of hours from 1 to 168, in plain digits')
  .transform(Number)
  .pipe(z.number().int().min(1, 'a whole number of hours from 1 to 168').max(168, 'a whole number of hours from 1 to 168'))
  .default(24);

const runUrl = (run: StoredRun) => `/api/pipelines/${run.pipelineId}/runs/${run.runId}`;
const failedStatuses: ReadonlySet<RunStatus> = new Set([RunStatus.failed, RunStatus.timedOut]);

/**
 * GET /api/overview?hours=24: the fleet at a glance. The runs requested in the last `hours`
 * (count by status, rows, bytes), the pipelines whose latest run failed or timed out (newest
 * first), and every pipeline with its freshness (see schedule/freshness.ts), next run and latest
 * run. Query jobs are not pipelines and are left out. Each pipeline costs one or two partition
 * queries (see digestPipelineRuns), readConcurrency at a time. `pipeline=<id>` narrows it all to
 * one pipeline (the pipeline page's header), so a page about one pipeline does not read them all.
 */
export async function getOverview(request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(request, { hours: hoursParameter, pipeline: pipelineIdSchema.optional() });
  if (!query.ok) return query.response;
  const services = await getServices();
  const now = services.now();
  const since = new Date(now.getTime() - query.value.hours * hourInMs);
  const only = query.value.pipeline;
  const listed = only === undefined ? await services.pipelines.list() : [await services.pipelines.get(only)].flatMap((found) => (found ? [found] : []));
  const pipelines = listed.filter(({ spec }) => !spec.id.startsWith(queryIdPrefix)).sort((a, b) => (a.spec.id < b.spec.id ? -1 : 1));
  const digests = await mapWithConcurrency(pipelines, readConcurrency, (pipeline) => digestPipelineRuns(services.runs, pipeline.spec.id, pipeline.generation, since));

  const recent = digests.flatMap((digest) => digest.since);
  const byStatus: Partial<Record<RunStatus, number>> = {};
  for (const run of recent) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
  const attention = digests
    .flatMap(({ latest }) => (latest && failedStatuses.has(latest.status) ? [latest] : []))
    .map((run) => ({ pipelineId: run.pipelineId, runId: run.runId, status: run.status, endedAt: run.endedAt ?? run.requestedAt, ...errorOf(run), url: runUrl(run) }))
    .sort((a, b) => (a.endedAt < b.endedAt ? 1 : a.endedAt > b.endedAt ? -1 : 0));

  return json(200, {
    now: now.toISOString(),
    since: since.toISOString(),
    runs: { total: recent.length, byStatus, rows: sum(recent, 'rows'), bytes: sum(recent, 'bytes') },
    attention,
    pipelines: pipelines.map((pipeline, i) => pipelineRow(pipeline, digests[i]!, now)),
  });
}

function pipelineRow({ spec, schedulePaused, scheduleChangedAt }: StoredPipeline, digest: PipelineRunDigest, now: Date) {
  const { latest, lastSuccess } = digest;
  const lastSuccessAt = lastSuccess ? (lastSuccess.endedAt ?? lastSuccess.requestedAt) : undefined;
  const { freshness, nextRunAt } = pipelineFreshness(
    {
      schedule: spec.schedule,
      paused: schedulePaused,
      scheduleChangedAt: new Date(scheduleChangedAt),
      latestStatus: latest?.status,
      inProgress: digest.inProgress,
      lastSuccessAt: lastSuccessAt === undefined ? undefined : new Date(lastSuccessAt),
    },
    now,
  );
  return {
    id: spec.id,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    engine: spec.source.engine,
    object: objectName(spec),
    format: spec.output.format,
    container: spec.output.container,
    ...(spec.schedule ? { schedule: { cron: spec.schedule.cron, timeZone: spec.schedule.timeZone } } : {}),
    paused: schedulePaused,
    freshness,
    ...(nextRunAt ? { nextRunAt: nextRunAt.toISOString() } : {}),
    ...(latest ? { lastRun: lastRunOf(latest) } : {}),
    ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
  };
}

function lastRunOf(run: StoredRun) {
  const { runId, status, reason, requestedAt, startedAt, endedAt, rows, bytes } = run;
  return { runId, status, reason, requestedAt, ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}), rows, bytes, ...errorOf(run), url: runUrl(run) };
}

const errorOf = (run: StoredRun) => (run.error === undefined ? {} : { error: capMessage(run.error, maxErrorChars) });

/**
 * What the pipeline reads, as people name it: `schema.table` (a table without a schema is in the
 * engine's default one: PostgreSQL's `public`, SQL Server's `dbo`; MySQL's is the connection's
 * database, so there it is the table alone), or `query` for a pipeline that reads a SELECT.
 */
function objectName(spec: PipelineSpec): string {
  if (!spec.table) return 'query';
  const schema = spec.table.schema ?? { postgres: 'public', sqlserver: 'dbo', mysql: undefined }[spec.source.engine];
  return schema === undefined ? spec.table.name : `${schema}.${spec.table.name}`;
}

const sum = (runs: StoredRun[], field: 'rows' | 'bytes') => runs.reduce((total, run) => total + run[field], 0);
