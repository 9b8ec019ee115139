import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { problem, type Parsed } from './problem.js';
import { continuationTokenParameter, listLimit, parseQuery } from './queryParameters.js';

/** The tokens these lists hand out are positions in a sorted key: digits, nothing else. */
const positionSchema = z.string().regex(/^\d{1,16}$/).transform(Number);

export type PageQuery = { limit: number; after?: number };

/**
 * The query of a list paged by position (a run's chunks, a timeline): `limit` (default
 * `defaultLimit`), `continuationToken` from the previous page and, where the list allows it,
 * `after` (a position to start behind, for a view that polls for what is new). Unknown or repeated
 * parameters are refused by parseQuery; a token together with `after` is refused too: the token
 * already says where the page starts.
 */
export function readPageQuery(request: HttpRequest, options: { defaultLimit: number; allowAfter?: boolean }): Parsed<PageQuery> {
  const paging = { limit: listLimit(options.defaultLimit), continuationToken: continuationTokenParameter };
  const query = options.allowAfter ? parseQuery(request, { ...paging, after: z.string().optional() }) : parseQuery(request, paging);
  if (!query.ok) return query;
  const { limit, continuationToken } = query.value;
  const after = 'after' in query.value ? query.value.after : undefined;
  if (continuationToken !== undefined && after !== undefined) return invalid('after', 'give either after or continuationToken, not both');
  if (continuationToken === undefined && after === undefined) return { ok: true, value: { limit } };
  const position = positionSchema.safeParse(continuationToken ?? after);
  if (position.success) return { ok: true, value: { limit, after: position.data } };
  return continuationToken !== undefined ? invalid('continuationToken', 'not a continuation token this API returned') : invalid('after', 'a sequence number of an event (digits)');
}

function invalid(name: string, message: string): { ok: false; response: ReturnType<typeof problem> } {
  return { ok: false, response: problem(400, `Invalid query parameter ${name}`, `${name}: ${message}`, [{ path: name, message }]) };
}
