/**
 * The most characters an error keeps on its way into an orchestration history or a run record.
 * Durable Functions replays every history event on every episode, the local engine stores each
 * event in one Table Storage entity, and a run record is one entity too: an error that grows with
 * its input (1,000 missing columns, a driver dumping a query) must not grow them.
 */
export const maxErrorChars = 4_000;

/** Keeps the start of the text (where the reason is) and says how much was cut. */
export function capMessage(text: string, maxChars: number = maxErrorChars): string {
  if (text.length <= maxChars) return text;
  const cut = text.length - maxChars;
  return `${text.slice(0, maxChars)}… [${cut.toLocaleString('en-US')} more characters cut]`;
}

/**
 * The same error (its type kept, so a NonRetryableError is still not retried) with its message and
 * stack capped.
 */
export function capError<E extends Error>(error: E, maxChars: number = maxErrorChars): E {
  error.message = capMessage(error.message, maxChars);
  if (error.stack) error.stack = capMessage(error.stack, maxChars);
  return error;
}
