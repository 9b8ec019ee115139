import type { Services } from '../services.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import { capMessage } from '../errors/capMessage.js';
import type { FailRunInput } from './activityContracts.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import { releaseRunLease } from '../jobs/runLease.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { notifyRunEnded } from '../notify/notifyRunEnded.js';

/**
 * Marks a run failed (or timed_out) with the error and the chunk that caused it; a run that has
 * already ended (succeeded, cancelled, failed) stays as it is, so a late or repeated call cannot
 * overwrite a newer state. Either way the run's lease is released (if it still holds it), so a
 * repeated call also finishes a release a crash interrupted.
 */
export async function failRun(services: Services, input: FailRunInput, events: RunEventLog = discardRunEvents): Promise<void> {
  const status = input.status ?? RunStatus.failed;
  // The record is one Table Storage entity; an error that grows with its input must not break it.
  const error = capMessage(scrubSecrets(input.error));
  let endedAt: Date | undefined; // set only by the call that fails the run, so the event is logged once
  let startedAt: string | undefined;
  const ended = await services.runs.update(input.pipelineId, input.runId, (run) => {
    endedAt = terminalRunStatuses.has(run.status) ? undefined : services.now();
    startedAt = run.startedAt;
    return endedAt
      ? { ...run, status, endedAt: endedAt.toISOString(), error, errorChunk: input.chunk }
      : undefined;
  });
  await releaseRunLease(services, input.pipelineId, input.runId);
  // Written whichever call ended the run (once per attempt, by key), so a repeat finishes it.
  if (ended.status === status) {
    await appendRunEvent(services, input.runId, {
      type: RunEventType.finished,
      key: `${ended.attempt}:finished`,
      at: ended.endedAt ? new Date(ended.endedAt) : services.now(),
      fields: { runAttempt: ended.attempt, status, rows: ended.rows, bytes: ended.bytes, error: ended.error, chunk: ended.errorChunk },
    });
    // Last: only queued, never waited on, and it never throws (notify/notifyRunEnded.ts).
    await notifyRunEnded(services, ended);
  }
  if (endedAt) {
    const durationInMs = startedAt ? endedAt.getTime() - Date.parse(startedAt) : undefined;
    events(RunEvent.runFailed, { pipelineId: input.pipelineId, runId: input.runId, chunk: input.chunk, durationInMs, status, error });
  }
}
