import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import { zodIssues } from '../spec/formatZodError.js';
import { errorMessage } from '../errors/errorTypes.js';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json', ...headers } };
}

export function problem(status: number, title: string, detail?: string, issues?: Array<{ path: string; message: string }>): HttpResponseInit {
  return json(status, { error: { title, ...(detail ? { detail } : {}), ...(issues ? { issues } : {}) } });
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };

/** Reads a JSON body and checks it with a schema; a 400 names every field that is wrong. */
export async function parseJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S, emptyBody?: unknown): Promise<Parsed<z.infer<S>>> {
  const text = await request.text();
  let body: unknown = emptyBody;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch (err) {
      return { ok: false, response: problem(400, 'The request body is not valid JSON', errorMessage(err)) };
    }
  }
  const parsed = schema.safeParse(body);
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
