import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices, type Services } from '../services.js';
import { encodeJobMessage } from '../jobs/jobQueueMessage.js';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import { pipelineIdSchema, runPipelineIdSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { mapWithConcurrency } from '../store/mapWithConcurrency.js';
import { runIdSchema, runOptionsInputSchema, triggerRunBodySchema } from '../spec/jobMessage.js';
import { formatZodError } from '../spec/formatZodError.js';
import { enqueueRun, recordQueued } from '../jobs/enqueueRun.js';
import { queuedAsNextAttempt } from '../jobs/nextRunAttempt.js';
import { cancelRunRecord } from '../jobs/cancelRunRecord.js';
import { newRunId } from '../jobs/runId.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';
import { acquireRunLease, leaseHeldReason, releaseRunLease, type LeaseRefusal } from '../jobs/runLease.js';
import { ChunkStatus, RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { runRowKey, type StoredRun } from '../store/runStore.js';
import type { ChunkRecord } from '../store/chunkStore.js';
import { json, parseJsonBody, parseParam, problem, type Parsed } from './httpResponses.js';
import { commaSeparated, continuationTokenParameter, listLimit, parseQuery } from './queryParameters.js';
import { decodeContinuationToken, encodeContinuationToken } from './continuationToken.js';
import { readPageQuery } from './pageQuery.js';
import type { Caller } from './auth/caller.js';
import { ownersProblem } from './auth/pipelineOwners.js';

/** How long a client should wait before it first polls a run it started (RFC 9110 Retry-After, in seconds). */
const runPollSeconds = '2';

const runUrl = (pipelineId: string, runId: string) => `/api/pipelines/${pipelineId}/runs/${runId}`;

/** What the API shows of a run: the record without the spec snapshot's bulk, plus its URL. */
export function runSummary(run: StoredRun) {
  const { spec: _spec, columns: _columns, etag: _etag, orderBy: _orderBy, ...summary } = run;
  return { ...summary, url: runUrl(run.pipelineId, run.runId) };
}

function runProgress(chunks: ChunkRecord[]) {
  return {
    chunksPlanned: chunks.length,
    chunksDone: chunks.filter((chunk) => chunk.status === ChunkStatus.done).length,
    /** Waiting for a session on the source (source.maxSessions all in use). */
    chunksWaiting: chunks.filter((chunk) => chunk.status === ChunkStatus.waiting).length,
    rowsCopied: chunks.reduce((sum, chunk) => sum + chunk.rows, 0),
    bytesWritten: chunks.reduce((sum, chunk) => sum + chunk.bytes, 0),
  };
}

/** The answer to a trigger or retry while another run of the pipeline holds its run lease. */
function leaseHeld(pipelineId: string, holder: LeaseRefusal): HttpResponseInit {
  return problem(409, `Pipeline ${pipelineId} has a run in progress: ${holder.runId}`, `${leaseHeldReason(pipelineId, holder)}; wait for it to end (${runUrl(pipelineId, holder.runId)}) or cancel it`);
}

/**
 * POST /api/pipelines/{id}/runs: 202 with the run's URL; the run starts from the job queue.
 * 409 naming the run in progress when another run holds the pipeline's run lease.
 */
export async function triggerRun(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const body = await parseJsonBody(request, triggerRunBodySchema, { options: {} });
  if (!body.ok) return body.response;
  const services = await getServices();
  const pipeline = await services.pipelines.get(id.value);
  if (!pipeline) return problem(404, `Pipeline ${id.value} does not exist`);
  const denied = ownersProblem(caller, id.value, pipeline.spec.owners);
  if (denied) return denied;
  const { options } = body.value;
  if (options.fullRefresh && !keepsPosition(pipeline.spec)) {
    return problem(400, 'The request body is invalid', `options.fullRefresh: pipeline ${id.value} keeps no position to start over from (neither incremental nor change capture)`, [{ path: 'options.fullRefresh', message: 'the pipeline is neither incremental nor change capture' }]);
  }
  if (options.backfill && !pipeline.spec.incremental) {
    return problem(400, 'The request body is invalid', `options.backfill: pipeline ${id.value} is not incremental`, [{ path: 'options.backfill', message: 'the pipeline is not incremental' }]);
  }
  const runId = newRunId(services.now());
  const outcome = await enqueueRun(services, { runId, pipelineId: id.value, reason: 'manual', options: body.value.options, attempt: 0 }, pipeline.generation);
  if (outcome.pipelineGone) return problem(404, `Pipeline ${id.value} does not exist`, 'it was deleted while the run was being started');
  if (outcome.refusedBy) return leaseHeld(id.value, outcome.refusedBy);
  return json(202, runSummary(outcome.run), { location: runUrl(id.value, runId), 'retry-after': runPollSeconds });
}

/** A position in a pipeline's runs: a run row key (runRowKey of a valid run id), nothing else. */
const runRowKeyPosition = z.strictObject({ rowKey: z.string().max(200) }).refine(({ rowKey }) => {
  const runId = runIdSchema.safeParse(rowKey.slice(15));
  return runId.success && runRowKey(runId.data) === rowKey;
});

/**
 * GET /api/pipelines/{id}/runs?status=&limit=&continuationToken=: newest first, `status` one or
 * several statuses, comma-separated. A page fills up before it answers (see RunStore.listPage).
 */
export async function listRuns(request: HttpRequest): Promise<HttpResponseInit> {
  const id = parseParam(request, 'id', pipelineIdSchema);
  if (!id.ok) return id.response;
  const query = parseQuery(request, { status: commaSeparated(Object.values(RunStatus) as [RunStatus, ...RunStatus[]]).optional(), limit: listLimit(50), continuationToken: continuationTokenParameter });
  if (!query.ok) return query.response;
  const { status, limit } = query.value;
  const filters = { pipeline: id.value, statuses: status?.sort() };
  const after = decodeContinuationToken(query.value.continuationToken, 'pipelineRuns', filters, runRowKeyPosition);
  if (!after.ok) return after.response;
  const services = await getServices();
  if (!(await services.pipelines.get(id.value))) return problem(404, `Pipeline ${id.value} does not exist`);
  const page = await services.runs.listPage(id.value, { limit, statuses: status, afterRowKey: after.value?.rowKey });
  return json(200, {
    runs: page.runs.map(runSummary),
    ...(page.nextRowKey ? { continuationToken: encodeContinuationToken('pipelineRuns', filters, { rowKey: page.nextRowKey }) } : {}),
  });
}

/** How many chunks the run's own answer includes; the rest page through `chunksUrl`. */
export const chunksInRunDetail = 100;

/** A chunk as the API shows it: its range of the split key (digits, as the run's keyKind reads them), its state, each attempt with its error, volume, where its time went, and its reconciliation with the source. */
function chunkDetail({ index, range, status, rows, bytes, files, startedAt, endedAt, attempts, timings, reconciliation }: ChunkRecord) {
  return { index, range, status, attempts: attempts ?? [], rows, bytes, files: files.length, startedAt, endedAt, timings, ...(reconciliation ? { reconciliation } : {}) };
}

/**
 * GET /api/pipelines/{id}/runs/{runId}: the run with its progress over all chunks, and the first
 * chunksInRunDetail chunks; `chunksUrl` pages through all of them.
 */
export async function getRun(request: HttpRequest): Promise<HttpResponseInit> {
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  const chunks = await services.chunks.list(run.runId);
  return json(200, {
    ...runSummary(run),
    ...(run.tables ? { tableRuns: await tableRunsOf(services, run) } : {}),
    progress: runProgress(chunks),
    chunks: chunks.slice(0, chunksInRunDetail).map(chunkDetail),
    chunksUrl: `${runUrl(run.pipelineId, run.runId)}/chunks`,
    eventsUrl: `${runUrl(run.pipelineId, run.runId)}/events`,
  });
}

/**
 * Whether a run can start over (options.fullRefresh): an incremental pipeline from its watermark,
 * a change-capture one from its state or change-table position (a snapshot), a many-table one
 * when any table is either.
 */
function keepsPosition(spec: PipelineSpec): boolean {
  const keeps = (settings: { incremental?: unknown; changeCapture?: unknown }) => settings.incremental !== undefined || settings.changeCapture !== undefined;
  return keeps(spec) || (spec.tables ?? []).some((entry) => typeof entry !== 'string' && keeps(entry));
}

/** A table's run is cancelled and retried with the run it is part of. */
function partOfProblem(run: StoredRun, verb: 'cancelled' | 'retried'): HttpResponseInit {
  const { partOf } = run;
  return problem(409, `Run ${run.runId} copies table ${partOf!.table} of run ${partOf!.runId} of pipeline ${partOf!.pipelineId}; that run is ${verb}, not its tables`, `${verb === 'retried' ? 'Retry' : 'Cancel'} ${runUrl(partOf!.pipelineId, partOf!.runId)}`);
}

/** Each table's run of a many-table run, in the run's order, as summaries with their own URLs (chunks, events, files). */
async function tableRunsOf(services: Services, run: StoredRun) {
  const tables = await services.runTables.list(run.runId);
  return mapWithConcurrency(tables, 8, async (table) => {
    const tableRun = await services.runs.getSummary(table.pipelineId, table.runId);
    return {
      table: `${table.schema}.${table.name}`,
      pipelineId: table.pipelineId,
      runId: table.runId,
      status: tableRun?.status ?? 'missing',
      attempt: tableRun?.attempt ?? 0,
      rows: tableRun?.rows ?? 0,
      bytes: tableRun?.bytes ?? 0,
      files: tableRun?.files ?? 0,
      chunksPlanned: tableRun?.chunksPlanned ?? 0,
      ...(tableRun?.startedAt ? { startedAt: tableRun.startedAt } : {}),
      ...(tableRun?.endedAt ? { endedAt: tableRun.endedAt } : {}),
      ...(tableRun?.window ? { window: tableRun.window } : {}),
      ...(tableRun?.error ? { error: tableRun.error } : {}),
      ...(tableRun?.statusReason ? { statusReason: tableRun.statusReason } : {}),
      ...(tableRun?.manifestPath ? { manifestPath: tableRun.manifestPath } : {}),
      url: runUrl(table.pipelineId, table.runId),
    };
  });
}

/** Why a kept run cannot go on: its pipeline was deleted (and maybe created again), or undefined. */
async function deletedPipelineOf(services: Services, run: StoredRun): Promise<string | undefined> {
  const pipeline = await services.pipelines.get(run.pipelineId);
  const generation = runGeneration(run);
  if (!pipeline) return `Run ${run.runId} cannot go on: pipeline ${run.pipelineId} was deleted`;
  if (pipeline.generation !== generation) return `Run ${run.runId} belongs to an earlier pipeline ${run.pipelineId} that was deleted (generation ${generation}; the pipeline now is generation ${pipeline.generation}); trigger a new run instead`;
  return undefined;
}

/**
 * The owners who may cancel or retry a run: its pipeline's as they are now, or, when the run
 * belongs to a pipeline since deleted (or deleted and created again), those recorded with it.
 */
async function ownersOfRun(services: Services, run: StoredRun): Promise<readonly string[] | undefined> {
  const pipeline = await services.pipelines.get(run.pipelineId);
  if (pipeline && pipeline.generation === runGeneration(run)) return pipeline.spec.owners;
  return run.spec?.owners ?? pipeline?.spec.owners;
}

/** GET /api/pipelines/{id}/runs/{runId}/chunks?limit=&continuationToken=: the run's chunks in index order. */
export async function listRunChunks(request: HttpRequest): Promise<HttpResponseInit> {
  const query = readPageQuery(request, { defaultLimit: 100 });
  if (!query.ok) return query.response;
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  const page = await services.chunks.listPage(run.runId, query.value);
  return json(200, { chunks: page.chunks.map(chunkDetail), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
}

/**
 * GET /api/pipelines/{id}/runs/{runId}/events?limit=&continuationToken=&after=: the run's
 * timeline in order. `after=<sequence>` starts behind an event already seen, so a live view
 * polls only for what is new.
 */
export async function listRunEvents(request: HttpRequest): Promise<HttpResponseInit> {
  const query = readPageQuery(request, { defaultLimit: 100, allowAfter: true });
  if (!query.ok) return query.response;
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  const page = await services.runEvents.list(run.runId, query.value);
  return json(200, { events: page.events, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
}

const retryableStatuses: ReadonlySet<string> = new Set([RunStatus.failed, RunStatus.timedOut, RunStatus.cancelled]);

/** The run a route names ({id}, {runId}), with the services; a 400 for a malformed id, a 404 for an unknown run. */
export async function loadRun(request: HttpRequest): Promise<Parsed<{ services: Services; run: StoredRun }>> {
  // A table's run of a many-table run is read under its table pipeline's id (tables/), as the run's `tables` link it.
  const id = parseParam(request, 'id', runPipelineIdSchema);
  if (!id.ok) return id;
  const runId = parseParam(request, 'runId', runIdSchema);
  if (!runId.ok) return runId;
  const services = await getServices();
  const run = await services.runs.get(id.value, runId.value);
  if (!run) return { ok: false, response: problem(404, `Run ${runId.value} of pipeline ${id.value} does not exist`) };
  return { ok: true, value: { services, run } };
}

/**
 * POST /api/pipelines/{id}/runs/{runId}/cancel: the run ends `cancelled` at once; its chunks
 * notice within seconds and stop, and the orchestration is told through the cancel event. No
 * manifest is written for a cancelled run, and its files are deleted (cleanupRun: by the
 * orchestration's ending, and by the sweep for chunks that commit late).
 */
export async function cancelRun(request: HttpRequest, _context: InvocationContext, orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  if (run.partOf) return partOfProblem(run, 'cancelled');
  const denied = ownersProblem(caller, run.pipelineId, await ownersOfRun(services, run));
  if (denied) return denied;
  const { outcome, run: updated } = await cancelRunRecord(services, run.pipelineId, run.runId, orchestrations);
  if (outcome === 'finalizing') return problem(409, `Run ${run.runId} is finalizing: every chunk is copied and its manifest is being written (since ${updated.finalizingSince})`);
  if (outcome === 'ended') return problem(409, `Run ${run.runId} is already ${updated.status}`);
  return json(200, runSummary(updated));
}

/**
 * POST /api/pipelines/{id}/runs/{runId}/retry: a failed, timed-out or cancelled run runs again
 * under the same id, as a new attempt. Its plan is kept and its chunks are copied to the same
 * names: those the ending's cleanup reset (all of them, normally) are copied again, and any still
 * recorded done (a retry that came before the cleanup) keep their files, listed in the manifest.
 * While a cleanup is deleting the run's files the retry is refused (409): copying meanwhile could
 * list a file the cleanup then deletes.
 */
export async function retryRun(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  if (run.partOf) return partOfProblem(run, 'retried');
  const denied = ownersProblem(caller, run.pipelineId, await ownersOfRun(services, run));
  if (denied) return denied;
  if (!retryableStatuses.has(run.status)) return problem(409, `Run ${run.runId} is ${run.status}; only failed, timed-out or cancelled runs can be retried`);

  // Options recorded before today's rules (backfill bounds checked since) cannot go on the queue.
  const options = runOptionsInputSchema.safeParse(run.options ?? {});
  if (!options.success) return problem(409, `Run ${run.runId} was recorded with options this version refuses (${formatZodError(options.error)}); trigger a new run instead`);
  // The new attempt takes the lease before it is queued, as a new run would.
  const lease = await acquireRunLease(services, run.pipelineId, { runId: run.runId, attempt: run.attempt + 1 });
  if (!lease.acquired) return leaseHeld(run.pipelineId, lease.holder);
  // A run kept from a deleted pipeline of the same id belongs to that pipeline, not to this one.
  // Checked under the lease: a delete holds it while it deletes, so this read sees the outcome.
  const gone = await deletedPipelineOf(services, run);
  if (gone) {
    await releaseRunLease(services, run.pipelineId, run.runId);
    return problem(409, gone);
  }
  let retried = false;
  const updated = await services.runs
    .update(run.pipelineId, run.runId, (current) => {
      // The attempt the lease was taken for, or nothing: a concurrent retry got there first; and
      // never while a cleanup is deleting the files the retry would write again.
      retried = retryableStatuses.has(current.status) && current.attempt === run.attempt && current.cleaningSince === undefined;
      if (!retried) return undefined;
      return queuedAsNextAttempt(current);
    })
    .catch(async (err: unknown) => {
      // Not queued: free the lease now rather than after its grace period.
      await releaseRunLease(services, run.pipelineId, run.runId).catch(() => undefined);
      throw err;
    });
  if (!retried) {
    if (terminalRunStatuses.has(updated.status)) await releaseRunLease(services, run.pipelineId, run.runId);
    if (updated.cleaningSince !== undefined) {
      return problem(409, `Run ${run.runId}'s files are being deleted (cleanup since ${updated.cleaningSince}); retry it once that is done`);
    }
    return problem(409, `Run ${run.runId} is ${updated.status} (attempt ${updated.attempt}); only failed, timed-out or cancelled runs can be retried`);
  }
  await recordQueued(services, updated, services.now());
  await services.jobQueue.sendMessage(encodeJobMessage({ runId: run.runId, pipelineId: run.pipelineId, reason: 'retry', options: updated.options ?? {}, attempt: updated.attempt }));
  return json(202, runSummary(updated), { location: runUrl(run.pipelineId, run.runId), 'retry-after': runPollSeconds });
}
