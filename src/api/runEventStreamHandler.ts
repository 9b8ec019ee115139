import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { problem, type Parsed } from './problem.js';
import { parseQuery } from './queryParameters.js';
import { loadRun } from './runHandlers.js';
import { decodePosition, startPosition, type StreamPosition } from './eventStreamPosition.js';
import { runEventStream } from './runEventStream.js';
import { eventStreamHeaders } from './serverSentEvents.js';

/** Events per storage read; a run with more is streamed page after page without waiting. */
const eventsPerRead = 500;

/**
 * GET /api/pipelines/{id}/runs/{runId}/events/stream: the run's timeline as Server-Sent Events
 * (see runEventStream). 404 for an unknown pipeline or run, before the stream starts.
 *
 * Under the Functions host (HTTP streaming, functions/index.ts) the library writes the stream to
 * the host's proxy without backpressure and cannot tell the handler that the client went away
 * (Azure/azure-functions-nodejs-library#294): there a stream whose client left polls on until
 * its maxDurationInMs. The local runtime cancels it at once.
 */
export async function streamRunEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const query = parseQuery(request, {});
  if (!query.ok) return query.response;
  const from = readLastEventId(request);
  if (!from.ok) return from.response;
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  const body = runEventStream(
    {
      readRun: async () => {
        const current = await services.runs.getSummary(run.pipelineId, run.runId);
        return current && { status: current.status, attempt: current.attempt, endedAt: current.endedAt };
      },
      readEvents: async (after) => {
        const page = await services.runEvents.list(run.runId, { limit: eventsPerRead, after });
        return { events: page.events, more: page.continuationToken !== undefined };
      },
      log: (message) => context.error(`${message} (run ${run.runId} of pipeline ${run.pipelineId})`),
    },
    from.value,
  );
  return { status: 200, headers: eventStreamHeaders, body };
}

/**
 * Where a reconnecting client left off: the id of the last event it got, as this stream sent it.
 * Anything else is refused (400 naming the header) rather than ignored: ignoring it would send
 * the whole timeline again to a client that says it has part of it.
 */
function readLastEventId(request: HttpRequest): Parsed<StreamPosition> {
  const header = request.headers.get('last-event-id');
  if (header === null || header === '') return { ok: true, value: startPosition };
  const position = header.length <= 1_000 ? decodePosition(header) : undefined;
  if (position) return { ok: true, value: position };
  const message = 'not an event id this stream sent; reconnect without it to get the whole timeline';
  return { ok: false, response: problem(400, 'Invalid Last-Event-ID header', `Last-Event-ID: ${message}`, [{ path: 'Last-Event-ID', message }]) };
}
