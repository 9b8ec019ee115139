import { errorMessage } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { cleanableStatuses, cleanupRun } from '../orchestration/cleanupRun.js';

export type SweepResult = {
  cleaned: Array<{ pipelineId: string; runId: string; deleted: number }>;
  errors: string[];
};

/**
 * The cleanup sweep (a timer): deletes, once more, the files of every run that ended failed,
 * cancelled or timed out more than SIPHON_CLEANUP_GRACE_MINUTES ago and has not been swept.
 * The run's own ending cleaned it already, but chunk copies still running then can commit a file
 * afterwards, and a run that ended without its orchestration (cancelled while queued, a poisoned
 * job message, an orchestration that crashed, runs from before cleanup existed) was never cleaned.
 * A swept run records `sweptAt` and is left alone afterwards (unless a cleanup left it claimed);
 * a retry clears it.
 *
 * Cheap: per pipeline (and per table of a many-table pipeline) one single-partition query, filtered and projected by the service, and
 * blob listings only for runs not swept yet. One run's failure does not stop the others.
 */
export async function sweepEndedRuns(services: Services): Promise<SweepResult> {
  const endedBefore = new Date(services.now().getTime() - services.settings.SIPHON_CLEANUP_GRACE_MINUTES * 60_000);
  const result: SweepResult = { cleaned: [], errors: [] };
  const pipelineIds: string[] = [];
  for (const { spec } of await services.pipelines.list()) {
    pipelineIds.push(spec.id);
    // A many-table pipeline's tables' runs live under their table pipelines (tables/tableSpec.ts).
    if (spec.tables) {
      try {
        pipelineIds.push(...(await services.runTables.seen(spec.id)).keys());
      } catch (err) {
        result.errors.push(`Pipeline ${spec.id}, cleanup sweep of its tables: ${errorMessage(err)}`);
      }
    }
  }
  for (const pipelineId of pipelineIds) {
    let ended;
    try {
      ended = await services.runs.listEndedBefore(pipelineId, cleanableStatuses, endedBefore);
    } catch (err) {
      result.errors.push(`Pipeline ${pipelineId}, cleanup sweep: ${errorMessage(err)}`);
      continue;
    }
    // A claim left by a cleanup that failed after the sweep (a retry waits on it) is finished too.
    for (const run of ended.filter((candidate) => candidate.sweptAt === undefined || candidate.cleaningSince !== undefined)) {
      try {
        const outcome = await cleanupRun(services, { pipelineId, runId: run.runId }, { sweep: true, endedBefore });
        if (outcome.cleaned) result.cleaned.push({ pipelineId, runId: run.runId, deleted: outcome.deleted });
      } catch (err) {
        // cleanupRun's error names the pipeline and run.
        result.errors.push(errorMessage(err));
      }
    }
  }
  return result;
}
