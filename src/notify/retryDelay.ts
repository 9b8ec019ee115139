/** The longest wait between two sends of one notification. */
export const maxRetryDelayInMs = 3_600_000;

/**
 * How long the send numbered `attempt` (1 for the first retry) waits after the one before:
 * `firstDelayInMs`, doubling each time, at most an hour. 30 s, 1, 2, 4, 8 min for the default
 * six attempts: about a quarter of an hour of outage is ridden out before the target is
 * reported failing.
 */
export function retryDelayInMs(attempt: number, firstDelayInMs: number): number {
  if (attempt < 1) return 0;
  return Math.min(maxRetryDelayInMs, firstDelayInMs * 2 ** Math.min(attempt - 1, 30));
}

/** A queue message's visibility delay is whole seconds; rounding up never retries sooner than the schedule. */
export function visibilityDelayInSeconds(delayInMs: number): number {
  return Math.ceil(delayInMs / 1_000);
}
