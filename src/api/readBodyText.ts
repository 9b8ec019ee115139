import type { HttpRequest } from '@azure/functions';
import { problem, type Parsed } from './problem.js';

/**
 * Reads a request body as UTF-8 text, stopping as soon as it passes `maxBytes`: the rest is
 * never read, so a huge body costs at most the cap in memory (413). Under the Functions host
 * this holds only with HTTP streaming on (functions/index.ts): without it the host has read the
 * whole body before any of our code runs.
 */
export async function readBodyText(request: HttpRequest, maxBytes: number): Promise<Parsed<string>> {
  const body = request.body;
  if (!body) return { ok: true, value: '' };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBufferLike);
      total += chunk.byteLength;
      if (total > maxBytes) {
        // Stop pulling, but do not cancel: under the host's stream proxy a cancel destroys the
        // request, and with it the connection the 413 must go back on. What happens to the unread
        // rest is the transport's call (the local runtime closes the connection after answering).
        return { ok: false, response: tooLarge(maxBytes) };
      }
      chunks.push(chunk);
    }
  } catch {
    // The client went away or sent fewer bytes than its Content-Length announced.
    return { ok: false, response: problem(400, 'The request body could not be read', 'body: the connection ended before the body was complete') };
  } finally {
    reader.releaseLock();
  }
  try {
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Buffer.concat(chunks, total)) };
  } catch {
    return { ok: false, response: problem(400, 'The request body is not valid UTF-8', 'body: JSON text must be UTF-8') };
  }
}

export function tooLarge(maxBytes: number) {
  return problem(413, 'The request body is too large', `body: at most ${maxBytes} bytes`);
}
