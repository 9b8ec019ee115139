import type { HttpResponseInit } from '@azure/functions';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json', ...headers } };
}

/** An error answer: a title, a detail that names the field or header, and zod's issues when there are some. */
export function problem(status: number, title: string, detail?: string, issues?: Array<{ path: string; message: string }>, headers: Record<string, string> = {}): HttpResponseInit {
  return json(status, { error: { title, ...(detail ? { detail } : {}), ...(issues ? { issues } : {}) } }, headers);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };
