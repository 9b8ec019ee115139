import type { Services } from '../services.js';
import type { JobMessage } from '../spec/jobMessage.js';
import { RunStatus } from '../spec/runStatus.js';
import type { StoredRun } from '../store/runStore.js';
import { encodeJobMessage } from './jobQueueMessage.js';

/**
 * Records a run as queued and puts its job message on the queue. Safe to repeat: an existing run
 * is not recreated, and a second message for a still-queued run starts nothing new because the
 * job starter uses the run id as the orchestration instance id.
 */
export async function enqueueRun(services: Services, job: JobMessage): Promise<{ run: StoredRun; created: boolean }> {
  const created = await services.runs.create({
    pipelineId: job.pipelineId,
    runId: job.runId,
    status: RunStatus.queued,
    reason: job.reason,
    options: job.options,
    attempt: job.attempt,
    requestedAt: services.now().toISOString(),
    rows: 0,
    bytes: 0,
    files: 0,
    chunksPlanned: 0,
  });
  const run = await services.runs.get(job.pipelineId, job.runId);
  if (!run) throw new Error(`Run ${job.runId} of pipeline ${job.pipelineId} vanished after it was created`);
  if (run.status === RunStatus.queued) await services.jobQueue.sendMessage(encodeJobMessage(job));
  return { run, created };
}
