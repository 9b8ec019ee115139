import { errorMessage } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { terminalRunStatuses } from '../spec/runStatus.js';
import { releaseRunLease } from './runLease.js';

export type QuerySweepResult = { deleted: Array<{ queryId: string; files: number }>; errors: string[] };

const parallelDeletes = 16;

/**
 * The query sweep (a timer): a query job that ended more than SIPHON_QUERY_RETENTION_HOURS ago
 * loses its result files (everything under its own `{id}/` folder in the query container) and
 * then its records: chunks, run, lease, and last the query itself, so a sweep that fails half-way
 * finds it again next time. A query whose run record is missing (lost between the two writes of
 * POST /api/queries) counts from its creation. One query's failure does not stop the others.
 */
export async function sweepExpiredQueries(services: Services): Promise<QuerySweepResult> {
  const endedBefore = services.now().getTime() - services.settings.SIPHON_QUERY_RETENTION_HOURS * 3_600_000;
  const result: QuerySweepResult = { deleted: [], errors: [] };
  for (const query of await services.queries.list()) {
    const id = query.spec.id;
    try {
      const run = await services.runs.get(id, query.runId);
      if (run && !terminalRunStatuses.has(run.status)) continue;
      const since = run ? run.endedAt : query.createdAt;
      if (since === undefined || Date.parse(since) > endedBefore) continue;
      const container = services.dataBlobs.getContainerClient(query.spec.output.container);
      // The query's own folder: its id is unique and the path template starts with it.
      const names: string[] = [];
      if (await container.exists()) for await (const blob of container.listBlobsFlat({ prefix: `${id}/` })) names.push(blob.name);
      for (let start = 0; start < names.length; start += parallelDeletes) {
        await Promise.all(names.slice(start, start + parallelDeletes).map((name) => container.deleteBlob(name).catch((err: unknown) => {
          if ((err as { statusCode?: number }).statusCode !== 404) throw err;
        })));
      }
      await services.chunks.deleteRunChunks(query.runId);
      await services.runs.delete(id, query.runId);
      await releaseRunLease(services, id, query.runId);
      await services.queries.delete(id);
      result.deleted.push({ queryId: id, files: names.length });
    } catch (err) {
      result.errors.push(`Query ${id}, retention sweep: ${errorMessage(err)}`);
    }
  }
  return result;
}
