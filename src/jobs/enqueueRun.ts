import type { Services } from '../services.js';
import type { JobMessage } from '../spec/jobMessage.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { RunRecord, StoredRun } from '../store/runStore.js';
import { encodeJobMessage } from './jobQueueMessage.js';
import { acquireRunLease, releaseRunLease, type LeaseRefusal } from './runLease.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';

export type EnqueueOutcome =
  | { run: StoredRun; created: boolean; refusedBy?: undefined; pipelineGone?: undefined }
  | { refusedBy: LeaseRefusal; pipelineGone?: undefined }
  /** The pipeline was deleted (or deleted and created again) since the caller read it: nothing was recorded. */
  | { pipelineGone: true; refusedBy?: undefined };

/**
 * Takes the pipeline's run lease for the run, records it as queued and puts its job message on
 * the queue; when another live run holds the lease, records and enqueues nothing and says who
 * holds it (a manual trigger answers 409, a scheduler tick records the run skipped).
 *
 * Safe to repeat: a run that exists is not recreated and its lease not touched again (a scheduled
 * run that ran and ended must not take the lease back), and a second message for a still-queued
 * run starts nothing new because the job starter uses the run id as the orchestration instance id.
 *
 * `generation` is the generation of the pipeline the caller read. Once the lease is held the
 * pipeline is read again: a delete holds the lease while it deletes (see deletePipeline), so a
 * trigger that read the pipeline before a delete and takes the lease after it finds the pipeline
 * gone (or a new generation under the same id) here, and records nothing.
 */
/** Fields a re-ingest run is recorded with beside the job's (see api/reingestHandler.ts). */
export type ReingestFields = Pick<RunRecord, 'reingestOf' | 'reingestUpload'>;

export async function enqueueRun(services: Services, job: JobMessage, generation: string, reingest: ReingestFields = {}): Promise<EnqueueOutcome> {
  const existing = await services.runs.get(job.pipelineId, job.runId);
  if (existing) {
    if (existing.status === RunStatus.queued) {
      // A repeat finishes what a crash interrupted: the event (once per attempt) and the message.
      await recordQueued(services, existing);
      await services.jobQueue.sendMessage(encodeJobMessage(job));
    }
    return { run: existing, created: false };
  }
  const lease = await acquireRunLease(services, job.pipelineId, { runId: job.runId, attempt: job.attempt });
  if (!lease.acquired) return { refusedBy: lease.holder };
  let created: boolean;
  try {
    // A query job's synthetic pipeline is enqueued like a pipeline of its own.
    const pipeline = (await services.pipelines.get(job.pipelineId)) ?? (await services.queries.get(job.pipelineId));
    if (pipeline?.generation !== generation) {
      await releaseRunLease(services, job.pipelineId, job.runId);
      return { pipelineGone: true };
    }
    created = await services.runs.create({
      pipelineId: job.pipelineId,
      pipelineGeneration: generation,
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
      ...reingest,
    });
  } catch (err) {
    // Not recorded: free the lease now rather than after its grace period.
    await releaseRunLease(services, job.pipelineId, job.runId).catch(() => undefined);
    throw err;
  }
  const run = await services.runs.get(job.pipelineId, job.runId);
  if (!run) throw new Error(`Run ${job.runId} of pipeline ${job.pipelineId} vanished after it was created`);
  // Recorded ended by a concurrent tick (skipped while another run held the lease): it never runs.
  if (terminalRunStatuses.has(run.status)) await releaseRunLease(services, job.pipelineId, job.runId);
  if (run.status === RunStatus.queued) {
    await recordQueued(services, run);
    await services.jobQueue.sendMessage(encodeJobMessage(job));
  }
  return { run, created };
}

/** The run's `queued` event, once per attempt: a run retried through the API is queued again. */
export function recordQueued(services: Services, run: Pick<StoredRun, 'runId' | 'attempt' | 'reason'>, at?: Date): Promise<boolean> {
  return appendRunEvent(services, run.runId, { type: RunEventType.queued, key: `${run.attempt}:queued`, at: at ?? services.now(), fields: { runAttempt: run.attempt, reason: run.attempt > 0 ? 'retry' : run.reason } });
}
