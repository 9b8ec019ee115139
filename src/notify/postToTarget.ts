import type { TargetRequest } from './targetRequest.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';

export type PostOutcome = { ok: true; status: number } | { ok: false; error: string };

/**
 * Posts once, within `timeoutInMs`. A 2xx answer is a delivery (Telegram's also says `"ok":
 * true`); anything else, a redirect included (a webhook that moved is a configuration to fix,
 * not an address to follow with the body), is an error. The error never holds the URL, token
 * or secret the request was built from: each is replaced before the text leaves here.
 */
export async function postToTarget(request: TargetRequest, timeoutInMs: number): Promise<PostOutcome> {
  try {
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, redirect: 'error', signal: AbortSignal.timeout(timeoutInMs) });
    const text = await response.text().catch(() => '');
    if (response.ok) return { ok: true, status: response.status };
    return { ok: false, error: hide(`HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}`, request.secrets) };
  } catch (err) {
    const error = err as Error & { cause?: { code?: string; message?: string } };
    const reason = error.name === 'TimeoutError' ? `no answer within ${timeoutInMs} ms` : `${error.message}${error.cause ? ` (${error.cause.code ?? error.cause.message ?? ''})` : ''}`;
    return { ok: false, error: hide(reason, request.secrets) };
  }
}

/** Every secret and the parts of a URL that carry one (a webhook's path is its key) are replaced. */
export function hide(text: string, secrets: readonly string[]): string {
  let hidden = text;
  for (const secret of secrets) {
    const parts = [secret];
    try {
      const url = new URL(secret);
      if (url.pathname.length > 1) parts.push(url.pathname);
      if (url.search) parts.push(url.search);
      // A key is often one path segment (Slack, Discord) or one query value (a Workflows `sig`),
      // and an error may quote it alone; short ones (`api`, `v1`) are words, not keys.
      for (const segment of url.pathname.split('/')) if (segment.length >= 8) parts.push(segment);
      for (const value of url.searchParams.values()) if (value.length >= 8) parts.push(value);
    } catch {
      // not a URL: the value itself is enough
    }
    for (const part of parts.sort((a, b) => b.length - a.length)) if (part.length >= 4) hidden = hidden.split(part).join('[hidden]');
  }
  return scrubSecrets(hidden);
}
