import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { problem, type Parsed } from './problem.js';

/**
 * The query string of a request, checked with a zod shape: each parameter at most once, none the
 * endpoint does not know (a typo such as `?stauts=failed` would otherwise be silently ignored and
 * answer with everything), each value valid. A 400 names the parameter. Every value is text, so
 * each schema in `shape` starts from a string (or is optional, or has a default).
 *
 *   const query = parseQuery(request, { limit: listLimit(50), continuationToken: z.string().optional() });
 *   if (!query.ok) return query.response;
 */
export function parseQuery<Shape extends z.ZodRawShape>(request: HttpRequest, shape: Shape): Parsed<z.infer<z.ZodObject<Shape>>> {
  const given: Record<string, string> = {};
  for (const name of new Set(request.query.keys())) {
    if (!Object.hasOwn(shape, name)) return refuse(`Unknown query parameter ${name}`, `${name}: not a parameter of this endpoint; it takes ${Object.keys(shape).join(', ') || 'none'}`, name);
    const values = request.query.getAll(name);
    if (values.length > 1) return refuse(`Invalid query parameter ${name}`, `${name}: given ${values.length} times; give it once`, name);
    given[name] = values[0]!;
  }
  const parsed = z.object(shape).safeParse(given);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? '(query)');
  return refuse(`Invalid query parameter ${name}`, `${name}: ${issue.message}`, name);
}

function refuse(title: string, detail: string, name: string): { ok: false; response: ReturnType<typeof problem> } {
  return { ok: false, response: problem(400, title, detail, [{ path: name, message: detail.slice(name.length + 2) }]) };
}

/** `?limit=`: plain digits from 1 to 1000 (Number() would also take `1e2`, `0x10` and ` 7 `). */
export function listLimit(defaultLimit: number) {
  return z
    .string()
    .regex(/^\d{1,4}$/, 'a whole number from 1 to 1000, in plain digits')
    .transform(Number)
    .pipe(z.number().int().min(1, 'a whole number from 1 to 1000').max(1000, 'a whole number from 1 to 1000'))
    .default(defaultLimit);
}

/** `?continuationToken=`: the text of a token from the previous page; decodeContinuationToken checks what is in it. */
export const continuationTokenParameter = z.string().min(1, 'empty; leave it out for the first page').max(2000, 'longer than any token this API hands out').optional();

/**
 * A comma-separated list of values from `values` (`?status=failed,timed_out`), each named in the
 * 400 when it is not one of them; duplicates collapse.
 */
export function commaSeparated<T extends string>(values: readonly [T, ...T[]]) {
  return z.string().transform((text, context): T[] => {
    const items = text.split(',').map((item) => item.trim());
    const unknown = items.filter((item) => !(values as readonly string[]).includes(item));
    if (unknown.length) {
      context.addIssue({ code: 'custom', message: `${unknown.map((item) => JSON.stringify(item)).join(', ')} not among ${values.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(items as T[])];
  });
}

/** An ISO 8601 timestamp with its offset (`2026-12-01T00:00:00Z`) or a UTC date (`2026-12-01`). */
export const isoTimestamp = z
  .string()
  .refine((text) => z.iso.datetime({ offset: true }).safeParse(text).success || z.iso.date().safeParse(text).success, 'an ISO 8601 timestamp such as 2026-12-01T00:00:00Z, or a date such as 2026-12-01')
  .transform((text) => new Date(text.length === 10 ? `${text}T00:00:00Z` : text));
