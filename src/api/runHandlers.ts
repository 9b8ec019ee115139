import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { getServices } from '../services.js';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';
import { runIdSchema, triggerRunBodySchema } from '../spec/jobMessage.js';
import { enqueueRun } from '../jobs/enqueueRun.js';
import { newRunId } from '../jobs/runId.js';
import { ChunkStatus } from '../spec/runStatus.js';
import type { StoredRun } from '../store/runStore.js';
import type { ChunkRecord } from '../store/chunkStore.js';
import { json, parseJsonBody, parseParam, problem } from './httpResponses.js';

const runUrl = (pipelineId: string, runId: string) => `/api/pipelines/${pipelineId}/runs/${runId}`;

/** What the API shows of a run: the record without the spec snapshot's bulk, plus its URL. */
function runSummary(run: StoredRun) {
  const { spec: _spec, columns: _columns, etag: _etag, orderBy: _orderBy, ...summary } = run;
  return { ...summary, url: runUrl(run.pipelineId, run.runId) };
}

function runProgress(chunks: ChunkRecord[]) {
  return {
    chunksPlanned: chunks.length,
    chunksDone: chunks.filter((chunk) => chunk.status === ChunkStatus.done).length,
    rowsCopied: chunks.reduce((sum, chunk) => sum + chunk.rows, 0),
    bytesWritten: chunks.reduce((sum, chunk) => sum + chunk.bytes, 0),
  };
}

/** POST /api/pipelines/{id}/runs: 202 with the run's URL; the run starts from the job queue. */
export async function triggerRun(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const body = await parseJsonBody(request, triggerRunBodySchema, { options: {} });
  if (!body.ok) return body.response;
  const services = await getServices();
  if (!(await services.pipelines.get(id.value))) return problem(404, `Pipeline ${id.value} does not exist`);
  const runId = newRunId(services.now());
  const { run } = await enqueueRun(services, { runId, pipelineId: id.value, reason: 'manual', options: body.value.options });
  return json(202, runSummary(run), { location: runUrl(id.value, runId) });
}

/** GET /api/pipelines/{id}/runs?limit=N: newest first. */
export async function listRuns(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const limitText = request.query.get('limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return problem(400, 'Invalid query parameter limit', 'limit: a whole number from 1 to 1000');
  const services = await getServices();
  if (!(await services.pipelines.get(id.value))) return problem(404, `Pipeline ${id.value} does not exist`);
  const runs = await services.runs.listByPipeline(id.value, limit);
  return json(200, { runs: runs.map(runSummary) });
}

/** GET /api/pipelines/{id}/runs/{runId}: the run with its progress and chunks. */
export async function getRun(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const runId = parseParam(request, 'runId', runIdSchema);
  if (!runId.ok) return runId.response;
  const services = await getServices();
  const run = await services.runs.get(id.value, runId.value);
  if (!run) return problem(404, `Run ${runId.value} of pipeline ${id.value} does not exist`);
  const chunks = await services.chunks.list(runId.value);
  return json(200, {
    ...runSummary(run),
    progress: runProgress(chunks),
    chunks: chunks.map(({ index, status, rows, bytes, files, startedAt, endedAt }) => ({ index, status, rows, bytes, files: files.length, startedAt, endedAt })),
  });
}
