import { describe, expect, it } from 'vitest';
import { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { commaSeparated, continuationTokenParameter, isoTimestamp, listLimit, parseQuery } from '../../src/api/queryParameters.js';
import { decodeContinuationToken, encodeContinuationToken } from '../../src/api/continuationToken.js';

const get = (query: string) => new HttpRequest({ method: 'GET', url: `http://127.0.0.1/api/things${query}` });
const shape = { status: commaSeparated(['a', 'b', 'c']).optional(), since: isoTimestamp.optional(), limit: listLimit(50), continuationToken: continuationTokenParameter };

function refusal(answer: ReturnType<typeof parseQuery>): { status?: number; detail: string } {
  if (answer.ok) throw new Error('accepted');
  const body = answer.response.jsonBody as { detail: string };
  return { status: answer.response.status, detail: body.detail };
}

describe('parseQuery', () => {
  it('parses known parameters and applies defaults', () => {
    expect(parseQuery(get(''), shape)).toEqual({ ok: true, value: { limit: 50 } });
    const parsed = parseQuery(get('?status=b,a,b&since=2026-12-01&limit=7'), shape);
    expect(parsed).toEqual({ ok: true, value: { status: ['b', 'a'], since: new Date('2026-12-01T00:00:00Z'), limit: 7 } });
    expect(parseQuery(get('?since=2026-12-01T10:00:00%2B02:00'), shape)).toMatchObject({ ok: true, value: { since: new Date('2026-12-01T08:00:00Z') } });
  });

  it('names an unknown parameter, a repeated one and an invalid one', () => {
    expect(refusal(parseQuery(get('?stauts=a'), shape))).toEqual({ status: 400, detail: 'stauts: not a parameter of this endpoint; it takes status, since, limit, continuationToken' });
    expect(refusal(parseQuery(get('?limit=1&limit=2'), shape)).detail).toBe('limit: given 2 times; give it once');
    expect(refusal(parseQuery(get('?status=a,d'), shape)).detail).toBe('status: "d" not among a, b, c');
    for (const limit of ['0', '1001', '1e2', '0x10', '+5', '', '%207']) expect(refusal(parseQuery(get(`?limit=${limit}`), shape)).detail).toMatch(/^limit: /);
    for (const since of ['yesterday', '2026-12-01T10:00:00', '2026-02-30', '1733000000']) expect(refusal(parseQuery(get(`?since=${since}`), shape)).detail).toMatch(/^since: /);
    expect(refusal(parseQuery(get('?continuationToken='), shape)).detail).toMatch(/^continuationToken: /);
  });
});

describe('continuation tokens', () => {
  const position = z.strictObject({ after: z.string().regex(/^[a-z]+$/) });

  it('round-trip a position under the same list and filters', () => {
    const token = encodeContinuationToken('things', { status: ['a'] }, { after: 'abc' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinuationToken(token, 'things', { status: ['a'] }, position)).toEqual({ ok: true, value: { after: 'abc' } });
    expect(decodeContinuationToken(undefined, 'things', {}, position)).toEqual({ ok: true, value: undefined });
  });

  it('refuse a token of another list, other filters, a forged position or no token at all, naming continuationToken', () => {
    const token = encodeContinuationToken('things', { status: ['a'] }, { after: 'abc' });
    const forged = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    const cases = [
      decodeContinuationToken(token, 'others', { status: ['a'] }, position),
      decodeContinuationToken(token, 'things', { status: ['b'] }, position),
      decodeContinuationToken(forged({ ...decoded, after: "x' or '1' eq '1" }), 'things', { status: ['a'] }, position),
      decodeContinuationToken(forged({ ...decoded, more: true }), 'things', { status: ['a'] }, position),
      decodeContinuationToken(forged({ ...decoded, v: 2 }), 'things', { status: ['a'] }, position),
      decodeContinuationToken(forged([1, 2]), 'things', { status: ['a'] }, position),
      decodeContinuationToken('not base64!', 'things', { status: ['a'] }, position),
      decodeContinuationToken(Buffer.from('{"v":1').toString('base64url'), 'things', { status: ['a'] }, position),
    ];
    for (const answer of cases) {
      expect(answer.ok).toBe(false);
      if (!answer.ok) expect((answer.response.jsonBody as { detail: string }).detail).toMatch(/^continuationToken: /);
    }
  });
});
