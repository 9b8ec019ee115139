import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../services.js';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';
import { RunStatus } from '../spec/runStatus.js';
import { listRunsAcrossPipelines, type IndexPosition } from '../store/listRunsAcrossPipelines.js';
import { parseRunIndexRowKey, runIdDay } from '../store/runIndexStore.js';
import { decodeContinuationToken, encodeContinuationToken } from './continuationToken.js';
import { json, problem } from './httpResponses.js';
import { commaSeparated, continuationTokenParameter, isoTimestamp, listLimit, parseQuery } from './queryParameters.js';
import { runSummary } from './runHandlers.js';

/** The widest since..until a listing may span, and the span it gets without `since`. */
const maxRangeInDays = 366;
const dayInMs = 24 * 60 * 60 * 1000;

const runStatuses = Object.values(RunStatus) as [RunStatus, ...RunStatus[]];

const positionSchema = z
  .strictObject({ day: z.string().regex(/^\d{8}$/), rowKey: z.string().max(200).optional() })
  // The key must be one the index makes (its time digits agree with its run id) and lie on its day.
  .refine(({ day, rowKey }) => {
    if (rowKey === undefined) return true;
    const named = parseRunIndexRowKey(rowKey);
    return named !== undefined && runIdDay(named.runId) === day;
  });

/**
 * GET /api/runs?status=&pipeline=&since=&until=&limit=&continuationToken=: runs of all pipelines,
 * newest first (by the time they were requested, which their id carries), from the run index.
 * `status` takes one or several statuses, comma-separated; `since` (inclusive) and `until`
 * (exclusive) are ISO timestamps or dates at most 366 days apart, and without `since` the listing
 * reaches back 366 days from `until` (or now). See listRunsAcrossPipelines for how a page fills up
 * and why following tokens always ends.
 */
export async function listAllRuns(request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(request, {
    status: commaSeparated(runStatuses).optional(),
    pipeline: pipelineIdSchema.optional(),
    since: isoTimestamp.optional(),
    until: isoTimestamp.optional(),
    limit: listLimit(50),
    continuationToken: continuationTokenParameter,
  });
  if (!query.ok) return query.response;
  const { status, pipeline, until, limit } = query.value;
  const services = await getServices();
  const rangeEnd = until ?? services.now();
  if (query.value.since && until && query.value.since.getTime() >= until.getTime()) {
    return invalid('since', `must be before until (${until.toISOString()})`);
  }
  if (query.value.since && rangeEnd.getTime() - query.value.since.getTime() > maxRangeInDays * dayInMs) {
    return invalid('since', `at most ${maxRangeInDays} days before ${until ? 'until' : 'now'}; list a longer history range by range`);
  }
  const since = query.value.since ?? new Date(rangeEnd.getTime() - maxRangeInDays * dayInMs);
  const filters = { statuses: status?.sort(), pipeline, since: query.value.since?.toISOString(), until: until?.toISOString() };
  const after = decodeContinuationToken(query.value.continuationToken, 'runs', filters, positionSchema);
  if (!after.ok) return after.response;

  const page = await listRunsAcrossPipelines({ runs: services.runs, index: services.runIndex, now: services.now }, { statuses: status, pipelineId: pipeline, since, until }, limit, after.value as IndexPosition | undefined);
  if (page.busy) return problem(503, 'The run index did not answer in time', 'storage returned no entries within this request; try the same request again', undefined, { 'retry-after': '1' });
  return json(200, {
    runs: page.runs.map(runSummary),
    ...(page.next ? { continuationToken: encodeContinuationToken('runs', filters, page.next) } : {}),
  });
}

function invalid(name: string, message: string): HttpResponseInit {
  return problem(400, `Invalid query parameter ${name}`, `${name}: ${message}`, [{ path: name, message }]);
}
