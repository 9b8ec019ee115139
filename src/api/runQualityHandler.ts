import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { json } from './httpResponses.js';
import { parseQuery } from './queryParameters.js';
import { loadRun } from './runHandlers.js';

/**
 * GET /api/pipelines/{id}/runs/{runId}/quality: what the run's quality checks found (the run
 * record's `quality`: each check's outcome, measured value and bound), or `quality: null` while
 * the run has not reached them or its pipeline has none.
 */
export async function getRunQuality(request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(request, {});
  if (!query.ok) return query.response;
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { run } = loaded.value;
  return json(200, { pipelineId: run.pipelineId, runId: run.runId, status: run.status, quality: run.quality ?? null });
}
