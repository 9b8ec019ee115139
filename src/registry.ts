import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { createPipeline, getPipeline, listPipelines, setSchedulePaused, updatePipeline } from './api/pipelineHandlers.js';
import { deletePipelineHandler } from './api/pipelineHandlers.js';
import { planPipeline, validatePipeline } from './api/planHandlers.js';
import { cancelRun, getRun, listRuns, retryRun, triggerRun } from './api/runHandlers.js';
import { reingestRun } from './api/reingestHandler.js';
import { listRunChunks, listRunEvents } from './api/runHandlers.js';
import { getRunQuality } from './api/runQualityHandler.js';
import { listRunFiles } from './api/runFilesHandler.js';
import { getWatermark, listPipelineEvents, resetWatermark } from './api/watermarkHandlers.js';
import { getPipelineSchema } from './api/schemaHandler.js';
import { health } from './api/healthHandler.js';
import { serveUi } from './api/uiHandler.js';
import { listAllRuns } from './api/listAllRunsHandler.js';
import { problem } from './api/httpResponses.js';
import { screenRequest } from './api/screenRequest.js';
import { conditionalGet } from './api/conditionalGet.js';
import { streamRunEvents } from './api/runEventStreamHandler.js';
import { getOverview } from './api/overviewHandler.js';
import { ensureErrorType, errorMessage } from './errors/errorTypes.js';
import { capError } from './errors/capMessage.js';
import { getServices } from './services.js';
import { schedulerTick } from './schedule/schedulerTick.js';
import { startRun } from './jobs/startRun.js';
import { failPoisonedJob } from './jobs/failPoisonedJob.js';
import type { OrchestrationStarter } from './jobs/orchestrationStarter.js';
import { copyRunOrchestrator } from './orchestration/copyRunOrchestrator.js';
import { copyChunksOrchestrator } from './orchestration/copyChunksOrchestrator.js';
import { Activities, Orchestrations } from './orchestration/functionNames.js';
import { prepareRun } from './orchestration/prepareRun.js';
import { prepareTableRun } from './tables/prepareTableRun.js';
import { stopTables } from './tables/stopTables.js';
import { finishTablesRun } from './tables/finishTablesRun.js';
import { copyChunkActivity } from './orchestration/copyChunkActivity.js';
import { finalizeRun } from './orchestration/finalizeRun.js';
import { failRun } from './orchestration/failRun.js';
import { cleanupRun } from './orchestration/cleanupRun.js';
import { sweepEndedRuns } from './jobs/sweepEndedRuns.js';
import { backfillRunIndex } from './jobs/backfillRunIndex.js';
import { acquireSlotInputSchema, copyChunkInputSchema, failRunInputSchema, runRefSchema, stopTablesInputSchema, tableRunInputSchema } from './orchestration/activityContracts.js';
import { acquireSourceSlotActivity } from './orchestration/acquireSourceSlotActivity.js';
import { runEventLog } from './observability/runEvents.js';
import { flushTelemetry } from './observability/telemetry.js';
import { cancelQuery, getQuery, getQueryResult, submitQuery } from './api/queryHandlers.js';
import { sweepExpiredQueries } from './jobs/sweepExpiredQueries.js';
import { me } from './api/meHandler.js';
import { authorizeRequest } from './api/auth/authorizeRequest.js';
import type { Caller } from './api/auth/caller.js';
import type { Access } from './api/auth/roles.js';
import { deliverNotification } from './notify/deliverNotification.js';
import { listNotificationTargets } from './api/notificationTargetsHandler.js';

/**
 * Every function Siphon has: its name, its trigger, and its handler. functions/ registers these
 * with the Azure Functions host and the local runtime serves the same list, so the two can never
 * disagree. Handlers take plain inputs; the host-specific parts (the durable client) come in
 * through small interfaces.
 */
export type HttpFunction = {
  kind: 'http';
  name: string;
  methods: Array<'GET' | 'POST' | 'PUT' | 'DELETE'>;
  route: string;
  /** What the caller needs (see authorizeRequest); checked by the wrapper before the handler runs. */
  access: Access;
  /** `orchestrations` is the durable client (the Functions host) or the local engine. */
  handler: (request: HttpRequest, context: InvocationContext, orchestrations?: OrchestrationStarter) => Promise<HttpResponseInit>;
};

/** A handler behind a role: it gets the caller the wrapper identified, never re-reading headers for it. */
export type CallerHandler = (request: HttpRequest, context: InvocationContext, orchestrations: OrchestrationStarter | undefined, caller: Caller) => Promise<HttpResponseInit>;
export type TimerFunction = { kind: 'timer'; name: string; schedule: string; handler: (context: InvocationContext) => Promise<void> };
export type QueueFunction = {
  kind: 'queue';
  name: string;
  /** The app setting that holds the queue name; `suffix` is appended to its value. */
  queueSetting: 'SIPHON_JOB_QUEUE' | 'SIPHON_NOTIFICATION_QUEUE';
  suffix: '' | '-poison';
  handler: (message: unknown, context: InvocationContext, starter: OrchestrationStarter) => Promise<void>;
};
export type OrchestrationFunction = { kind: 'orchestration'; name: string; handler: OrchestrationHandler };
export type ActivityFunction = { kind: 'activity'; name: string; handler: (input: unknown, context: InvocationContext) => Promise<unknown> };

export type FunctionDefinition = HttpFunction | TimerFunction | QueueFunction | OrchestrationFunction | ActivityFunction;

/**
 * Every HTTP function behind a role, under the Functions host and the local runtime alike: the
 * caller is identified and its role checked first (authorizeRequest: 401 without a principal
 * unless the app runs locally, 403 without the role), then the request is screened from its
 * headers (content type, declared length: see screenRequest); a 200 JSON answer to a GET gets
 * its ETag and answers a matching If-None-Match with 304 (conditionalGet: after the role check,
 * so a refused request never learns a 304); and an unexpected error becomes a 500 that names
 * only the invocation; its text (scrubbed of secrets) goes to the log, never to the caller.
 */
function http(name: string, methods: HttpFunction['methods'], route: string, access: 'reader' | 'operator', handler: CallerHandler): HttpFunction {
  return guarded(name, methods, route, access, async (request, context, orchestrations) => {
    const caller = authorizeRequest(request, access);
    if (!caller.ok) return caller.response;
    return screenRequest(request) ?? (await handler(request, context, orchestrations, caller.value));
  });
}

/**
 * The two functions anyone may call: health (App Service Authentication leaves /api/health open
 * for probes) and the dashboard's static files (their page is guarded by App Service
 * Authentication itself, which sends a browser without a session to sign in).
 */
function publicHttp(name: string, methods: HttpFunction['methods'], route: string, handler: HttpFunction['handler']): HttpFunction {
  return guarded(name, methods, route, 'public', async (request, context, orchestrations) => screenRequest(request) ?? (await handler(request, context, orchestrations)));
}

function guarded(name: string, methods: HttpFunction['methods'], route: string, access: Access, handler: HttpFunction['handler']): HttpFunction {
  return {
    kind: 'http',
    name,
    methods,
    route,
    access,
    handler: async (request, context, orchestrations) => {
      try {
        return conditionalGet(request, await handler(request, context, orchestrations));
      } catch (err) {
        context.error(`${name} failed: ${errorMessage(err)}`);
        return problem(500, 'Internal error', `the function log has the details under invocation ${context.invocationId}`);
      }
    },
  };
}

/**
 * An activity's error lands in the orchestration history (and from there in the run record), so
 * it leaves here scrubbed and capped: an error that grows with its input (1,000 missing columns)
 * can never overflow a history event, under the Functions host or the local engine.
 */
function activity(name: string, handler: ActivityFunction['handler']): ActivityFunction {
  return {
    kind: 'activity',
    name,
    handler: async (input, context) => {
      try {
        return await handler(input, context);
      } catch (err) {
        throw capError(ensureErrorType(err));
      }
    },
  };
}

/**
 * What the host runs when it shuts the worker down (Flex Consumption scales instances in): send
 * the run events still batched for Application Insights, so the last ones of an instance are not lost.
 */
export const onAppTerminate: () => Promise<void> = flushTelemetry;

export const functionRegistry: FunctionDefinition[] = [
  publicHttp('health', ['GET'], 'health', health),
  publicHttp('dashboard', ['GET'], 'ui/{*path}', serveUi),
  http('me', ['GET'], 'me', 'reader', me),
  http('createPipeline', ['POST'], 'pipelines', 'operator', createPipeline),
  http('listPipelines', ['GET'], 'pipelines', 'reader', listPipelines),
  http('getPipeline', ['GET'], 'pipelines/{id}', 'reader', getPipeline),
  http('updatePipeline', ['PUT'], 'pipelines/{id}', 'operator', updatePipeline),
  http('deletePipeline', ['DELETE'], 'pipelines/{id}', 'operator', deletePipelineHandler),
  // Both spellings: the colon form as the issue names it, the slash form for any proxy or host
  // that refuses a colon in a path (see README: Checking a pipeline against its source).
  http('validatePipeline', ['POST'], 'pipelines:validate', 'operator', validatePipeline),
  http('validatePipelineSlash', ['POST'], 'pipelines/validate', 'operator', validatePipeline),
  http('planPipeline', ['GET'], 'pipelines/{id}/plan', 'reader', planPipeline),
  http('triggerRun', ['POST'], 'pipelines/{id}/runs', 'operator', triggerRun),
  http('listRuns', ['GET'], 'pipelines/{id}/runs', 'reader', listRuns),
  http('getRun', ['GET'], 'pipelines/{id}/runs/{runId}', 'reader', getRun),
  http('cancelRun', ['POST'], 'pipelines/{id}/runs/{runId}/cancel', 'operator', cancelRun),
  http('retryRun', ['POST'], 'pipelines/{id}/runs/{runId}/retry', 'operator', retryRun),
  http('reingestRun', ['POST'], 'pipelines/{id}/runs/{runId}/reingest', 'operator', reingestRun),
  http('listAllRuns', ['GET'], 'runs', 'reader', listAllRuns),
  http('pauseSchedule', ['POST'], 'pipelines/{id}/schedule/pause', 'operator', setSchedulePaused(true)),
  http('resumeSchedule', ['POST'], 'pipelines/{id}/schedule/resume', 'operator', setSchedulePaused(false)),
  // Query jobs read a source at will and their results are its data: operators only.
  http('submitQuery', ['POST'], 'queries', 'operator', submitQuery),
  http('getQuery', ['GET'], 'queries/{id}', 'operator', getQuery),
  http('cancelQuery', ['POST'], 'queries/{id}/cancel', 'operator', cancelQuery),
  http('getQueryResult', ['GET'], 'queries/{id}/result', 'operator', getQueryResult),
  http('listRunChunks', ['GET'], 'pipelines/{id}/runs/{runId}/chunks', 'reader', listRunChunks),
  http('listRunEvents', ['GET'], 'pipelines/{id}/runs/{runId}/events', 'reader', listRunEvents),
  http('getRunQuality', ['GET'], 'pipelines/{id}/runs/{runId}/quality', 'reader', getRunQuality),
  http('streamRunEvents', ['GET'], 'pipelines/{id}/runs/{runId}/events/stream', 'reader', streamRunEvents),
  http('overview', ['GET'], 'overview', 'reader', getOverview),
  http('listRunFiles', ['GET'], 'pipelines/{id}/runs/{runId}/files', 'reader', listRunFiles),
  http('getWatermark', ['GET'], 'pipelines/{id}/watermark', 'reader', getWatermark),
  http('resetWatermark', ['PUT'], 'pipelines/{id}/watermark', 'operator', resetWatermark),
  http('listPipelineEvents', ['GET'], 'pipelines/{id}/events', 'reader', listPipelineEvents),
  http('getPipelineSchema', ['GET'], 'pipelines/{id}/schema', 'reader', getPipelineSchema),
  http('listNotificationTargets', ['GET'], 'notifications/targets', 'reader', listNotificationTargets),
  {
    kind: 'timer',
    name: 'schedulerTick',
    schedule: '0 * * * * *',
    handler: async (context) => {
      const result = await schedulerTick(await getServices());
      for (const run of result.enqueued) context.log(`Scheduled run ${run.runId} of pipeline ${run.pipelineId} enqueued`);
      for (const run of result.skipped) context.warn(`Scheduled run ${run.runId} of pipeline ${run.pipelineId} skipped: ${run.reason}`);
      for (const raised of result.raised) context.warn(`Pipeline ${raised.pipelineId}: ${raised.event} (${raised.occurrence}) queued to its notifications`);
      for (const error of result.errors) context.error(error);
    },
  },
  {
    kind: 'timer',
    name: 'cleanupSweep',
    schedule: '0 */15 * * * *',
    handler: async (context) => {
      const result = await sweepEndedRuns(await getServices());
      for (const run of result.cleaned) context.log(`Cleanup sweep: run ${run.runId} of pipeline ${run.pipelineId}, ${run.deleted} file(s) deleted`);
      for (const error of result.errors) context.error(error);
      // Runs recorded before the run index existed get their entries, a batch per sweep.
      const backfill = await backfillRunIndex(await getServices()).catch((err: unknown) => context.error(`Run index backfill: ${errorMessage(err)}`));
      if (backfill && backfill.written > 0) context.log(`Run index backfill: ${backfill.written} run(s) indexed${backfill.done ? '; done' : ''}`);
    },
  },
  {
    kind: 'timer',
    name: 'querySweep',
    schedule: '0 */15 * * * *',
    handler: async (context) => {
      const result = await sweepExpiredQueries(await getServices());
      for (const query of result.deleted) context.log(`Query sweep: query ${query.queryId} past its retention, ${query.files} file(s) and its records deleted`);
      for (const error of result.errors) context.error(error);
    },
  },
  {
    kind: 'queue',
    name: 'startRun',
    queueSetting: 'SIPHON_JOB_QUEUE',
    suffix: '',
    handler: async (message, context, starter) => {
      const outcome = await startRun(message, starter);
      context.log(`Job ${JSON.stringify(message)}: orchestration ${outcome}`);
    },
  },
  {
    kind: 'queue',
    name: 'failPoisonedRun',
    queueSetting: 'SIPHON_JOB_QUEUE',
    suffix: '-poison',
    handler: async (message, context) => {
      const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 0);
      context.warn(await failPoisonedJob(await getServices(), message, dequeueCount, runEventLog(context)));
    },
  },
  {
    kind: 'queue',
    name: 'sendNotification',
    queueSetting: 'SIPHON_NOTIFICATION_QUEUE',
    suffix: '',
    handler: async (message, context) => {
      const outcome = await deliverNotification(await getServices(), message, { warn: (line) => context.warn(line) }, process.env, runEventLog(context));
      context.log(`Notification message ${String(context.triggerMetadata?.id ?? '')}: ${outcome}`);
    },
  },
  { kind: 'orchestration', name: Orchestrations.copyRun, handler: copyRunOrchestrator },
  { kind: 'orchestration', name: Orchestrations.copyChunks, handler: copyChunksOrchestrator },
  activity(Activities.prepareRun, async (input, context) => prepareRun(await getServices(), runRefSchema.parse(input), runEventLog(context))),
  activity(Activities.copyChunk, async (input, context) => copyChunkActivity(await getServices(), copyChunkInputSchema.parse(input), runEventLog(context))),
  activity(Activities.finalizeRun, async (input, context) => finalizeRun(await getServices(), runRefSchema.parse(input), runEventLog(context))),
  activity(Activities.failRun, async (input, context) => failRun(await getServices(), failRunInputSchema.parse(input), runEventLog(context))),
  activity(Activities.cleanupRun, async (input) => cleanupRun(await getServices(), runRefSchema.parse(input))),
  activity(Activities.acquireSourceSlot, async (input) => acquireSourceSlotActivity(await getServices(), acquireSlotInputSchema.parse(input))),
  activity(Activities.prepareTableRun, async (input, context) => prepareTableRun(await getServices(), tableRunInputSchema.parse(input), runEventLog(context))),
  activity(Activities.stopTables, async (input) => stopTables(await getServices(), stopTablesInputSchema.parse(input))),
  activity(Activities.finishTablesRun, async (input, context) => finishTablesRun(await getServices(), runRefSchema.parse(input), runEventLog(context))),
];
