import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import { readManifest } from '../sink/readManifest.js';
import { runPathsFor } from '../sink/blobPaths.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import { columnsWritten, type StoredRun } from '../store/runStore.js';
import { json, problem } from './httpResponses.js';
import { readPageQuery } from './pageQuery.js';
import { loadRun } from './runHandlers.js';

/**
 * Where a run's manifest is: the path finalize recorded, or (a run whose finalize wrote the
 * manifest but not yet the record, or was cancelled in between) where its spec says it goes.
 * Undefined for a run that never got as far as a spec.
 */
function manifestLocation(run: StoredRun): { container: string; blobName: string } | undefined {
  if (run.manifestPath) {
    const slash = run.manifestPath.indexOf('/');
    return { container: run.manifestPath.slice(0, slash), blobName: run.manifestPath.slice(slash + 1) };
  }
  if (!run.spec) return undefined;
  const paths = runPathsFor(run.spec.output, { pipelineId: run.pipelineId, runId: run.runId, table: tableName(readTargetOf(run.spec)), schemaVersion: columnsWritten(run) && schemaVersionOf(columnsWritten(run)!) });
  return { container: run.spec.output.container, blobName: paths.manifest };
}

/**
 * GET /api/pipelines/{id}/runs/{runId}/files?limit=100&continuationToken=: the files the run's
 * manifest lists (the files readers may trust), in the manifest's order, paged; beside them the
 * manifest's own summary, and with validation the `_quarantine/` files holding the rows it
 * rejected (`quarantine`: rows and files, in the same container). 404 when the run has no manifest (yet): it is written last, so a run
 * still copying, or one that failed, has none; its chunks (GET .../chunks) say what was copied.
 * The continuation token is the position of the last file of the page in the manifest.
 */
export async function listRunFiles(request: HttpRequest): Promise<HttpResponseInit> {
  const query = readPageQuery(request, { defaultLimit: 100 });
  if (!query.ok) return query.response;
  const loaded = await loadRun(request);
  if (!loaded.ok) return loaded.response;
  const { services, run } = loaded.value;
  if (run.spec?.tables) return problem(404, `Run ${run.runId} of pipeline ${run.pipelineId} copies many tables: each table's run has its own files`, `GET the run: each of its tableRuns has a url, and that run's /files lists its table's files; the run's own manifest (${run.manifestPath ?? 'written when every table succeeded'}) lists the tables' manifests`);
  const location = manifestLocation(run);
  const manifest = location && (await readManifest(services.dataBlobs.getContainerClient(location.container), location.blobName));
  if (!location || !manifest) return problem(404, `Run ${run.runId} of pipeline ${run.pipelineId} has no manifest`, `the run is ${run.status}; a run's manifest is written when every chunk is copied, and only then are its files final`);
  const start = query.value.after === undefined ? 0 : query.value.after + 1;
  const page = manifest.files.slice(start, start + query.value.limit);
  const last = start + page.length - 1;
  return json(200, {
    manifest: {
      path: `${location.container}/${location.blobName}`,
      container: location.container,
      createdAt: manifest.createdAt,
      format: manifest.format,
      compression: manifest.compression,
      rows: manifest.rows,
      bytes: manifest.bytes,
      files: manifest.files.length,
      ...(manifest.partitionBy ? { partitionBy: manifest.partitionBy } : {}),
      ...(manifest.window ? { window: manifest.window } : {}),
    },
    files: page.map(({ path, rows, bytes, chunk, md5 }) => ({ path, rows, bytes, chunk, md5 })),
    // Not paged: one file per chunk (and per 50,000 rejected rows), listed in full on every page.
    ...(manifest.quarantine ? { quarantine: { rows: manifest.quarantine.rows, files: manifest.quarantine.files.map(({ path, rows, bytes, chunk, md5 }) => ({ path, rows, bytes, chunk, md5 })) } } : {}),
    ...(last + 1 < manifest.files.length ? { continuationToken: String(last) } : {}),
  });
}
