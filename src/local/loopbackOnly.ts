import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponseInit } from '@azure/functions';
import { problem } from '../api/problem.js';

const loopbackNames: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `localhost`, `127.0.0.1:7071`, `[::1]:7071`: a loopback name with any port, nothing else. */
export function isLoopbackAuthority(authority: string): boolean {
  const match = /^(\[::1\]|[a-z0-9.]+)(?::\d{1,5})?$/.exec(authority.trim().toLowerCase());
  return match !== null && loopbackNames.has(match[1]!);
}

/**
 * The local runtime has no sign-in, so it answers only requests that can only have come from
 * this machine's own tools:
 * - `Host` must be a loopback name (421 otherwise). A web page that rebinds its own DNS name to
 *   127.0.0.1 gets past the browser's same-origin rule, but its requests still carry its name
 *   in Host.
 * - an `Origin`, when a browser sends one, must be a loopback origin too (403): a page from
 *   elsewhere is refused even for requests the browser sends without a preflight.
 */
export function loopbackProblem(headers: IncomingHttpHeaders): HttpResponseInit | undefined {
  if (!headers.host || !isLoopbackAuthority(headers.host)) {
    return problem(421, 'Misdirected request', 'Host: the local runtime answers only requests addressed to 127.0.0.1, localhost or [::1]');
  }
  const origin = headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return problem(403, 'Cross-origin request refused', 'Origin: the local runtime answers only pages served from 127.0.0.1, localhost or [::1]');
  }
  return undefined;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackAuthority(url.host);
  } catch {
    return false; // `null` (sandboxed frames, file: pages) and anything unparseable
  }
}
