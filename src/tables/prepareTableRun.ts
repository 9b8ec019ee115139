import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { RunEventLog } from '../observability/runEvents.js';
import { discardRunEvents } from '../observability/runEvents.js';
import type { PreparedTableRun, TableRunInput } from '../orchestration/activityContracts.js';
import { prepareRun } from '../orchestration/prepareRun.js';
import { failRun } from '../orchestration/failRun.js';

/**
 * A table's orchestration starts here: finds the table's run in the pipeline's run and prepares
 * it like any run (orchestration/prepareRun.ts), answering which run it is. A table's run that
 * already ended (it succeeded before this retry of the pipeline's run, or the run was stopped
 * meanwhile) is skipped with its status. A prepare that fails fails the table's run, not the
 * pipeline's: the other tables go on.
 */
export async function prepareTableRun(services: Services, input: TableRunInput, events: RunEventLog = discardRunEvents): Promise<PreparedTableRun> {
  const context = `Pipeline ${input.pipelineId}, run ${input.runId}, table ${input.table + 1}`;
  try {
    const table = await services.runTables.get(input.runId, input.table);
    if (!table) throw new NonRetryableError('the run records no such table');
    const ref = { pipelineId: table.pipelineId, runId: table.runId };
    const pipelineRun = await services.runs.getSummary(input.pipelineId, input.runId);
    const run = await services.runs.getSummary(ref.pipelineId, ref.runId);
    if (!pipelineRun || !run) throw new NonRetryableError('the run or its table\'s run does not exist');
    const ended = (status: string): PreparedTableRun => ({ ref, ended: status });
    if (terminalRunStatuses.has(run.status)) return ended(run.status);
    if (terminalRunStatuses.has(pipelineRun.status)) return ended(RunStatus.cancelled);
    try {
      const prepared = await prepareRun(services, ref, events);
      if (prepared.skipped) return ended((await services.runs.getSummary(ref.pipelineId, ref.runId))?.status ?? RunStatus.skipped);
      return { ref, plan: prepared };
    } catch (err) {
      await failRun(services, { ...ref, error: err instanceof Error ? err.message : String(err) }, events);
      return ended(RunStatus.failed);
    }
  } catch (err) {
    throw withContext(err, context);
  }
}
