import { Readable } from 'node:stream';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, quietLog, type TestEnvironment } from '../support/testEnvironment.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { send, sendRaw, type Answer } from '../support/rawHttp.js';
import { startHttpServer } from '../../src/local/httpServer.js';
import { functionRegistry, type HttpFunction } from '../../src/registry.js';

/**
 * Hostile requests against the real HTTP layer of the local runtime (PostgreSQL, Azurite, the
 * runtime's own server). Each one must get a 4xx whose body names what is wrong (the field,
 * header or parameter), never a 500, a hang or a crash, and must change nothing: every table,
 * queue and blob, and the source's catalog and rows, read back before and after.
 *
 * Checked against the OWASP API Security Top 10 (2023), for what exists today:
 * - API1 object-level and API5 function-level authorization: signInAndRoles.test.ts (forged
 *   principals: Reader/Operator roles, pipeline owners). Here the requests come without a
 *   principal, as the local developer's, who may do everything; in Azure App Service
 *   Authentication (Entra ID) stands in front and no function keys are used.
 * - API2 authentication: the local runtime answers only loopback Host and Origin (DNS
 *   rebinding, cross-site pages) and only JSON for changes (CSRF).
 * - API3 object property level: read-only properties (etag, createdAt, schedulePaused) and
 *   unknown ones in a body are refused, not assigned; prototype keys are refused.
 * - API4 resource consumption: body size (streamed, cut at the cap), JSON depth, list limits,
 *   header size, a body that never finishes (408).
 * - API7 SSRF: a spec names an app setting, never a host; which settings it may name is the
 *   spec checks' part (findSecrets, connectionSetting prefix), tested there.
 * - API8 misconfiguration: no 500 carries internal text; unknown methods get 405 with Allow.
 * - API9 inventory: unknown routes are 404.
 * API6 (business flows: a run storm) is the run lease's test; API10 does not apply (Siphon
 * consumes no third-party API from a request).
 */
let env: TestEnvironment;
let base: string;

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const spec = { id: 'orders', source, table: { name: 'orders' }, output: { container: 'hostile' } };
const json = { 'content-type': 'application/json' };
let etag: string;
let runUrl: string;

beforeAll(async () => {
  env = await startTestEnvironment('hostile', async (db) => {
    await db.query(`CREATE TABLE orders (id serial PRIMARY KEY, placed_at timestamptz, note text)`);
    await db.query(`INSERT INTO orders (placed_at, note) SELECT timestamptz '2024-01-01' + i * interval '1 minute', 'order ' || i FROM generate_series(1, 500) i`);
  });
  base = env.runtime.url;
  // Real state for the requests to (not) change: a pipeline, a finished run with its files and history.
  const created = await env.api.post('/api/pipelines', spec);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const triggered = await env.api.post('/api/pipelines/orders/runs');
  expect(triggered.status).toBe(202);
  runUrl = triggered.headers.get('location')!;
  expect((await env.api.waitForRun(runUrl)).status).toBe('succeeded');
  etag = (await env.api.get('/api/pipelines/orders')).headers.get('etag')!;
});

afterAll(async () => {
  await env?.stop();
});

/** Runs the requests, then asserts that storage and the source are as they were. */
async function changesNothing(requests: () => Promise<void>): Promise<void> {
  const before = await snapshotState(env);
  await requests();
  expect(await snapshotState(env)).toEqual(before);
}

/** A 4xx (exactly `status`) whose error names `mention`, with no stack or internal text. */
function expectRefused(answer: Answer, status: number, mention: string | RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  // RFC 9457 problem details: a title, and the status repeated in the body.
  expect(answer.body?.title, answer.text).toEqual(expect.any(String));
  expect(answer.body?.status, answer.text).toBe(status);
  const said = JSON.stringify(answer.body);
  if (typeof mention === 'string') expect(said).toContain(mention);
  else expect(said).toMatch(mention);
  expect(said).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|RestError|odata|stack/i);
}

const post = (path: string, body: string | Buffer, headers: Record<string, string> = json) => send(base, path, { method: 'POST', headers, body });
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('bodies', () => {
  it('refuses JSON nested 10,000 levels with 400 before parsing it', async () => {
    await changesNothing(async () => {
      expectRefused(await post('/api/pipelines', nested(10_000)), 400, 'nested deeper than 64 levels');
      expectRefused(await post('/api/pipelines', `${'['.repeat(10_000)}${']'.repeat(10_000)}`), 400, 'nested deeper than 64 levels');
      expectRefused(await send(base, '/api/pipelines/orders', { method: 'PUT', headers: { ...json, 'if-match': etag }, body: nested(10_000) }), 400, 'nested deeper');
      expectRefused(await post('/api/pipelines/orders/runs', `{"options":${nested(5_000)}}`), 400, 'options');
      // Depth within the cap reaches the schema, which names the field instead.
      expectRefused(await post('/api/pipelines', `{"id":"deep","description":${nested(60)}}`), 400, 'description');
    });
  });

  it('refuses a 50 MB body with 413, reading no more than about the cap', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let pulled = 0;
    const chunks = (count: number) => Readable.from((function* () {
      for (let i = 0; i < count; i++) {
        pulled += chunk.length;
        yield chunk;
      }
    })());
    await changesNothing(async () => {
      // Announced: refused from the header, before one byte of the body is read.
      const announced = await send(base, '/api/pipelines', { method: 'POST', headers: { ...json, 'content-length': String(50 * 1024 * 1024) }, body: chunks(800) });
      expectRefused(announced, 413, 'body: at most 1048576 bytes');

      // Streamed without a length (chunked): cut at the cap while reading. The process's memory
      // must not grow by anything like the body (before the fix: +257 MB for 50 MB).
      pulled = 0;
      let peak = process.memoryUsage.rss();
      const baseline = peak;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
      const response = await fetch(`${base}/api/pipelines`, { method: 'POST', headers: json, body: Readable.toWeb(chunks(800)) as ReadableStream, duplex: 'half' } as RequestInit);
      clearInterval(sampler);
      const text = await response.text();
      // Measured with the cap raised above 50 MB (the old behaviour), the same request grew RSS by about 90 MiB.
      expect(peak - baseline, 'RSS growth in bytes').toBeLessThan(16 * 1024 * 1024);
      expectRefused({ status: response.status, headers: {}, text, body: JSON.parse(text) }, 413, 'body: at most 1048576 bytes');
      // The runtime stopped reading and closed: the client could not even send most of the body.
      expect(pulled).toBeLessThan(25 * 1024 * 1024);
    });
  });

  it('refuses a Content-Length that lies, either way, and a body that never comes', async () => {
    const body = JSON.stringify({ ...spec, id: 'liar' });
    await changesNothing(async () => {
      // Shorter than the body: the first 20 bytes are not JSON, and the rest is not a request
      // (whichever the runtime notices first answers).
      const short = await sendRaw(base, `POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n${body}`);
      expectRefused(short, 400, /"detail":"(body|request): /);
      // Longer than the body, then the client stops sending.
      const long = await sendRaw(base, `POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n${body}`, { halfClose: true });
      expect(long.status).toBe(400);
      // Not a number, and both a length and chunked framing (request smuggling).
      expectRefused(await sendRaw(base, `POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1e3\r\n\r\n{}`), 400, 'request');
      expectRefused(await sendRaw(base, `POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`), 400, 'request');
    });
    expect((await env.api.get('/api/pipelines/liar')).status).toBe(404);

    // A body announced and never sent: a server of its own with a short request timeout (the
    // runtime's is 30 s) answers 408 instead of waiting for ever.
    const server = await startHttpServer(functionRegistry.filter((fn): fn is HttpFunction => fn.kind === 'http'), 0, quietLog, undefined, { requestTimeoutInMs: 500, timeoutCheckIntervalInMs: 100 });
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      await changesNothing(async () => {
        const stalled = await sendRaw(`http://127.0.0.1:${port}`, `POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"id":`, { timeoutInMs: 5_000 });
        expectRefused(stalled, 408, 'request: not received in time');
      });
    } finally {
      await closeServer(server);
    }
  });

  it('refuses a body that is not JSON or not UTF-8, and bodies that are JSON but not a spec', async () => {
    await changesNothing(async () => {
      expectRefused(await post('/api/pipelines', 'id=orders&table=x'), 400, 'body');
      expectRefused(await post('/api/pipelines', '{"id": "x",}'), 400, 'not valid JSON');
      expectRefused(await post('/api/pipelines', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400, 'not valid UTF-8');
      expectRefused(await post('/api/pipelines', ''), 400, 'body');
      expectRefused(await post('/api/pipelines', 'null'), 400, 'body');
      expectRefused(await post('/api/pipelines', '[1,2,3]'), 400, 'body');
      expectRefused(await post('/api/pipelines', '"orders"'), 400, 'body');
      expectRefused(await post('/api/pipelines/orders/runs', '{"options": "all"}'), 400, 'options');
    });
  });

  it('refuses a key given twice, naming it', async () => {
    await changesNothing(async () => {
      expectRefused(await post('/api/pipelines', `{"id":"dupe","id":"orders","source":${JSON.stringify(source)}}`), 400, '"path":"id"');
      // Keys are compared by value: an escaped spelling is the same key.
      expectRefused(await post('/api/pipelines', `{"output":{"container":"a","cont\\u0061iner":"b"}}`), 400, 'output.container');
    });
  });

  it('refuses __proto__ and constructor.prototype keys, and pollutes nothing', async () => {
    await changesNothing(async () => {
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'proto' }).replace('{', '{"__proto__":{"polluted":true},')), 400, '__proto__');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'proto', output: { container: 'x' } }).replace('"output":{', '"output":{"__proto__":{"isAdmin":true},')), 400, 'output.__proto__');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'ctor', constructor: { prototype: { polluted: true } } })), 400, 'constructor.prototype');
      expectRefused(await post('/api/pipelines/orders/runs', '{"options":{"__proto__":{"fullRefresh":true}}}'), 400, 'options.__proto__');
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('refuses read-only and unknown properties instead of assigning them (mass assignment)', async () => {
    await changesNothing(async () => {
      const answer = await post('/api/pipelines', JSON.stringify({ ...spec, id: 'mass', etag: 'W/"x"', createdAt: '2000-01-01T00:00:00Z', schedulePaused: true, owner: 'me' }));
      expectRefused(answer, 400, 'body');
      expect(answer.body!.errors.map((issue: { message: string }) => issue.message).join(' ')).toMatch(/etag.*createdAt.*schedulePaused.*owner|Unrecognized key/);
    });
  });

  it('refuses numbers out of range, huge, or spelled as NaN and Infinity, naming the field', async () => {
    const bad = (chunking: string) => post('/api/pipelines', JSON.stringify({ ...spec, id: 'numbers', chunking: { column: 'id' } }).replace('{"column":"id"}', chunking));
    await changesNothing(async () => {
      expectRefused(await bad('{"column":"id","chunks":1e400}'), 400, 'chunking.chunks');
      expectRefused(await bad('{"column":"id","chunks":9007199254740993}'), 400, 'chunking.chunks');
      expectRefused(await bad('{"column":"id","chunks":-1}'), 400, 'chunking.chunks');
      expectRefused(await bad('{"column":"id","chunks":2.5}'), 400, 'chunking.chunks');
      expectRefused(await bad('{"column":"id","chunks":"NaN"}'), 400, 'chunking.chunks');
      expectRefused(await bad('{"column":"id","maxParallel":"Infinity"}'), 400, 'chunking.maxParallel');
      expectRefused(await bad('{"column":"id","chunks":NaN}'), 400, 'not valid JSON');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'numbers', timeoutMinutes: -1e308 })), 400, 'timeoutMinutes');
    });
  });

  it('refuses NUL, control characters and non-ASCII in ids and names', async () => {
    await changesNothing(async () => {
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'orders\u0000' })), 400, '"path":"id"');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'ordérs' })), 400, '"path":"id"');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: '\u{1F600}' })), 400, '"path":"id"');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'nul-table', table: { name: 'orders\u0000; DROP TABLE orders' } })), 400, 'table.name');
      expectRefused(await post('/api/pipelines', JSON.stringify({ ...spec, id: 'x'.repeat(10_000) })), 400, '"path":"id"');
    });
  });
});

describe('content type (CSRF)', () => {
  it('refuses changes without Content-Type: application/json, with or without a body', async () => {
    const body = JSON.stringify({ ...spec, id: 'csrf' });
    await changesNothing(async () => {
      expectRefused(await post('/api/pipelines', body, { 'content-type': 'text/plain' }), 415, 'Content-Type');
      expectRefused(await post('/api/pipelines', 'id=csrf&source=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'Content-Type');
      expectRefused(await post('/api/pipelines', '--b\r\nContent-Disposition: form-data; name="id"\r\n\r\ncsrf\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }), 415, 'Content-Type');
      expectRefused(await post('/api/pipelines', body, { 'content-type': 'application/json; charset=iso-8859-1' }), 415, 'Content-Type');
      expectRefused(await post('/api/pipelines', body, {}), 415, 'Content-Type');
      // Bodiless POSTs too: a form or a no-cors fetch can send those cross-site.
      expectRefused(await send(base, '/api/pipelines/orders/runs', { method: 'POST' }), 415, 'Content-Type');
      expectRefused(await send(base, `${runUrl}/retry`, { method: 'POST', headers: { 'content-type': 'text/plain' } }), 415, 'Content-Type');
      expectRefused(await send(base, '/api/pipelines/orders/schedule/pause', { method: 'POST', headers: { 'if-match': etag } }), 415, 'Content-Type');
      expectRefused(await send(base, '/api/pipelines/orders', { method: 'PUT', headers: { 'content-type': 'text/plain', 'if-match': etag }, body }), 415, 'Content-Type');
    });
    expect((await env.api.get('/api/pipelines/csrf')).status).toBe(404);
  });
});

describe('host and origin (DNS rebinding)', () => {
  it('answers only loopback Host names, and pages from loopback origins', async () => {
    const body = JSON.stringify({ ...spec, id: 'rebound' });
    await changesNothing(async () => {
      for (const host of ['evil.example', 'evil.example:7071', '127.0.0.1.nip.io', 'localhost.evil.example', '10.0.0.1', '127.0.0.1@evil.example', '[::2]']) {
        expectRefused(await send(base, '/api/pipelines', { method: 'POST', headers: { ...json, host }, body }), 421, 'Host');
        expectRefused(await send(base, '/api/health', { headers: { host } }), 421, 'Host');
      }
      // HTTP/1.0 may leave Host out; the runtime does not guess.
      expectRefused(await sendRaw(base, 'GET /api/pipelines HTTP/1.0\r\n\r\n'), 421, 'Host');
      for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.nip.io:7071']) {
        expectRefused(await send(base, '/api/pipelines', { method: 'POST', headers: { ...json, origin }, body }), 403, 'Origin');
      }
    });
    for (const host of ['127.0.0.1', 'localhost', 'LOCALHOST:7071', '[::1]', `127.0.0.1:${new URL(base).port}`]) {
      expect((await send(base, '/api/health', { headers: { host } })).status).toBe(200);
    }
    expect((await send(base, '/api/health', { headers: { origin: base } })).status).toBe(200);
  });
});

describe('URLs and routes', () => {
  it('answers malformed percent-encoding with 400 and keeps serving', async () => {
    await changesNothing(async () => {
      expectRefused(await send(base, '/api/pipelines/%E0%A4%A'), 400, 'id: the route parameter is not valid percent-encoding');
      expectRefused(await send(base, '/api/pipelines/%E0%A4%A/runs', { method: 'POST', headers: json }), 400, 'id');
      expectRefused(await send(base, `/api/pipelines/orders/runs/%ZZ`), 400, 'runId');
      expectRefused(await send(base, '/api/pipelines/%'), 400, 'id');
      expectRefused(await send(base, '/api/pipelines/%C0%AF'), 400, 'id');
    });
    expect((await send(base, '/api/health')).status).toBe(200);
  });

  it('refuses route parameters out of shape, naming them', async () => {
    await changesNothing(async () => {
      expectRefused(await send(base, '/api/pipelines/ORDERS'), 400, 'Invalid route parameter id');
      expectRefused(await send(base, '/api/pipelines/a%2Fb'), 400, 'id');
      expectRefused(await send(base, '/api/pipelines/orders%00'), 400, 'id');
      expectRefused(await send(base, '/api/pipelines/%F0%9F%98%80'), 400, 'id');
      expectRefused(await send(base, `/api/pipelines/${'a'.repeat(2_000)}`), 400, 'id');
      expectRefused(await send(base, '/api/pipelines/orders/runs/not-a-run'), 400, 'runId');
      expectRefused(await send(base, '/api/pipelines/orders/runs/20261121T120000Z-0BADBAD0/cancel', { method: 'POST', headers: json }), 400, 'runId');
      expectRefused(await send(base, '/api/pipelines/orders/runs/..%2F..%2Fhealth'), 400, 'runId');
    });
  });

  it('answers 404 for unknown routes and pipelines and 405 with Allow for unknown methods', async () => {
    await changesNothing(async () => {
      expectRefused(await send(base, '/api/nothing-here'), 404, 'path');
      expectRefused(await send(base, '/api/pipelines/orders/runs/20261121T120000Z-0badbad0/delete', { method: 'POST', headers: json }), 404, 'path');
      expectRefused(await send(base, '/admin'), 404, 'path');
      expectRefused(await send(base, '/api/pipelines/no-such-pipeline'), 404, 'no-such-pipeline');
      expectRefused(await send(base, '/api/pipelines/no-such-pipeline/runs', { method: 'POST', headers: json }), 404, 'no-such-pipeline');
      expectRefused(await send(base, '/api/pipelines/no-such-pipeline', { method: 'PUT', headers: { ...json, 'if-match': etag }, body: JSON.stringify({ ...spec, id: 'no-such-pipeline' }) }), 404, 'no-such-pipeline');
      expectRefused(await send(base, '/api/pipelines/orders/runs/20261121T120000Z-0badbad0'), 404, '20261121T120000Z-0badbad0');

      const patched = await send(base, '/api/pipelines/orders', { method: 'PATCH', headers: json });
      expectRefused(patched, 405, 'method');
      expect(patched.headers.allow).toBe('GET, PUT, DELETE');
      for (const method of ['PATCH', 'OPTIONS', 'TRACE', 'HEAD']) {
        const answer = await send(base, '/api/pipelines', { method, headers: json });
        expect(answer.status, method).toBe(405);
        expect(answer.headers.allow).toBe('POST, GET');
      }
    });
  });

  it('refuses list limits out of range, naming the parameter', async () => {
    await changesNothing(async () => {
      for (const limit of ['-1', '0', 'abc', '1.5', '1001', '99999999999999999999', '1e309', '1e2', '0x10', '+5', '%207', '', '%00']) {
        expectRefused(await send(base, `/api/pipelines/orders/runs?limit=${limit}`), 400, 'limit');
      }
    });
    expect((await send(base, '/api/pipelines/orders/runs?limit=1')).body!.runs.length).toBe(1);
  });

  it('answers what the HTTP parser refuses (oversized headers, a bad request line) and keeps serving', async () => {
    expectRefused(await send(base, `/api/pipelines?x=${'a'.repeat(20_000)}`), 431, 'headers');
    expectRefused(await send(base, '/api/health', { headers: { 'x-big': 'b'.repeat(20_000) } }), 431, 'headers');
    expectRefused(await sendRaw(base, 'GET /api/health\u0000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'request');
    expectRefused(await sendRaw(base, 'NOT AN HTTP REQUEST\r\n\r\n'), 400, 'request');
    expectRefused(await sendRaw(base, 'GET http://evil.example/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'path');
    expectRefused(await sendRaw(base, 'POST /api/pipelines HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'), 400, 'request');
    // Bytes above ASCII in a header value (obs-text) and in the path reach the handler as text, not as a crash.
    const latin1 = await sendRaw(base, Buffer.concat([Buffer.from('GET /api/pipelines/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: '), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n\r\n')]));
    expect(latin1.status).toBe(200);
    expectRefused(await sendRaw(base, Buffer.concat([Buffer.from('GET /api/pipelines/'), Buffer.from([0xc3, 0xa9, 0xff]), Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')])), 400, /id|request/);
    expect((await send(base, '/api/health')).status).toBe(200);
  });
});

describe('If-Match', () => {
  const update = (ifMatch: string | undefined, path = '/api/pipelines/orders') =>
    send(base, path, { method: 'PUT', headers: { ...json, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) }, body: JSON.stringify({ ...spec, description: 'changed' }) });
  const pause = (ifMatch: string) => send(base, '/api/pipelines/orders/schedule/pause', { method: 'POST', headers: { ...json, 'if-match': ifMatch } });

  it('answers a stale ETag with 412', async () => {
    await changesNothing(async () => {
      const stale = `W/"datetime'2000-01-01T00%3A00%3A00.0000000Z'"`;
      expectRefused(await update(stale), 412, 'If-Match');
      expectRefused(await pause(stale), 412, 'If-Match');
    });
  });

  it('answers a malformed If-Match with 400 naming the header, before storage sees it', async () => {
    await changesNothing(async () => {
      for (const value of ['garbage', '"abc"', 'W/"x"', `${etag}, ${etag}`, `W/"datetime'zz'"`, etag.replace('W/', ''), `${etag}x`]) {
        expectRefused(await update(value), 400, 'If-Match');
        expectRefused(await pause(value), 400, 'If-Match');
      }
    });
  });

  it('refuses If-Match: * and a missing If-Match with 428', async () => {
    await changesNothing(async () => {
      expectRefused(await update('*'), 428, 'If-Match');
      expectRefused(await pause('*'), 428, 'If-Match');
      expectRefused(await update(undefined), 428, 'If-Match');
    });
    // The current ETag still works: nothing above consumed or changed it.
    const accepted = await update(etag);
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body!.description).toBe('changed');
    etag = String(accepted.headers.etag);
  });
});

describe('conflicts', () => {
  it('answers cancel and retry of a finished run, and a duplicate create, with 409 and writes nothing', async () => {
    await changesNothing(async () => {
      expectRefused(await send(base, `${runUrl}/cancel`, { method: 'POST', headers: json }), 409, 'succeeded');
      expectRefused(await send(base, `${runUrl}/retry`, { method: 'POST', headers: json }), 409, 'succeeded');
      expectRefused(await post('/api/pipelines', JSON.stringify(spec)), 409, 'orders');
      expectRefused(await post('/api/pipelines/orders/runs', '{"options":{"fullRefresh":true}}'), 400, 'options.fullRefresh');
    });
  });
});

describe('afterwards', () => {
  it('the runtime still answers', async () => {
    const health = await send(base, '/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
  });
});

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
