/**
 * The orchestration instance of a run's attempt: the run id for the first, a suffixed id for each
 * retry, so a retry starts a fresh history while a duplicate job message of the same attempt
 * still finds its instance and starts nothing.
 */
export function runInstanceId(runId: string, attempt: number): string {
  return attempt === 0 ? runId : `${runId}-retry-${attempt}`;
}
