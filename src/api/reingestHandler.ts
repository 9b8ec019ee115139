import { gzipSync } from 'node:zlib';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import { enqueueRun } from '../jobs/enqueueRun.js';
import { newRunId } from '../jobs/runId.js';
import { leaseHeldReason } from '../jobs/runLease.js';
import { claimReingest, releaseReingestClaim } from '../jobs/reingestClaim.js';
import { RunStatus } from '../spec/runStatus.js';
import { runPathsFor } from '../sink/blobPaths.js';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import { lineProblemText, readQuarantineLines } from '../validation/quarantineLines.js';
import { json, problem } from './httpResponses.js';
import { readBodyText } from './readBodyText.js';
import { maxRequestBodyBytes } from './requestLimits.js';
import { isJsonLinesMediaType } from './screenRequest.js';
import { loadRun, runSummary } from './runHandlers.js';
import type { Caller } from './auth/caller.js';
import { ownersProblem } from './auth/pipelineOwners.js';

const runUrl = (pipelineId: string, runId: string) => `/api/pipelines/${pipelineId}/runs/${runId}`;

/**
 * POST /api/pipelines/{id}/runs/{runId}/reingest: starts a run (reason `reingest`, `reingestOf`
 * the run named) that reads the named run's quarantined rows instead of the source, checks them
 * with the pipeline's current validation and writes them to its output in a run folder and
 * manifest of its own. 202 with the new run's URL.
 *
 * The body is optional: a JSON Lines file (`application/x-ndjson` or `application/jsonl`) of
 * corrected rows, each line a quarantine line or `{"values": {...}}` with every column in its text
 * form, which the run reads instead of the quarantine. Every line is read here, and a file with
 * any bad line is refused (400 naming `line N` and the column) with nothing claimed or queued; a
 * good one is stored gzipped in the new run's folder before the run is queued, so the run never
 * depends on this request.
 *
 * Exactly once: the run named must have succeeded with rows quarantined (409 saying why
 * otherwise), and its quarantine is claimed under its record's ETag (jobs/reingestClaim.ts): while
 * a re-ingest of it is queued or running, or once one succeeded, another is refused with 409
 * naming that run; after one failed, was cancelled or timed out, a new one may go.
 */
export async function reingestRun(request: HttpRequest, _context: InvocationContext, _orchestrations: OrchestrationStarter | undefined, caller: Caller): Promise<HttpResponseInit> {
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run: source } = loaded.value;
  if (source.partOf) return problem(409, `Run ${source.runId} copies table ${source.partOf.table} of a many-table run; re-ingesting one table's quarantine is not supported yet`, 'fix the rows at the source and retry or trigger the pipeline');
  const pipeline = await services.pipelines.get(source.pipelineId);
  if (!pipeline) return problem(404, `Pipeline ${source.pipelineId} does not exist`);
  const denied = ownersProblem(caller, source.pipelineId, pipeline.spec.owners);
  if (denied) return denied;
  if (source.pipelineGeneration !== undefined && source.pipelineGeneration !== pipeline.generation) {
    return problem(409, `Run ${source.runId} belongs to an earlier pipeline ${source.pipelineId} that was deleted; its quarantine is not this pipeline's to re-ingest`);
  }
  if (source.reason === 'reingest') return problem(409, `Run ${source.runId} is itself a re-ingest (of run ${source.reingestOf}); re-ingest that run's quarantine, or retry this run if it failed`);
  if (source.status !== RunStatus.succeeded) return problem(409, `Run ${source.runId} is ${source.status}; only a succeeded run's quarantine can be re-ingested (a failed run's quarantine is deleted with its files: retry the run instead)`);
  if (!source.rowsRejected || !source.manifestPath || !source.columns || !source.spec) return problem(409, `Run ${source.runId} has no quarantine: its validation rejected no rows`);

  // The body, read and checked whole before anything is claimed or written.
  const contentType = request.headers.get('content-type');
  const body = await readBodyText(request, maxRequestBodyBytes);
  if (!body.ok) return body.response;
  let corrected: string | undefined;
  if (isJsonLinesMediaType(contentType)) {
    const { rows, problems } = readQuarantineLines(body.value, source.columns);
    if (problems.length) {
      return problem(400, 'The corrected rows are invalid', problems.map(lineProblemText).join('; '), problems.map((entry) => ({ path: `line ${entry.line}: ${entry.path}`, message: entry.message })));
    }
    if (!rows.length) return problem(400, 'The corrected rows are invalid', 'body: holds no rows; send none to re-ingest the quarantine as it is', [{ path: 'body', message: 'holds no rows' }]);
    // Stored as the values alone, one line a row in the order sent, all checked above.
    corrected = body.value.split('\n').filter((line) => line.trim() !== '').map((line) => `${JSON.stringify({ values: (JSON.parse(line) as { values: unknown }).values })}\n`).join('');
  } else if (body.value.trim() !== '' && body.value.trim() !== '{}') {
    return problem(400, 'The request body is invalid', 'body: corrected rows are sent as JSON Lines (Content-Type: application/x-ndjson or application/jsonl); a JSON body must be empty', [{ path: 'body', message: 'corrected rows are sent as JSON Lines' }]);
  }

  const runId = newRunId(services.now());
  const claim = await claimReingest(services, source.pipelineId, source.runId, runId);
  if (!claim.claimed) {
    const { holder } = claim;
    return problem(409, `Run ${source.runId}'s quarantine is already re-ingested by run ${holder.runId}`, `re-ingest run ${holder.runId} is ${holder.status ?? 'being queued'} (${runUrl(source.pipelineId, holder.runId)}); a quarantine lands once, and a new re-ingest may go only after that run failed or was cancelled`);
  }
  const { spec } = pipeline;
  const container = services.dataBlobs.getContainerClient(spec.output.container);
  let upload: string | undefined;
  try {
    if (corrected !== undefined) {
      const paths = runPathsFor(spec.output, { pipelineId: source.pipelineId, runId, table: tableName(readTargetOf(spec)), schemaVersion: schemaVersionOf(source.columns) });
      upload = `${paths.folder}/_reingest/corrected-rows.jsonl.gz`;
      await container.createIfNotExists();
      const bytes = gzipSync(Buffer.from(corrected, 'utf8'));
      await container.getBlockBlobClient(upload).upload(bytes, bytes.byteLength, { blobHTTPHeaders: { blobContentType: 'application/gzip' } });
    }
    const outcome = await enqueueRun(services, { runId, pipelineId: source.pipelineId, reason: 'reingest', options: {}, attempt: 0 }, pipeline.generation, { reingestOf: source.runId, ...(upload ? { reingestUpload: upload } : {}) });
    if (outcome.pipelineGone || outcome.refusedBy) {
      await forget();
      if (outcome.pipelineGone) return problem(404, `Pipeline ${source.pipelineId} does not exist`, 'it was deleted while the re-ingest was being started');
      return problem(409, `Pipeline ${source.pipelineId} has a run in progress: ${outcome.refusedBy.runId}`, `${leaseHeldReason(source.pipelineId, outcome.refusedBy)}; re-ingest once it ended (${runUrl(source.pipelineId, outcome.refusedBy.runId)})`);
    }
    return json(202, runSummary(outcome.run), { location: runUrl(source.pipelineId, runId), 'retry-after': '2' });
  } catch (err) {
    // Recorded before the failure: the run is there (queued), and its claim with it.
    if (!(await services.runs.get(source.pipelineId, runId).catch(() => undefined))) await forget().catch(() => undefined);
    throw err;
  }

  /** Not queued: the claim goes (a new re-ingest may go at once) and so does the stored upload. */
  async function forget(): Promise<void> {
    await releaseReingestClaim(services, source.pipelineId, source.runId, runId);
    if (upload) await container.getBlockBlobClient(upload).deleteIfExists();
  }
}
