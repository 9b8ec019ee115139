import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices, type Services } from '../services.js';
import { findDependencyCycle } from './dependencyCycle.js';
import { pipelineIdSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../spec/pipelineSpecInput.js';
import { ConcurrencyConflictError } from '../store/tableErrors.js';
import type { StoredPipeline } from '../store/pipelineStore.js';
import { queryIdPrefix } from '../store/queryStore.js';
import { json, parseJsonBody, parseParam, problem } from './httpResponses.js';
import { readIfMatch } from './ifMatch.js';
import { continuationTokenParameter, listLimit, parseQuery } from './queryParameters.js';
import { decodeContinuationToken, encodeContinuationToken } from './continuationToken.js';
import { deletePipeline } from '../jobs/deletePipeline.js';
import { leaseHeldReason } from '../jobs/runLease.js';
import { planView } from './planHandlers.js';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import type { Caller } from './auth/caller.js';
import { newOwnersProblem, ownersProblem } from './auth/pipelineOwners.js';

function pipelineBody(stored: StoredPipeline) {
  return { ...stored.spec, generation: stored.generation, schedulePaused: stored.schedulePaused, createdAt: stored.createdAt, updatedAt: stored.updatedAt, etag: stored.etag };
}

/**
 * A spec whose dependsOn names an unknown pipeline or closes a cycle is refused with 400 at
 * `dependsOn`: a cycle would leave every pipeline in it skipped forever.
 */
export async function dependencyProblem(services: Services, spec: PipelineSpec): Promise<HttpResponseInit | undefined> {
  const dependsOn = spec.dependsOn ?? [];
  if (dependsOn.length === 0) return undefined;
  const pipelines = new Map((await services.pipelines.list()).map((stored) => [stored.spec.id, stored.spec.dependsOn ?? []]));
  const unknown = dependsOn.filter((upstream) => !pipelines.has(upstream));
  if (unknown.length) return invalidDependsOn(`unknown pipeline ${unknown.join(', ')}`);
  const cycle = findDependencyCycle(spec.id, dependsOn, (id) => pipelines.get(id) ?? []);
  if (cycle) return invalidDependsOn(`dependency cycle ${cycle.join(' -> ')}`);
  return undefined;
}

function invalidDependsOn(message: string): HttpResponseInit {
  return problem(400, 'The request body is invalid', `dependsOn: ${message}`, [{ path: 'dependsOn', message }]);
}

/** An If-Match that was one of our ETags but is no longer current: 412, as RFC 9110 says for a failed precondition. */
function stale(err: ConcurrencyConflictError): HttpResponseInit {
  return problem(412, err.message, 'If-Match: the pipeline changed since you read it; read it again and reapply your change');
}

/** `?flag=true|false`, false when left out. */
const flag = z.enum(['true', 'false'], 'true or false').default('false');

/**
 * POST /api/pipelines[?validateSource=true]: the checks that need no source always; with
 * validateSource also the source's (see planHandlers): 400 naming each refused field, nothing stored.
 */
export async function createPipeline(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const query = parseQuery(request, { validateSource: flag });
  if (!query.ok) return query.response;
  const body = await parseJsonBody(request, pipelineSpecInputSchema);
  if (!body.ok) return body.response;
  const handedAway = newOwnersProblem(caller, body.value.id, body.value.owners);
  if (handedAway) return handedAway;
  if (body.value.id.startsWith(queryIdPrefix)) return problem(400, 'The request body is invalid', `id: ids starting with ${queryIdPrefix} are reserved for query jobs`, [{ path: 'id', message: `ids starting with ${queryIdPrefix} are reserved for query jobs` }]);
  const services = await getServices();
  const invalid = await dependencyProblem(services, body.value);
  if (invalid) return invalid;
  if (query.value.validateSource === 'true') {
    const plan = await planView(services, body.value);
    if (!plan.valid) {
      const errors = plan.refusals.map((refusal) => ({ path: refusal.path, message: refusal.reason }));
      return problem(400, 'The source refuses the pipeline', errors.map((error) => `${error.path}: ${error.message}`).join('; '), errors);
    }
  }
  const created = await services.pipelines.create(body.value, services.now());
  if (!created) return problem(409, `Pipeline ${body.value.id} already exists`, 'update it with PUT /api/pipelines/{id} and If-Match');
  // A new pipeline has no watermark: one left by a predecessor of this id whose delete stopped
  // half-way (deletePipeline) must not make the first run incremental from the old position.
  await services.watermarks.delete(created.spec.id);
  // Nor a change-table position (changeTracking, cdc): its first run is a snapshot.
  await services.changeVersions.delete(created.spec.id);
  // Nor a schema: the first run records the schema, it does not drift from a predecessor's.
  await services.schemas.deleteAll(created.spec.id);
  return json(201, pipelineBody(created), { etag: created.etag, location: `/api/pipelines/${created.spec.id}` });
}

/** GET /api/pipelines?limit=&continuationToken=: in id order, 100 to a page unless `limit` says otherwise. */
export async function listPipelines(request: HttpRequest): Promise<HttpResponseInit> {
  const query = parseQuery(request, { limit: listLimit(100), continuationToken: continuationTokenParameter });
  if (!query.ok) return query.response;
  const after = decodeContinuationToken(query.value.continuationToken, 'pipelines', {}, z.strictObject({ afterId: pipelineIdSchema }));
  if (!after.ok) return after.response;
  const services = await getServices();
  const page = await services.pipelines.listPage(query.value.limit, after.value?.afterId);
  return json(200, {
    pipelines: page.pipelines.map(pipelineBody),
    ...(page.nextAfterId ? { continuationToken: encodeContinuationToken('pipelines', {}, { afterId: page.nextAfterId }) } : {}),
  });
}

/** GET /api/pipelines/{id} */
export async function getPipeline(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const services = await getServices();
  const stored = await services.pipelines.get(id.value);
  if (!stored) return problem(404, `Pipeline ${id.value} does not exist`);
  return json(200, pipelineBody(stored), { etag: stored.etag });
}

/** PUT /api/pipelines/{id} with If-Match: the ETag from the last read. */
export async function updatePipeline(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  // The header first: a change without a usable ETag is refused before its body is read.
  const ifMatch = readIfMatch(request);
  if (!ifMatch.ok) return ifMatch.response;
  const body = await parseJsonBody(request, pipelineSpecInputSchema);
  if (!body.ok) return body.response;
  if (body.value.id !== id.value) return problem(400, 'The request body is invalid', `id: must equal the pipeline id in the path (${id.value})`, [{ path: 'id', message: 'must equal the path id' }]);
  const services = await getServices();
  const stored = await services.pipelines.get(id.value);
  if (!stored) return problem(404, `Pipeline ${id.value} does not exist`);
  // Both: the owners it has (no taking it over) and the owners it would get (no handing it away).
  // A change of owners between this read and the write changes the ETag, and If-Match then fails.
  const denied = ownersProblem(caller, id.value, stored.spec.owners) ?? newOwnersProblem(caller, id.value, body.value.owners);
  if (denied) return denied;
  const invalid = await dependencyProblem(services, body.value);
  if (invalid) return invalid;
  try {
    const updated = await services.pipelines.update(body.value, ifMatch.value, services.now());
    return json(200, pipelineBody(updated), { etag: updated.etag });
  } catch (err) {
    if (err instanceof ConcurrencyConflictError) return stale(err);
    throw err;
  }
}

/** POST /api/pipelines/{id}/schedule/pause and .../resume, with If-Match: runs on demand still start. */
export function setSchedulePaused(paused: boolean) {
  return async (request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> => {
    const id = parseParam(request, 'id', pipelineIdSchema);
    if (!id.ok) return id.response;
    const ifMatch = readIfMatch(request);
    if (!ifMatch.ok) return ifMatch.response;
    const services = await getServices();
    const stored = await services.pipelines.get(id.value);
    if (!stored) return problem(404, `Pipeline ${id.value} does not exist`);
    const denied = ownersProblem(caller, id.value, stored.spec.owners);
    if (denied) return denied;
    try {
      const updated = await services.pipelines.setSchedulePaused(id.value, paused, ifMatch.value, services.now());
      return json(200, pipelineBody(updated), { etag: updated.etag });
    } catch (err) {
      if (err instanceof ConcurrencyConflictError) return stale(err);
      throw err;
    }
  };
}


/**
 * DELETE /api/pipelines/{id}?purgeHistory=true|false with If-Match: see jobs/deletePipeline.ts.
 * 409 while a run holds the pipeline's run lease or while another pipeline depends on it.
 */
export async function deletePipelineHandler(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const ifMatch = readIfMatch(request);
  if (!ifMatch.ok) return ifMatch.response;
  const query = parseQuery(request, { purgeHistory: flag });
  if (!query.ok) return query.response;
  const services = await getServices();
  // The owners of the version the caller read: deletePipeline refuses any other (If-Match).
  const stored = await services.pipelines.get(id.value);
  const denied = stored && ownersProblem(caller, id.value, stored.spec.owners);
  if (denied) return denied;
  const result = await deletePipeline(services, id.value, ifMatch.value, { purgeHistory: query.value.purgeHistory === 'true' });
  switch (result.outcome) {
    case 'notFound':
      return problem(404, `Pipeline ${id.value} does not exist`);
    case 'stale':
      return problem(412, `Pipeline ${id.value} was changed by someone else (ETag mismatch)`, 'If-Match: the pipeline changed since you read it; read it again before you delete it');
    case 'hasDependents':
      return problem(409, `Pipeline ${id.value} has dependents: ${result.dependents.join(', ')}`, `pipelines ${result.dependents.join(', ')} name ${id.value} in dependsOn; remove it there (or delete them) first`);
    case 'runInProgress':
      return problem(409, `Pipeline ${id.value} has a run in progress: ${result.holder.runId}`, `${leaseHeldReason(id.value, result.holder)}; wait for it to end or cancel it, then delete`);
    case 'deleted':
      return json(200, { id: id.value, generation: result.pipeline.generation, deleted: true, purgedHistory: result.purged ?? null });
  }
}
