import { jobMessageSchema } from '../spec/jobMessage.js';
import { formatZodError } from '../spec/formatZodError.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import { Orchestrations } from '../orchestration/functionNames.js';
import { currentOrchestrationVersion, type CopyRunInput } from '../orchestration/activityContracts.js';
import type { OrchestrationStarter } from './orchestrationStarter.js';
import { runInstanceId } from './runInstanceId.js';

/**
 * The job queue's handler: starts the run's orchestration with the run id (and attempt) as
 * instance id, so a duplicate message finds the instance there and does nothing. The input names
 * the orchestration shape this code runs, which the instance keeps across deploys.
 */
export async function startRun(message: unknown, starter: OrchestrationStarter): Promise<'started' | 'exists'> {
  const parsed = jobMessageSchema.safeParse(message);
  if (!parsed.success) throw new NonRetryableError(`Invalid job message: ${formatZodError(parsed.error)}`);
  const { runId, pipelineId, attempt } = parsed.data;
  const input: CopyRunInput = { pipelineId, runId, version: currentOrchestrationVersion };
  return starter.startIfAbsent(Orchestrations.copyRun, runInstanceId(runId, attempt), input);
}
