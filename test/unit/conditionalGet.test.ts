import { describe, expect, it } from 'vitest';
import functions from '@azure/functions';
import { conditionalGet } from '../../src/api/conditionalGet.js';
import { json, problem } from '../../src/api/problem.js';

const get = (headers: Record<string, string> = {}, method = 'GET') => new functions.HttpRequest({ method, url: 'http://127.0.0.1/api/x', headers });
const headersOf = (response: { headers?: unknown }) => new Headers(response.headers as HeadersInit);

describe('conditional GET', () => {
  it('gives a 200 JSON answer a strong ETag of its body and no-cache', () => {
    const answer = conditionalGet(get(), json(200, { a: 1 }));
    const etag = headersOf(answer).get('etag')!;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(headersOf(answer).get('cache-control')).toBe('private, no-cache');
    expect(answer.jsonBody).toEqual({ a: 1 });
    // The same body, the same tag; another body, another.
    expect(headersOf(conditionalGet(get(), json(200, { a: 1 }))).get('etag')).toBe(etag);
    expect(headersOf(conditionalGet(get(), json(200, { a: 2 }))).get('etag')).not.toBe(etag);
  });

  it('answers a matching If-None-Match with 304, no body, and the same ETag and caching headers', () => {
    const etag = headersOf(conditionalGet(get(), json(200, { a: 1 }))).get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const answer = conditionalGet(get({ 'if-none-match': header }), json(200, { a: 1 }));
      expect(answer.status, header).toBe(304);
      expect(answer.jsonBody).toBeUndefined();
      expect(answer.body).toBeUndefined();
      expect(headersOf(answer).get('etag')).toBe(etag);
      expect(headersOf(answer).get('cache-control')).toBe('private, no-cache');
    }
    for (const header of ['"other"', etag.slice(1, -1), 'garbage', '']) {
      expect(conditionalGet(get({ 'if-none-match': header }), json(200, { a: 1 })).status, header).toBe(200);
    }
  });

  it("keeps the handler's own ETag (its record's) and compares it weakly", () => {
    const recordTag = `W/"datetime'2026-12-07T10%3A12%3A18.4279109Z'"`;
    const answer = conditionalGet(get(), json(200, { id: 'a' }, { etag: recordTag }));
    expect(headersOf(answer).get('etag')).toBe(recordTag);
    expect(conditionalGet(get({ 'if-none-match': recordTag }), json(200, { id: 'a' }, { etag: recordTag })).status).toBe(304);
  });

  it('leaves alone what is not a 200 JSON answer to a GET', () => {
    const created = json(201, { a: 1 });
    expect(conditionalGet(get(), created)).toBe(created);
    const missing = problem(404, 'Not found');
    expect(conditionalGet(get({ 'if-none-match': '*' }), missing)).toBe(missing);
    const change = json(200, { a: 1 });
    expect(conditionalGet(get({ 'if-none-match': '*', 'content-type': 'application/json' }, 'PUT'), change)).toBe(change);
    const page = { status: 200, body: 'text', headers: { 'content-type': 'text/html' } };
    expect(conditionalGet(get({ 'if-none-match': '*' }), page)).toBe(page);
  });
});
