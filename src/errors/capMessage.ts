/**
 * The most characters an error keeps on its way into an orchestration history or a run record.
 * Durable Functions replays every history event on every episode, the local engine stores each
 * event in one Table Storage entity, and a run record is one entity too: an error that grows with
 * its input (1,000 missing columns, a driver dumping a query) must not grow them.
 */
export const maxErrorChars = 4_000;

const cutMarker = /… \[([\d,]+) more characters cut\]$/;

/**
 * Keeps the start of the text (where the reason is) and says how much was cut. A text capped
 * before (an activity's error, prefixed on its way to the run record) is cut again from its kept
 * part, and the marker counts both cuts.
 */
export function capMessage(text: string, maxChars: number = maxErrorChars): string {
  const marker = cutMarker.exec(text);
  const kept = marker ? text.slice(0, marker.index) : text;
  if (kept.length <= maxChars) return text;
  const cut = kept.length - maxChars + (marker ? Number(marker[1]!.replaceAll(',', '')) : 0);
  return `${kept.slice(0, maxChars)}… [${cut.toLocaleString('en-US')} more characters cut]`;
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
