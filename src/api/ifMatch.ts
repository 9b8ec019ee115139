import type { HttpRequest } from '@azure/functions';
import { problem, type Parsed } from './problem.js';

/**
 * The one ETag shape our records have: Table Storage's, which Azurite copies exactly, e.g.
 * W/"datetime'2026-12-07T10%3A12%3A18.4279109Z'". Anything else cannot be an ETag we handed out,
 * and storage must not see it: Azure answers some malformed values with 400 InvalidInput
 * (which used to surface as a 500 with the raw storage error), and `*` would match any version.
 */
const etagShape = /^W\/"datetime'\d{4}-\d{2}-\d{2}T\d{2}%3A\d{2}%3A\d{2}(?:\.\d{1,7})?Z'"$/;

/**
 * The If-Match of a change: required (428), exactly one of our ETags (400 naming the header
 * when malformed). `*` is refused with 428 too: it makes the write unconditional, which is
 * what the requirement exists to prevent; send the ETag you read instead.
 */
export function readIfMatch(request: HttpRequest, what = 'pipeline'): Parsed<string> {
  const value = request.headers.get('if-match')?.trim();
  if (!value) return { ok: false, response: problem(428, 'If-Match is required', `If-Match: send the ETag of the ${what} you read, so a concurrent change is not overwritten`) };
  if (value === '*') return { ok: false, response: problem(428, 'If-Match: * is not accepted', `If-Match: send the ETag of the ${what} you read, not *, so a concurrent change is not overwritten`) };
  if (!etagShape.test(value)) return { ok: false, response: problem(400, 'Invalid If-Match header', 'If-Match: not an ETag this API returned; send the ETag header of your last read unchanged') };
  return { ok: true, value };
}
