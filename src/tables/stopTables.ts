import type { Services } from '../services.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { StopTablesInput } from '../orchestration/activityContracts.js';
import { releaseRunLease } from '../jobs/runLease.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { mapWithConcurrency } from '../store/mapWithConcurrency.js';
import { withContext } from '../errors/errorTypes.js';

/**
 * Ends every table's run of a many-table run that has not ended (failFast after a table failed,
 * the run cancelled or past its timeout). Only the records: a table's chunks see their run ended
 * and stop, and its orchestration then cleans up its files, as for a cancel of a run of one table.
 */
export async function stopTables(services: Services, input: StopTablesInput): Promise<number> {
  try {
    const tables = await services.runTables.list(input.runId);
    const stopped = await mapWithConcurrency(tables, 8, async (table) => {
      let ended = false;
      const run = await services.runs.update(table.pipelineId, table.runId, (current) => {
        ended = !terminalRunStatuses.has(current.status) && current.finalizingSince === undefined;
        return ended ? { ...current, status: input.status === 'timed_out' ? RunStatus.timedOut : RunStatus.cancelled, endedAt: services.now().toISOString(), statusReason: input.reason } : undefined;
      });
      if (!ended) return false;
      await releaseRunLease(services, table.pipelineId, table.runId);
      await appendRunEvent(services, table.runId, { type: RunEventType.finished, key: `${run.attempt}:finished`, at: new Date(run.endedAt!), fields: { runAttempt: run.attempt, status: run.status, reason: input.reason, rows: run.rows, bytes: run.bytes } });
      return true;
    });
    return stopped.filter(Boolean).length;
  } catch (err) {
    throw withContext(err, `Pipeline ${input.pipelineId}, run ${input.runId}, stopping its tables`);
  }
}
