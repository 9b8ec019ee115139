import type { Services } from '../services.js';
import { withContext } from '../errors/errorTypes.js';

export type PurgeServices = Pick<Services, 'runs' | 'chunks' | 'runEvents'>;

/**
 * What is stored under a run id besides the run record, deleted before the record so a purge cut
 * short never leaves parts whose run record is gone (only whole runs, or runs missing parts).
 * (The run index's entries go with the run records, in RunStore.deleteBatch.)
 */
const perRunParts = {
  chunks: (services: PurgeServices, _pipelineId: string, runId: string) => services.chunks.deleteRun(runId),
  events: (services: PurgeServices, _pipelineId: string, runId: string) => services.runEvents.deleteAll(runId),
} satisfies Record<string, (services: PurgeServices, pipelineId: string, runId: string) => Promise<number>>;

/** How many records of each kind a purge deleted. */
export type PurgedHistory = { runs: number } & Record<keyof typeof perRunParts, number>;
const partNames = Object.keys(perRunParts) as Array<keyof typeof perRunParts>;

/**
 * Deletes a deleted pipeline's run history: a page of run ids at a time (100, one partition
 * transaction), each run's parts first, then the page of run records. Output files stay: they
 * belong to the user.
 */
export async function purgeRunHistory(services: PurgeServices, pipelineId: string): Promise<PurgedHistory> {
  const purged = { runs: 0, ...Object.fromEntries(partNames.map((name) => [name, 0])) } as PurgedHistory;
  try {
    for await (const runIds of services.runs.listRunIdPages(pipelineId)) {
      for (const runId of runIds) for (const name of partNames) purged[name] += await perRunParts[name](services, pipelineId, runId);
      await services.runs.deleteBatch(pipelineId, runIds);
      purged.runs += runIds.length;
    }
    return purged;
  } catch (err) {
    throw withContext(err, `Pipeline ${pipelineId}, purging run history (${purged.runs} run(s) purged so far)`);
  }
}
