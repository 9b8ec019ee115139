import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { zodIssues } from '../spec/formatZodError.js';
import { problem, type Parsed } from './problem.js';
import { readJsonBody } from './readJsonBody.js';

export { json, problem, type Parsed } from './problem.js';

/** Reads a JSON body (capped, see readJsonBody) and checks it with a schema; a 400 names every field that is wrong. */
export async function parseJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S, emptyBody?: unknown): Promise<Parsed<z.infer<S>>> {
  const read = await readJsonBody(request);
  if (!read.ok) return read;
  const parsed = schema.safeParse(read.value === undefined ? emptyBody : read.value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    return { ok: false, response: problem(400, 'The request body is invalid', issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '), issues) };
  }
  return { ok: true, value: parsed.data };
}

/** Checks a route parameter with a schema; a 400 names the parameter. */
export function parseParam<S extends z.ZodType>(request: HttpRequest, name: string, schema: S): Parsed<z.infer<S>> {
  const parsed = schema.safeParse(request.params[name]);
  if (!parsed.success) return { ok: false, response: problem(400, `Invalid route parameter ${name}`, `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`) };
  return { ok: true, value: parsed.data };
}
