import type { Services } from '../services.js';
import { withContext } from '../errors/errorTypes.js';
import { terminalRunStatuses, type RunStatus } from '../spec/runStatus.js';
import type { StoredLease } from '../store/leaseStore.js';
import { ConcurrencyConflictError } from '../store/tableErrors.js';

/** The lease holder a pipeline delete names while it deletes (jobs/deletePipeline.ts): no run. */
export const deletingLeasePrefix = 'deleting-';

/**
 * One run of a pipeline at a time. A run takes its pipeline's lease before it is recorded (a
 * manual trigger, a scheduler tick, a retry) and confirms it at prepare; every ending releases it.
 *
 * A durable run does not die, it resumes, sometimes hours later: so a lease is never taken over
 * because time passed while its run lives. It is taken over only when the run it names is in a
 * terminal state (its ending could not release it: a crash between the two writes), read under
 * the lease's ETag so of two contenders only one wins.
 *
 * The one timer: a lease whose run was never recorded. Taking the lease comes before recording
 * the run (so a refused trigger leaves no record behind), and a process that dies between the two
 * leaves a lease naming no run. Such a lease may be taken over once it is older than this; a run
 * being recorded takes milliseconds, so it is never one that is about to exist.
 */
export const unrecordedLeaseGraceInMs = 5 * 60_000;

export type LeaseServices = Pick<Services, 'leases' | 'runs' | 'now'>;

/** Who holds a lease another run asked for, and what its run record says (none yet: being queued). */
export type LeaseRefusal = { runId: string; attempt: number; status: RunStatus | undefined };
export type LeaseOutcome = { acquired: true } | { acquired: false; holder: LeaseRefusal };

/**
 * Takes the pipeline's lease for this attempt of the run. Idempotent: the same run and attempt
 * asking again (prepare after a crash or replay, twenty scheduler ticks naming one run) gets it.
 * A later attempt of the same run supersedes an earlier one; an earlier one is refused.
 */
export async function acquireRunLease(services: LeaseServices, pipelineId: string, claim: { runId: string; attempt: number }): Promise<LeaseOutcome> {
  try {
    for (let round = 1; round <= 20; round++) {
      const holder = { runId: claim.runId, attempt: claim.attempt, acquiredAt: services.now().toISOString() };
      const current = await services.leases.get(pipelineId);
      if (!current) {
        if (await services.leases.create(pipelineId, holder)) return { acquired: true };
        continue; // created by someone else between our read and our write: look again
      }
      if (current.runId === claim.runId) {
        if (current.attempt === claim.attempt) return { acquired: true };
        // A later attempt of this run holds it: this one is stale and never takes it back.
        if (current.attempt > claim.attempt) return { acquired: false, holder: { runId: current.runId, attempt: current.attempt, status: (await services.runs.get(pipelineId, current.runId))?.status } };
      } else {
        const refusal = await liveHolder(services, current);
        if (refusal) return { acquired: false, holder: refusal };
      }
      // An earlier attempt of this run, or a holder whose run has ended: ours, if still as read.
      if (await services.leases.replace(current, holder)) return { acquired: true };
    }
    throw new ConcurrencyConflictError('gave up after 20 conflicting changes of the lease');
  } catch (err) {
    throw withContext(err, `Pipeline ${pipelineId}, run ${claim.runId}, acquiring the run lease`);
  }
}

/**
 * Releases the lease if this run holds it, under its ETag, so a run that ended late never
 * releases a lease a newer run holds. Safe to repeat, and a no-op when nobody holds it.
 */
export async function releaseRunLease(services: Pick<Services, 'leases'>, pipelineId: string, runId: string): Promise<void> {
  try {
    for (let round = 1; round <= 20; round++) {
      const current = await services.leases.get(pipelineId);
      if (!current || current.runId !== runId) return;
      if (await services.leases.delete(current)) return;
    }
    throw new ConcurrencyConflictError('gave up after 20 conflicting changes of the lease');
  } catch (err) {
    throw withContext(err, `Pipeline ${pipelineId}, run ${runId}, releasing the run lease`);
  }
}

/** Why a run may not go ahead while `holder` has the lease; the same words for a 409 and a skipped run. */
export function leaseHeldReason(pipelineId: string, holder: LeaseRefusal): string {
  if (holder.runId.startsWith(deletingLeasePrefix)) return `pipeline ${pipelineId} is being deleted (${holder.runId} holds its run lease)`;
  const attempt = holder.attempt > 0 ? ` (attempt ${holder.attempt})` : '';
  return `run ${holder.runId}${attempt} of pipeline ${pipelineId} is ${holder.status ?? 'being queued'} and holds the pipeline's run lease`;
}

/** The refusal when the lease's run is still alive (or not yet recorded), undefined when it has ended. */
async function liveHolder(services: LeaseServices, lease: StoredLease): Promise<LeaseRefusal | undefined> {
  const run = await services.runs.get(lease.pipelineId, lease.runId);
  // A record at an earlier attempt than the lease: a retry took the lease and is about to record it.
  if (!run || run.attempt < lease.attempt) {
    const ageInMs = services.now().getTime() - Date.parse(lease.acquiredAt);
    return ageInMs < unrecordedLeaseGraceInMs ? { runId: lease.runId, attempt: lease.attempt, status: undefined } : undefined;
  }
  return terminalRunStatuses.has(run.status) ? undefined : { runId: lease.runId, attempt: run.attempt, status: run.status };
}
