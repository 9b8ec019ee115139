import { capMessage } from '../errors/capMessage.js';
import { RunStatus } from '../spec/runStatus.js';
import { maxPreviousAttempts, type RunRecord } from '../store/runStore.js';

/**
 * An ended run queued again as its next attempt (a retry through the API, or a table's run in a
 * retried many-table run): the ending's fields cleared, and how it ended kept in
 * previousAttempts (the latest maxPreviousAttempts).
 */
export function queuedAsNextAttempt<T extends RunRecord>(current: T): T {
  const { error: _error, errorChunk: _errorChunk, endedAt: _endedAt, statusReason: _statusReason, cleanedAt: _cleanedAt, sweptAt: _sweptAt, finalizingSince: _finalizingSince, rowsRejected: _rowsRejected, rejectedByRule: _rejectedByRule, rowsFiltered: _rowsFiltered, quality: _quality, ...rest } = current;
  // Each error capped so ten of them stay well inside one 32K-character property.
  const ended = { attempt: current.attempt, status: current.status, error: current.error === undefined ? undefined : capMessage(current.error, 1_000), errorChunk: current.errorChunk, endedAt: current.endedAt };
  return { ...rest, status: RunStatus.queued, attempt: current.attempt + 1, previousAttempts: [...(current.previousAttempts ?? []), ended].slice(-maxPreviousAttempts) } as T;
}
