import { randomBytes } from 'node:crypto';
import type { Services } from '../services.js';
import { ConcurrencyConflictError } from '../store/tableErrors.js';
import { acquireRunLease, deletingLeasePrefix, releaseRunLease, type LeaseRefusal } from './runLease.js';
import { purgeRunHistory, type PurgedHistory } from './purgeRunHistory.js';
import type { StoredPipeline } from '../store/pipelineStore.js';


export type DeleteOutcome =
  | { outcome: 'deleted'; pipeline: StoredPipeline; purged?: PurgedHistory }
  | { outcome: 'notFound' }
  | { outcome: 'stale' }
  | { outcome: 'hasDependents'; dependents: string[] }
  | { outcome: 'runInProgress'; holder: LeaseRefusal };

/**
 * Deletes a pipeline: its spec and schedule (one entity), its watermark and its run lease; its run
 * history too when asked. Output files stay.
 *
 * Against a run starting meanwhile, the delete takes the pipeline's run lease itself, as a holder
 * that is no run (`deleting-…`), before it deletes anything, and frees it last:
 * - a live run holds the lease: the delete is refused (409), nothing changed;
 * - a trigger, tick or retry that comes while the delete holds it is refused as by any run (409);
 * - one that read the pipeline before the delete and takes the lease after it re-reads the
 *   pipeline under the lease (enqueueRun, retryRun) and finds it gone: nothing recorded.
 * A delete that dies holding the lease leaves a holder with no run record, which the lease
 * rules let the next taker have after their grace period (runLease.ts).
 */
export async function deletePipeline(services: Services, id: string, etag: string, options: { purgeHistory: boolean }): Promise<DeleteOutcome> {
  const pipeline = await services.pipelines.get(id);
  if (!pipeline) return { outcome: 'notFound' };
  if (pipeline.etag !== etag) return { outcome: 'stale' };
  const dependents = (await services.pipelines.list()).filter((other) => other.spec.dependsOn?.includes(id)).map((other) => other.spec.id);
  if (dependents.length) return { outcome: 'hasDependents', dependents };

  const tombstone = `${deletingLeasePrefix}${randomBytes(6).toString('hex')}`;
  const lease = await acquireRunLease(services, id, { runId: tombstone, attempt: 0 });
  if (!lease.acquired) return { outcome: 'runInProgress', holder: lease.holder };
  try {
    try {
      await services.pipelines.delete(id, etag);
    } catch (err) {
      if (err instanceof ConcurrencyConflictError) return { outcome: 'stale' };
      throw err;
    }
    // The pipeline entity is the commit point, deleted under the ETag the caller read. What
    // follows tidies up; should it fail, what is left cannot reach a pipeline created again under
    // this id: kept runs carry the old generation, the create clears a leftover watermark, and
    // the lease holder here lapses after its grace period.
    await services.watermarks.delete(id);
    await services.changeStates.delete(id);
    await services.schemas.deleteAll(id);
    // A many-table pipeline's tables keep their state under table pipeline ids (tables/tableSpec.ts),
    // which a pipeline created again under this id would otherwise pick up.
    const tablePipelines = [...(await services.runTables.seen(id)).keys()];
    for (const tablePipeline of tablePipelines) {
      await services.watermarks.delete(tablePipeline);
      await services.changeStates.delete(tablePipeline);
      await services.schemas.deleteAll(tablePipeline);
      if (options.purgeHistory) await purgeRunHistory(services, tablePipeline);
    }
    await services.runTables.forgetPipeline(id);
    const purged = options.purgeHistory ? await purgeRunHistory(services, id) : undefined;
    return { outcome: 'deleted', pipeline, purged };
  } finally {
    await releaseRunLease(services, id, tombstone);
  }
}
