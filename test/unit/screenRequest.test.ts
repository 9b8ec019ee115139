import { describe, expect, it } from 'vitest';
import functions from '@azure/functions';
import { screenRequest } from '../../src/api/screenRequest.js';

const request = (method: string, headers: Record<string, string>) => new functions.HttpRequest({ method, url: 'http://127.0.0.1/api/pipelines', headers });

describe('screenRequest', () => {
  it('lets reads through whatever their Content-Type', () => {
    expect(screenRequest(request('GET', {}))).toBeUndefined();
    expect(screenRequest(request('GET', { 'content-type': 'text/plain' }))).toBeUndefined();
  });

  it('requires application/json (optionally charset=utf-8) on every state-changing method', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(screenRequest(request(method, {}))?.status, method).toBe(415);
      expect(screenRequest(request(method, { 'content-type': 'application/json' })), method).toBeUndefined();
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonp', 'application/json, text/plain']) {
      expect(screenRequest(request('POST', { 'content-type': type }))?.status, type).toBe(415);
    }
    for (const type of ['Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
      expect(screenRequest(request('POST', { 'content-type': type })), type).toBeUndefined();
    }
  });

  it('lets JSON Lines through too (corrected rows for a re-ingest), still a type no web page sends cross-site without a preflight', () => {
    for (const type of ['application/x-ndjson', 'application/jsonl', 'application/x-ndjson; charset=utf-8']) {
      expect(screenRequest(request('POST', { 'content-type': type })), type).toBeUndefined();
    }
    for (const type of ['application/x-ndjson; charset=latin1', 'text/x-ndjson', 'application/ndjsonx']) {
      expect(screenRequest(request('POST', { 'content-type': type }))?.status, type).toBe(415);
    }
  });

  it('refuses a declared length over the cap (413) or not a number (400) before anything is read', () => {
    const json = { 'content-type': 'application/json' };
    expect(screenRequest(request('POST', { ...json, 'content-length': String(1024 * 1024) }))).toBeUndefined();
    expect(screenRequest(request('POST', { ...json, 'content-length': String(1024 * 1024 + 1) }))?.status).toBe(413);
    expect(screenRequest(request('POST', { ...json, 'content-length': '1e9' }))?.status).toBe(400);
    expect(screenRequest(request('POST', { ...json, 'content-length': '99999999999999999999' }))?.status).toBe(400);
  });
});
