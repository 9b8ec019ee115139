import type { Server } from 'node:http';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/local/httpServer.js';
import type { HttpFunction } from '../../src/registry.js';
import { quietLog } from '../support/testEnvironment.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The local runtime's streamed answers (a handler's body as a ReadableStream or an async
 * iterable, as the host streams them with HTTP streaming on): written as they come, chunked,
 * slowed by a client that does not read, cancelled when the client goes away, and never able to
 * stop the server. A server of its own with made-up functions; no storage needed.
 */
let server: Server;
let base: string;

/** Signals the stream functions below give the test. */
const probe = { release: () => undefined as void, cancelled: 0, pulls: 0 };

const route = (name: string, handler: HttpFunction['handler']): HttpFunction => ({ kind: 'http', name, methods: ['GET'], route: `stream/${name}`, access: 'public', handler });

const encoder = new TextEncoder();

function endless(): ReadableStream<Uint8Array> {
  probe.pulls = 0;
  const chunk = new Uint8Array(64 * 1024).fill(120);
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        probe.pulls++;
        controller.enqueue(chunk);
      },
      cancel() {
        probe.cancelled++;
      },
    },
    { highWaterMark: 0 },
  );
}

const functions: HttpFunction[] = [
  // One chunk now, the next when the test releases it.
  route('held', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    probe.release = release;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('first\n'));
        await released;
        controller.enqueue(encoder.encode('second\n'));
        controller.close();
      },
    });
    return { status: 200, headers: { 'content-type': 'text/plain', 'content-length': '999' }, body };
  }),
  // 64 KiB whenever asked, for ever: only backpressure and cancellation stop it.
  route('endless', async () => ({ status: 200, body: endless() })),
  // The endless stream, answered only when the test releases it (after the client left).
  route('slowToAnswer', async () => {
    await new Promise<void>((resolve) => (probe.release = resolve));
    return { status: 200, body: endless() };
  }),
  route('broken', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('partial'));
        setTimeout(() => controller.error(new Error('the source broke')), 50);
      },
    });
    return { status: 200, body };
  }),
  route('generated', async () => {
    async function* lines() {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        yield encoder.encode(`line ${i}\n`);
      }
    }
    return { status: 200, body: lines() };
  }),
  route('notModified', async () => ({ status: 304, headers: { etag: '"x"' } })),
];

beforeAll(async () => {
  server = await startHttpServer(functions, 0, quietLog);
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
});

describe('streamed answers', () => {
  it('go out as they come, chunked, without the Content-Length a handler might set', async () => {
    const response = await fetch(`${base}/api/stream/held`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-type')).toBe('text/plain');
    const reader = response.body!.getReader();
    // The first chunk arrives while the stream is still open (the second is not even made yet).
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first\n');
    probe.release();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('second\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('stream an async iterable body too', async () => {
    expect(await (await fetch(`${base}/api/stream/generated`)).text()).toBe('line 0\nline 1\nline 2\n');
  });

  it('wait for a client that does not read, and cancel the stream when it goes away', async () => {
    const cancelledBefore = probe.cancelled;
    const req = request(`${base}/api/stream/endless`);
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    // The client reads nothing: once the socket buffers are full the server stops pulling.
    response.pause();
    await waitFor(async () => probe.pulls, (pulls) => pulls > 0, 'the first pull');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stalled = probe.pulls;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Without backpressure it would pull on for ever (about 1 GB a second here): it waits instead.
    expect(probe.pulls).toBe(stalled);
    expect(stalled * 64 * 1024).toBeLessThan(64 * 1024 * 1024);

    // The client goes away mid-stream: the stream is cancelled, and pulled no more.
    req.destroy();
    await waitFor(async () => probe.cancelled, (cancelled) => cancelled === cancelledBefore + 1, 'the stream to be cancelled', 5_000);
    const pulls = probe.pulls;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(probe.pulls).toBe(pulls);
  });

  it('cancel the stream when a reading client aborts', async () => {
    const cancelledBefore = probe.cancelled;
    const controller = new AbortController();
    const response = await fetch(`${base}/api/stream/endless`, { signal: controller.signal });
    const reader = response.body!.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    controller.abort();
    await waitFor(async () => probe.cancelled, (cancelled) => cancelled === cancelledBefore + 1, 'the stream to be cancelled', 5_000);
  });

  it('cancel the stream of a client that left before the handler answered', async () => {
    const cancelledBefore = probe.cancelled;
    const controller = new AbortController();
    const answered = fetch(`${base}/api/stream/slowToAnswer`, { signal: controller.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await answered;
    await new Promise((resolve) => setTimeout(resolve, 100));
    probe.release();
    await waitFor(async () => probe.cancelled, (cancelled) => cancelled === cancelledBefore + 1, 'the stream to be cancelled', 5_000);
  });

  it('cut the connection when the stream fails midway, and the server serves on', async () => {
    const response = await fetch(`${base}/api/stream/broken`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(await (await fetch(`${base}/api/stream/generated`)).text()).toBe('line 0\nline 1\nline 2\n');
  });
});

it('answers 304 without a body or Content-Length', async () => {
  const response = await fetch(`${base}/api/stream/notModified`);
  expect(response.status).toBe(304);
  expect(response.headers.get('content-length')).toBeNull();
  expect(response.headers.get('etag')).toBe('"x"');
});
