import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { getServices, type Services } from '../services.js';
import { enqueueRun } from '../jobs/enqueueRun.js';
import { cancelRunRecord } from '../jobs/cancelRunRecord.js';
import { legacyPipelineGeneration } from '../jobs/pipelineGeneration.js';
import { newRunId } from '../jobs/runId.js';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import { checkNewSpec } from '../spec/newSpecRules.js';
import { pipelineSpecSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { queryIdSchema, queryJobInputSchema, type QueryJob } from '../spec/queryJob.js';
import { zodIssues } from '../spec/formatZodError.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { queryIdPrefix, type StoredQuery } from '../store/queryStore.js';
import type { StoredRun } from '../store/runStore.js';
import { writtenColumns } from '../formats/writtenTypes.js';
import { readResultPage } from '../queries/readResultPage.js';
import { json, parseJsonBody, parseParam, problem, type Parsed } from './httpResponses.js';

/** The largest page GET .../result gives: it is built in memory before it is sent. */
export const maxResultPageRows = 10_000;
/** Seconds a client should wait before polling a query that has not ended. */
const pollSeconds = '2';

const queryUrl = (id: string) => `/api/queries/${id}`;

/**
 * The query's synthetic pipeline: one chunk, its own folder under the query container, read-only
 * sessions and the query check exactly as a pipeline's. Seconds map onto the spec's
 * timeoutMinutes (fractions allowed), so the orchestrator's deadline works unchanged.
 */
function syntheticSpec(id: string, job: QueryJob, container: string): PipelineSpec {
  return pipelineSpecSchema.parse({
    id,
    description: 'query job (POST /api/queries)',
    source: job.source,
    query: job.query,
    // Exact encodings: the result pages are read back by Siphon itself.
    output: { container, format: job.format, compression: job.format === 'parquet' ? 'snappy' : 'none', pathTemplate: '{pipeline}/run={runId}/part-{chunk}-{file}', readers: ['exact'] },
    timeoutMinutes: job.timeoutSeconds / 60,
    retry: { maxAttempts: 1 },
    ...(job.maxRows === undefined ? {} : { maxRows: job.maxRows }),
  });
}

/** The pipeline rules (setting prefix, reserved containers, the query check), with the paths of the query job's body. */
function specProblem(spec: PipelineSpec): HttpResponseInit | undefined {
  const checked = pipelineSpecSchema.superRefine(checkNewSpec).safeParse(spec);
  if (checked.success) return undefined;
  const issues = zodIssues(checked.error).map((issue) => (issue.path.startsWith('output.') ? { ...issue, path: `SIPHON_QUERY_CONTAINER (app setting, ${issue.path})` } : issue));
  return problem(400, 'The request body is invalid', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function queryBody(services: Services, query: StoredQuery, run: StoredRun | undefined) {
  const { spec } = query;
  const ended = run?.endedAt;
  const expiresAt = ended ? new Date(Date.parse(ended) + services.settings.SIPHON_QUERY_RETENTION_HOURS * 3_600_000).toISOString() : undefined;
  return {
    id: spec.id,
    status: run?.status ?? RunStatus.queued,
    engine: spec.source.engine,
    format: spec.output.format,
    timeoutSeconds: Math.round(spec.timeoutMinutes * 60),
    ...(spec.maxRows === undefined ? {} : { maxRows: spec.maxRows }),
    rows: run?.rows ?? 0,
    bytes: run?.bytes ?? 0,
    files: run?.files ?? 0,
    truncated: query.truncated,
    createdAt: query.createdAt,
    ...(run?.startedAt ? { startedAt: run.startedAt } : {}),
    ...(ended ? { endedAt: ended, expiresAt } : {}),
    ...(run?.error ? { error: run.error } : {}),
    ...(run?.statusReason ? { statusReason: run.statusReason } : {}),
    url: queryUrl(spec.id),
    ...(run?.status === RunStatus.succeeded ? { resultUrl: `${queryUrl(spec.id)}/result` } : {}),
  };
}

/** POST /api/queries: 202 with the query's URL; it runs from the job queue like a pipeline run. */
export async function submitQuery(request: HttpRequest): Promise<HttpResponseInit> {
  const body = await parseJsonBody(request, queryJobInputSchema);
  if (!body.ok) return body.response;
  const services = await getServices();
  const id = `${queryIdPrefix}${randomBytes(10).toString('hex')}`;
  const spec = syntheticSpec(id, body.value, services.settings.SIPHON_QUERY_CONTAINER);
  const invalid = specProblem(spec);
  if (invalid) return invalid;
  const now = services.now();
  const runId = newRunId(now);
  await services.queries.create({ spec, runId, createdAt: now.toISOString() });
  try {
    // A fresh id: no other run can hold its lease.
    await enqueueRun(services, { runId, pipelineId: id, reason: 'manual', options: {}, attempt: 0 }, legacyPipelineGeneration);
  } catch (err) {
    await services.queries.delete(id).catch(() => undefined);
    throw err;
  }
  const stored = await services.queries.get(id);
  const run = await services.runs.get(id, runId);
  return json(202, queryBody(services, stored!, run), { location: queryUrl(id), 'retry-after': pollSeconds });
}

/** A 400 naming the first query parameter not among `known`. */
function unknownParameter(request: HttpRequest, known: readonly string[]): HttpResponseInit | undefined {
  const unknown = [...request.query.keys()].find((name) => !known.includes(name));
  return unknown === undefined ? undefined : problem(400, `Unknown query parameter ${unknown}`, `${unknown}: not a parameter${known.length ? ` (${known.join(', ')})` : ' of this endpoint'}`);
}

async function loadQuery(request: HttpRequest): Promise<Parsed<{ services: Services; query: StoredQuery; run: StoredRun | undefined }>> {
  const id = parseParam(request, 'id', queryIdSchema);
  if (!id.ok) return id;
  const services = await getServices();
  const query = await services.queries.get(id.value);
  if (!query) return { ok: false, response: problem(404, `Query ${id.value} does not exist`, 'its results may have passed their retention (SIPHON_QUERY_RETENTION_HOURS)') };
  return { ok: true, value: { services, query, run: await services.runs.get(id.value, query.runId) } };
}

/** GET /api/queries/{id}: status, rows, bytes, error; Retry-After while it has not ended. */
export async function getQuery(request: HttpRequest): Promise<HttpResponseInit> {
  const unknown = unknownParameter(request, []);
  if (unknown) return unknown;
  const loaded = await loadQuery(request);
  if (!loaded.ok) return loaded.response;
  const { services, query, run } = loaded.value;
  const ended = run !== undefined && terminalRunStatuses.has(run.status);
  return json(200, queryBody(services, query, run), ended ? {} : { 'retry-after': pollSeconds });
}

/**
 * POST /api/queries/{id}/cancel: as a run's cancel (the run ends `cancelled`, its lease is freed,
 * its orchestration told); the chunk's status check then aborts the read, and the connector
 * cancels the statement on the server. 409 once the query has ended.
 */
export async function cancelQuery(request: HttpRequest, _context: InvocationContext, orchestrations?: OrchestrationStarter): Promise<HttpResponseInit> {
  const unknown = unknownParameter(request, []);
  if (unknown) return unknown;
  const loaded = await loadQuery(request);
  if (!loaded.ok) return loaded.response;
  const { services, query } = loaded.value;
  const id = query.spec.id;
  const { outcome, run: updated } = await cancelRunRecord(services, id, query.runId, orchestrations);
  if (outcome !== 'cancelled') return problem(409, `Query ${id} is already ${outcome === 'ended' ? updated.status : 'finishing (its result is being written)'}`);
  return json(200, queryBody(services, query, updated));
}

const digits = (max: number) => z.string().regex(/^\d{1,10}$/, 'plain digits').transform(Number).pipe(z.number().int().min(0).max(max));
const resultParamsSchema = z
  .object({
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
    offset: digits(Number.MAX_SAFE_INTEGER).default(0),
    limit: digits(maxResultPageRows).pipe(z.number().min(1)).default(1_000),
  });

/**
 * GET /api/queries/{id}/result?format=jsonl|csv&offset=&limit=: a page of the result rows, read
 * from the written files (see readResultPage). `X-Total-Rows` gives the result's row count and
 * `Link: <...>; rel="next"` the next page while there is one.
 */
export async function getQueryResult(request: HttpRequest): Promise<HttpResponseInit> {
  const unknown = unknownParameter(request, Object.keys(resultParamsSchema.shape));
  if (unknown) return unknown;
  const params = resultParamsSchema.safeParse(Object.fromEntries(request.query.entries()));
  if (!params.success) {
    const issues = zodIssues(params.error);
    return problem(400, 'Invalid query parameter', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  const loaded = await loadQuery(request);
  if (!loaded.ok) return loaded.response;
  const { services, query, run } = loaded.value;
  if (run?.status !== RunStatus.succeeded || !run.columns) return problem(409, `Query ${query.spec.id} is ${run?.status ?? RunStatus.queued}`, 'results exist once it has succeeded');
  const { format, offset, limit } = params.data;
  const files = (await services.chunks.list(query.runId)).sort((a, b) => a.index - b.index).flatMap((chunk) => chunk.files);
  const stored = query.spec.output.format;
  // A query job's format is one of the file formats (spec/queryJob.ts); its pipeline is never Delta.
  if (stored === 'delta') throw new Error(`Query ${query.spec.id} has a Delta output`);
  const body = await readResultPage(services.dataBlobs.getContainerClient(query.spec.output.container), { files, stored, columns: writtenColumns(run.columns, query.spec.output), offset, limit, format });
  const rows = Math.max(0, Math.min(limit, run.rows - offset));
  const headers: Record<string, string> = { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson', 'x-total-rows': String(run.rows) };
  if (offset + rows < run.rows) headers.link = `<${queryUrl(query.spec.id)}/result?format=${format}&offset=${offset + rows}&limit=${limit}>; rel="next"`;
  return { status: 200, body, headers };
}
