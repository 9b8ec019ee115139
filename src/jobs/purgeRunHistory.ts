import type { Services } from '../services.js';
import { withContext } from '../errors/errorTypes.js';

export type PurgeServices = Pick<Services, 'runs' | 'chunks'>;
export type PurgedHistory = { runs: number; chunks: number };

/**
 * What is stored under a run id besides the run record, deleted before the record so a purge cut
 * short leaves no part whose run is gone from the list (a repeat finds and finishes it).
 * HOOK for the run timeline: once its RunEvents table exists (store/runEventStore.ts),
 * add its part here, e.g. `events: (services, runId) => services.runEvents.deleteRun(runId)`,
 * deleting the run's partition in batches as chunks do.
 */
const perRunParts = {
  chunks: (services: PurgeServices, runId: string) => services.chunks.deleteRun(runId),
} satisfies Record<string, (services: PurgeServices, runId: string) => Promise<number>>;

/**
 * Deletes a deleted pipeline's run history: a page of run ids at a time (100, one partition
 * transaction), each run's parts first, then the page of run records. Output files stay: they
 * belong to the user.
 */
export async function purgeRunHistory(services: PurgeServices, pipelineId: string): Promise<PurgedHistory> {
  const purged: PurgedHistory = { runs: 0, chunks: 0 };
  try {
    for await (const runIds of services.runs.listRunIdPages(pipelineId)) {
      for (const runId of runIds) purged.chunks += await perRunParts.chunks(services, runId);
      await services.runs.deleteBatch(pipelineId, runIds);
      purged.runs += runIds.length;
    }
    return purged;
  } catch (err) {
    throw withContext(err, `Pipeline ${pipelineId}, purging run history (${purged.runs} run(s) purged so far)`);
  }
}
