import { createHash } from 'node:crypto';
import { z } from 'zod';
import { problem, type Parsed } from './problem.js';

/**
 * Continuation tokens are opaque to callers: base64url of a small JSON object that says which
 * list it belongs to (`list`), a digest of the filters it was made under (`filters`), and where the
 * previous page stopped. Coming back they are checked as strictly as any other input: a token that
 * does not decode, has the wrong shape, belongs to another list, or was made under other filters is
 * a 400 naming continuationToken, never a storage query built from whatever it holds.
 */
export function encodeContinuationToken(list: string, filters: unknown, position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, list, filters: filtersDigest(filters), ...position }), 'utf8').toString('base64url');
}

export function decodeContinuationToken<S extends z.ZodType>(token: string | undefined, list: string, filters: unknown, position: S): Parsed<z.infer<S> | undefined> {
  if (token === undefined) return { ok: true, value: undefined };
  const envelope = z.looseObject({ v: z.literal(1), list: z.string(), filters: z.string() });
  let decoded: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return refuse('not a token this API handed out; pass the continuationToken of the previous page unchanged');
  }
  const head = envelope.safeParse(decoded);
  if (!head.success) return refuse('not a token this API handed out; pass the continuationToken of the previous page unchanged');
  if (head.data.list !== list) return refuse(`a token of another list (${head.data.list}); pass the continuationToken this list returned`);
  if (head.data.filters !== filtersDigest(filters)) return refuse('made for other filters; repeat the query of the first page with this token, or start again without it');
  const { v: _v, list: _list, filters: _filters, ...rest } = head.data;
  const parsed = position.safeParse(rest);
  if (!parsed.success) return refuse('not a token this API handed out; pass the continuationToken of the previous page unchanged');
  return { ok: true, value: parsed.data };
}

/** A short digest of the filters, so a token cannot carry one query's position into another. */
function filtersDigest(filters: unknown): string {
  return createHash('sha256').update(JSON.stringify(filters ?? null)).digest('base64url').slice(0, 16);
}

function refuse(reason: string): { ok: false; response: ReturnType<typeof problem> } {
  return { ok: false, response: problem(400, 'Invalid query parameter continuationToken', `continuationToken: ${reason}`, [{ path: 'continuationToken', message: reason }]) };
}
