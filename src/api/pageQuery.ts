import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { problem, type Parsed } from './problem.js';

/** Plain digits only: Number() would also take `1e2`, `0x10` and ` 7 `. */
const limitSchema = z.string().regex(/^\d{1,4}$/, 'a whole number from 1 to 1000').transform(Number).pipe(z.number().int().min(1, 'a whole number from 1 to 1000').max(1000, 'a whole number from 1 to 1000'));
/** The tokens these lists hand out are positions in a sorted key: digits, nothing else. */
const positionSchema = z.string().regex(/^\d{1,16}$/, 'not a value this API returned').transform(Number);

export type PageQuery = { limit: number; after?: number };

/**
 * The query of a paged list: `limit` (default `defaultLimit`), `continuationToken` from the
 * previous page and, where the list allows it, `after` (a position to start behind, for a view
 * that polls for what is new). Any other parameter is refused with 400 naming it, as is a token
 * together with `after`: the token already says where the page starts.
 */
export function readPageQuery(request: HttpRequest, options: { defaultLimit: number; allowAfter?: boolean }): Parsed<PageQuery> {
  const allowed = new Set(['limit', 'continuationToken', ...(options.allowAfter ? ['after'] : [])]);
  for (const name of request.query.keys()) {
    if (!allowed.has(name)) return invalid(name, `unknown query parameter; this list takes ${[...allowed].join(', ')}`);
  }
  for (const name of allowed) {
    if (request.query.getAll(name).length > 1) return invalid(name, 'given more than once');
  }
  const limit = limitSchema.safeParse(request.query.get('limit') ?? String(options.defaultLimit));
  if (!limit.success) return invalid('limit', limit.error.issues[0]!.message);
  const token = request.query.get('continuationToken');
  const after = request.query.get('after');
  if (token !== null && after !== null) return invalid('after', 'give either after or continuationToken, not both');
  const position = token ?? after;
  if (position === null) return { ok: true, value: { limit: limit.data } };
  const parsed = positionSchema.safeParse(position);
  if (!parsed.success) return invalid(token !== null ? 'continuationToken' : 'after', token !== null ? 'not a continuation token this API returned' : 'a sequence number of an event (digits)');
  return { ok: true, value: { limit: limit.data, after: parsed.data } };
}

function invalid(name: string, message: string): { ok: false; response: ReturnType<typeof problem> } {
  return { ok: false, response: problem(400, `Invalid query parameter ${name}`, `${name}: ${message}`, [{ path: name, message }]) };
}
