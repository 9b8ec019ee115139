import type { HttpResponseInit } from '@azure/functions';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json', ...headers } };
}

/**
 * An error answer as RFC 9457 problem details (`application/problem+json`): `title` says what
 * went wrong, `detail` names the field or header, `errors` lists zod's issues when there are some
 * (an extension member). `type` stays `about:blank`: the status and title say it all.
 */
export function problem(status: number, title: string, detail?: string, issues?: Array<{ path: string; message: string }>, headers: Record<string, string> = {}): HttpResponseInit {
  const body = { type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...(issues ? { errors: issues } : {}) };
  return { status, jsonBody: body, headers: { 'content-type': 'application/problem+json', ...headers } };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };
