import { scrubSecrets } from './scrubSecrets.js';

/**
 * An error that a retry cannot fix: bad configuration, a missing table, a type with no
 * faithful mapping. Activities fail at once on these instead of retrying.
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

/** Turns any thrown value into an Error whose message carries no credential. */
export function ensureErrorType(err: unknown): Error {
  const error = err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
  error.message = scrubSecrets(error.message);
  if (error.stack) error.stack = scrubSecrets(error.stack);
  return error;
}

/** The scrubbed message of any thrown value, for run records and API answers. */
export function errorMessage(err: unknown): string {
  return ensureErrorType(err).message;
}

/** Prefixes an error with where it happened (pipeline, run, chunk, table) and keeps its type. */
export function withContext(err: unknown, context: string): Error {
  const error = ensureErrorType(err);
  const wrapped = error instanceof NonRetryableError ? new NonRetryableError(`${context}: ${error.message}`) : new Error(`${context}: ${error.message}`);
  wrapped.stack = error.stack;
  return wrapped;
}
