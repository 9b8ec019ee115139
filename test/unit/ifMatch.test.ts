import { describe, expect, it } from 'vitest';
import functions from '@azure/functions';
import { readIfMatch } from '../../src/api/ifMatch.js';

const withIfMatch = (value?: string) =>
  new functions.HttpRequest({ method: 'PUT', url: 'http://127.0.0.1/api/pipelines/p', headers: value === undefined ? {} : { 'if-match': value } });

// What Azurite (and Azure Table Storage) hand out as an entity's ETag.
const etag = `W/"datetime'2026-12-07T10%3A12%3A18.4279109Z'"`;

describe('readIfMatch', () => {
  it('accepts the ETag shape Table Storage returns', () => {
    expect(readIfMatch(withIfMatch(etag))).toEqual({ ok: true, value: etag });
    expect(readIfMatch(withIfMatch(`W/"datetime'2026-12-07T10%3A12%3A18Z'"`)).ok).toBe(true);
  });

  it('answers a missing header and * with 428', () => {
    for (const value of [undefined, '', '*', ' * ']) {
      const read = readIfMatch(withIfMatch(value));
      expect(read.ok).toBe(false);
      if (!read.ok) expect(read.response.status).toBe(428);
    }
  });

  it('answers anything else with 400 naming the header', () => {
    for (const value of ['garbage', '"abc"', 'W/"x"', `${etag}, ${etag}`, `W/"datetime'zz'"`, etag.slice(2), `${etag}x`, `W/"datetime'2026-12-07T10:12:18Z'"`]) {
      const read = readIfMatch(withIfMatch(value));
      expect(read.ok, value).toBe(false);
      if (!read.ok) {
        expect(read.response.status).toBe(400);
        expect(JSON.stringify(read.response.jsonBody)).toContain('If-Match');
      }
    }
  });
});
