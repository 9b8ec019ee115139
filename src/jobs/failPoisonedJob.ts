import type { Services } from '../services.js';
import { z } from 'zod';
import { runIdSchema } from '../spec/jobMessage.js';
import { pipelineIdSchema } from '../spec/pipelineSpec.js';
import { failRun } from '../orchestration/failRun.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';

/**
 * The poison queue's handler: a job message that failed every delivery marks its run failed, so
 * the run does not sit in `queued` forever. Only the run's ids are read, so a message that failed
 * because the rest of it is malformed still marks its run; one too broken to name a run is only
 * reported.
 */
const namedRunSchema = z.object({ runId: runIdSchema, pipelineId: pipelineIdSchema });

export async function failPoisonedJob(services: Services, message: unknown, dequeueCount: number, events: RunEventLog = discardRunEvents): Promise<string> {
  const parsed = namedRunSchema.safeParse(message);
  events(RunEvent.poisonMessage, { ...(parsed.success ? { pipelineId: parsed.data.pipelineId, runId: parsed.data.runId } : {}), dequeueCount });
  if (!parsed.success) return 'poison message names no run; nothing to mark';
  const { pipelineId, runId } = parsed.data;
  const run = await services.runs.get(pipelineId, runId);
  if (!run) return `poison message for unknown run ${runId} of pipeline ${pipelineId}`;
  await failRun(services, { pipelineId, runId, error: 'The job message failed on every delivery (host.json maxDequeueCount) and was moved to the poison queue' }, events);
  return `run ${runId} of pipeline ${pipelineId} marked failed`;
}
