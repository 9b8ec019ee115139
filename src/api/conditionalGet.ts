import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { createHash } from 'node:crypto';

/**
 * Conditional GET for every JSON answer (RFC 9110 13.1.2, 15.4.5): a 200 JSON answer to a GET
 * carries an ETag (the handler's, which is its record's, or else a strong hash of the body) and
 * `Cache-Control: private, no-cache` unless the handler chose one; a GET whose If-None-Match holds
 * that ETag gets 304 with the same headers and no body. So a view that polls every second or two
 * downloads and re-renders only what changed. `no-cache` makes the browser ask every time (never
 * a stale pipeline from its cache), `private` keeps signed-in users' answers out of shared caches.
 * No Vary is needed: the body does not depend on request headers the ETag does not already
 * account for (the hash is of the body itself), and every use is revalidated.
 */
export function conditionalGet(request: HttpRequest, response: HttpResponseInit): HttpResponseInit {
  if (request.method !== 'GET' || (response.status ?? 200) !== 200 || response.jsonBody === undefined) return response;
  const headers = new Headers(response.headers as HeadersInit | undefined);
  if (!headers.has('etag')) headers.set('etag', bodyTag(response.jsonBody));
  if (!headers.has('cache-control')) headers.set('cache-control', 'private, no-cache');
  if (matchesAny(request.headers.get('if-none-match'), headers.get('etag')!)) {
    headers.delete('content-type');
    headers.delete('content-length');
    return { status: 304, headers: Object.fromEntries(headers) };
  }
  return { ...response, headers: Object.fromEntries(headers) };
}

/** A strong ETag of the JSON text the answer will have (the runtime and the host serialize it the same way). */
function bodyTag(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
}

/**
 * If-None-Match's weak comparison: `*`, or any listed tag whose opaque part equals ours (a W/
 * prefix on either side does not matter). A header that is not a list of entity tags matches
 * nothing, so the answer is a plain 200.
 */
function matchesAny(header: string | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const ours = opaque(etag);
  return [...header.matchAll(/(?:W\/)?"[^"]*"/g)].some(([tag]) => opaque(tag) === ours);
}

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
