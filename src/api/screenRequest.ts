import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { problem } from './problem.js';
import { tooLarge } from './readBodyText.js';
import { maxRequestBodyBytes } from './requestLimits.js';

const stateChanging: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * What every API request must satisfy before a handler runs, checked from headers alone so
 * nothing is read or stored first:
 * - a state-changing request says `Content-Type: application/json`, even with no body (415), or
 *   a JSON Lines type (`application/x-ndjson`, `application/jsonl`: corrected rows for a
 *   re-ingest; the handlers that take JSON refuse such a body as not JSON). A
 *   web page can send text/plain, form and bodiless POSTs to any origin without a CORS
 *   preflight, but not application/json; so this turns away cross-site request forgery from a
 *   developer's browser at the local runtime, and under the Functions host alike;
 * - a declared Content-Length is a number within the body cap (400, 413), so an announced large
 *   body is refused before one byte of it is read. Bodies without a length (chunked) are cut
 *   at the cap while being read (readBodyText).
 */
export function screenRequest(request: HttpRequest): HttpResponseInit | undefined {
  const type = request.headers.get('content-type');
  if (stateChanging.has(request.method.toUpperCase()) && !isJsonMediaType(type) && !isJsonLinesMediaType(type)) {
    return problem(415, 'Unsupported media type', 'Content-Type: must be application/json for POST, PUT, PATCH and DELETE, even without a body (or application/x-ndjson for a file of rows)');
  }
  const length = request.headers.get('content-length');
  if (length !== null) {
    if (!/^\s*\d{1,15}\s*$/.test(length)) return problem(400, 'Invalid Content-Length header', 'Content-Length: must be a number of bytes');
    if (Number(length) > maxRequestBodyBytes) return tooLarge(maxRequestBodyBytes);
  }
  return undefined;
}

/** `application/json`, optionally with `charset=utf-8` (JSON is UTF-8, RFC 8259); nothing else. */
function isJsonMediaType(value: string | null): boolean {
  return isMediaType(value, ['application/json']);
}

/**
 * JSON Lines: `application/x-ndjson` or `application/jsonl`, optionally with `charset=utf-8`.
 * Like JSON, neither is a type a web page may send cross-site without a CORS preflight.
 */
export function isJsonLinesMediaType(value: string | null): boolean {
  return isMediaType(value, ['application/x-ndjson', 'application/jsonl']);
}

function isMediaType(value: string | null, types: readonly string[]): boolean {
  if (value === null) return false;
  const [type, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (!types.includes(type ?? '')) return false;
  return parameters.every((parameter) => parameter === '' || /^charset="?utf-8"?$/.test(parameter));
}
