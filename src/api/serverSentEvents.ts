/**
 * The text of Server-Sent Events (WHATWG HTML, "Server-sent events"): fields one per line, a blank
 * line ending each message. Values here never hold a line break: ids are ours (no CR, LF or NUL)
 * and data is one line of JSON (JSON.stringify escapes line breaks inside strings).
 */
export type ServerSentEvent = { id?: string; event?: string; data: unknown };

export function formatEvent({ id, event, data }: ServerSentEvent): string {
  return `${id === undefined ? '' : `id: ${id}\n`}${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps proxies from timing out an idle stream. */
export function formatComment(text: string): string {
  return `: ${text}\n\n`;
}

/** How long EventSource waits before it reconnects after the stream closes. */
export function formatRetry(milliseconds: number): string {
  return `retry: ${milliseconds}\n\n`;
}

/** The headers of an event stream: never cached or transformed (a proxy that buffers or compresses would hold events back). */
export const eventStreamHeaders: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
};
