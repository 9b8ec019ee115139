import type { Services } from '../services.js';
import { withContext } from '../errors/errorTypes.js';
import { RunStatus } from '../spec/runStatus.js';
import { ConcurrencyConflictError } from '../store/tableErrors.js';
import { unrecordedLeaseGraceInMs } from './runLease.js';

/**
 * One quarantine lands once. A re-ingest claims its source run before it is queued: the source
 * run's record names the re-ingest run (`reingestRunId`), written under the record's ETag
 * (RunStore.update replaces only the version it read), so of two concurrent claims one wins and
 * the other is told who holds it, never a check-then-write race.
 *
 * A claim whose run failed, was cancelled, timed out or was skipped may be taken by a new
 * re-ingest: those runs wrote no manifest and their files are cleaned up. A claim whose run was
 * never recorded (the trigger died between the claim and the record) is taken over after the
 * same grace as an unrecorded run lease.
 */
export const reingestRetakableStatuses: ReadonlySet<string> = new Set([RunStatus.failed, RunStatus.cancelled, RunStatus.timedOut, RunStatus.skipped]);

export type ReingestHolder = { runId: string; status: RunStatus | undefined };
export type ReingestClaim = { claimed: true } | { claimed: false; holder: ReingestHolder };

type ClaimServices = Pick<Services, 'runs' | 'now'>;

export async function claimReingest(services: ClaimServices, pipelineId: string, sourceRunId: string, runId: string): Promise<ReingestClaim> {
  try {
    for (let round = 1; round <= 20; round++) {
      const source = await services.runs.get(pipelineId, sourceRunId);
      if (!source) throw new Error('the run does not exist');
      const held = source.reingestRunId;
      if (held === runId) return { claimed: true };
      if (held !== undefined) {
        const holder = await services.runs.get(pipelineId, held);
        const live = holder
          ? !reingestRetakableStatuses.has(holder.status)
          : services.now().getTime() - Date.parse(source.reingestClaimedAt ?? '') < unrecordedLeaseGraceInMs;
        if (live) return { claimed: false, holder: { runId: held, status: holder?.status } };
      }
      let won = false;
      await services.runs.update(pipelineId, sourceRunId, (current) => {
        // Still as read (the update retries on a stale ETag, so this sees the latest record).
        won = current.reingestRunId === held;
        return won ? { ...current, reingestRunId: runId, reingestClaimedAt: services.now().toISOString() } : undefined;
      });
      if (won) return { claimed: true };
    }
    throw new ConcurrencyConflictError('gave up after 20 conflicting claims');
  } catch (err) {
    throw withContext(err, `Pipeline ${pipelineId}, run ${sourceRunId}, claiming its quarantine for re-ingest run ${runId}`);
  }
}

/** Lets go of a claim this run holds (its trigger was refused after the claim); a no-op otherwise. */
export async function releaseReingestClaim(services: ClaimServices, pipelineId: string, sourceRunId: string, runId: string): Promise<void> {
  await services.runs.update(pipelineId, sourceRunId, (current) => {
    if (current.reingestRunId !== runId) return undefined;
    const { reingestRunId: _run, reingestClaimedAt: _at, ...rest } = current;
    return rest;
  });
}
