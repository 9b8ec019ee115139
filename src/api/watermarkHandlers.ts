import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices, type Services } from '../services.js';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';
import { cursorText, parseCursorText } from '../copy/cursorValues.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import { newRunId } from '../jobs/runId.js';
import { acquireRunLease, leaseHeldReason, releaseRunLease } from '../jobs/runLease.js';
import { ConcurrencyConflictError } from '../store/tableErrors.js';
import type { Watermark } from '../store/watermarkStore.js';
import { appendRunEvent, pipelineEventPartition, RunEventType } from '../store/runEventStore.js';
import { json, parseJsonBody, parseParam, problem, type Parsed } from './httpResponses.js';
import { readIfMatch } from './ifMatch.js';
import { readPageQuery } from './pageQuery.js';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import type { Caller } from './auth/caller.js';
import { ownersProblem } from './auth/pipelineOwners.js';

/** The watermark as people read it: the value as typed text (ISO timestamp, YYYY-MM-DD, digits), its digits beside it. */
function watermarkBody(pipelineId: string, watermark: Watermark) {
  return {
    pipelineId,
    column: watermark.column,
    kind: watermark.kind,
    value: cursorText(watermark.kind, watermark.value),
    digits: watermark.value,
    runId: watermark.runId,
    updatedAt: watermark.updatedAt,
    ...(watermark.resetAt ? { resetAt: watermark.resetAt } : {}),
  };
}

/**
 * The pipeline's stored watermark, or the 404 that says why there is none: no such pipeline, a
 * pipeline that is not incremental (it never has one), or one whose first run has not finished.
 */
async function loadWatermark(services: Services, pipelineId: string, caller?: Caller): Promise<Parsed<Watermark & { etag: string }>> {
  const pipeline = await services.pipelines.get(pipelineId);
  if (!pipeline) return { ok: false, response: problem(404, `Pipeline ${pipelineId} does not exist`) };
  // Given a caller (a reset), the pipeline's owners are checked before anything else is said.
  const denied = caller && ownersProblem(caller, pipelineId, pipeline.spec.owners);
  if (denied) return { ok: false, response: denied };
  if (!pipeline.spec.incremental) return { ok: false, response: problem(404, `Pipeline ${pipelineId} is not incremental`, 'only an incremental pipeline has a watermark') };
  const watermark = await services.watermarks.get(pipelineId);
  if (!watermark) return { ok: false, response: problem(404, `Pipeline ${pipelineId} has no watermark yet`, 'its first successful run sets it') };
  return { ok: true, value: watermark };
}

/** GET /api/pipelines/{id}/watermark, with the ETag a reset sends back as If-Match. */
export async function getWatermark(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const services = await getServices();
  const watermark = await loadWatermark(services, id.value);
  if (!watermark.ok) return watermark.response;
  return json(200, watermarkBody(id.value, watermark.value), { etag: watermark.value.etag });
}

const resetBodySchema = z.object({ value: z.string().min(1).max(100) }).strict();

/**
 * PUT /api/pipelines/{id}/watermark with If-Match and `{ "value": "<typed text>" }`: sets the
 * watermark to the value, lower or higher. The one deliberate exception to "a watermark never
 * moves back", so it is fenced: the reset takes the pipeline's run lease for itself while it
 * writes (a run that holds it: 409 naming the run; a trigger meanwhile is refused for those
 * milliseconds), and it is recorded as a `watermarkReset` event with the old and new value in
 * the events table's partition `pipeline:<id>`.
 */
export async function resetWatermark(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const ifMatch = readIfMatch(request, 'watermark');
  if (!ifMatch.ok) return ifMatch.response;
  const body = await parseJsonBody(request, resetBodySchema);
  if (!body.ok) return body.response;
  const services = await getServices();
  const loaded = await loadWatermark(services, id.value, caller);
  if (!loaded.ok) return loaded.response;
  const { etag: currentEtag, ...current } = loaded.value;
  let digits: string;
  try {
    digits = parseCursorText(current.kind, body.value.value, 'value');
  } catch (err) {
    if (!(err instanceof NonRetryableError)) throw err;
    return problem(400, 'The request body is invalid', err.message, [{ path: 'value', message: err.message.replace(/^value: /, '') }]);
  }
  if (ifMatch.value !== currentEtag) return stale();

  // The reset's own claim on the lease: a run cannot start (or be running) while the value moves.
  const resetId = newRunId(services.now());
  const lease = await acquireRunLease(services, id.value, { runId: resetId, attempt: 0 });
  if (!lease.acquired) {
    return problem(409, `Pipeline ${id.value} has a run in progress: ${lease.holder.runId}`, `${leaseHeldReason(id.value, lease.holder)}; the watermark can be reset only while no run holds the pipeline; wait for it to end or cancel it`);
  }
  try {
    const resetAt = services.now().toISOString();
    const next: Watermark = { ...current, value: digits, resetAt };
    let etag: string;
    try {
      etag = await services.watermarks.reset(id.value, next, currentEtag);
    } catch (err) {
      if (err instanceof ConcurrencyConflictError) return stale();
      throw err;
    }
    await appendRunEvent(services, pipelineEventPartition(id.value), {
      type: RunEventType.watermarkReset,
      key: `watermarkReset:${resetId}`,
      at: new Date(resetAt),
      fields: { pipelineId: id.value, column: current.column, kind: current.kind, oldValue: cursorText(current.kind, current.value), newValue: cursorText(current.kind, digits), oldDigits: current.value, newDigits: digits },
    });
    return json(200, watermarkBody(id.value, next), { etag });
  } finally {
    await releaseRunLease(services, id.value, resetId);
  }
}

function stale(): HttpResponseInit {
  return problem(412, 'The watermark changed since you read it', 'If-Match: read the watermark again and reapply your change');
}

/**
 * GET /api/pipelines/{id}/events?limit=&continuationToken=&after=: events of the pipeline rather
 * than of one run (today: watermark resets), from the events table's partition `pipeline:<id>`.
 */
export async function listPipelineEvents(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const query = readPageQuery(request, { defaultLimit: 100, allowAfter: true });
  if (!query.ok) return query.response;
  const services = await getServices();
  if (!(await services.pipelines.get(id.value))) return problem(404, `Pipeline ${id.value} does not exist`);
  const page = await services.runEvents.list(pipelineEventPartition(id.value), query.value);
  return json(200, { events: page.events, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
}
