import type { Services } from '../services.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import type { FailRunInput } from './activityContracts.js';

/** Marks a run failed with the error and the chunk that caused it; a finished run stays as it is. */
export async function failRun(services: Services, input: FailRunInput): Promise<void> {
  await services.runs.update(input.pipelineId, input.runId, (run) =>
    terminalRunStatuses.has(run.status)
      ? undefined
      : { ...run, status: RunStatus.failed, endedAt: services.now().toISOString(), error: scrubSecrets(input.error), errorChunk: input.chunk },
  );
}
