import { describe, expect, it } from 'vitest';
import functions, { type HttpRequestInit } from '@azure/functions';
import { readBodyText } from '../../src/api/readBodyText.js';

/** A request whose body is a stream, as under the host with HTTP streaming; `pulled` counts what was read. */
function streamedRequest(chunks: Uint8Array[], failAfter?: number) {
  const state = { pulled: 0, cancelled: false };
  let index = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (failAfter !== undefined && index === failAfter) return controller.error(new Error('socket closed'));
        const chunk = chunks[index++];
        if (!chunk) return controller.close();
        state.pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  const requestInit: RequestInit & { duplex: 'half' } = { method: 'POST', body, duplex: 'half' };
  const init: HttpRequestInit & { nativeRequest: Request } = { nativeRequest: new Request('http://127.0.0.1/api/pipelines', requestInit) };
  return { request: new functions.HttpRequest(init), state };
}

describe('readBodyText', () => {
  it('reads a body within the cap as UTF-8 text', async () => {
    const { request } = streamedRequest([Buffer.from('{"a":"é'), Buffer.from('😀"}')]);
    expect(await readBodyText(request, 1024)).toEqual({ ok: true, value: '{"a":"é😀"}' });
  });

  it('stops pulling at the first chunk past the cap and answers 413, leaving the stream to its owner', async () => {
    const chunk = new Uint8Array(1024);
    const { request, state } = streamedRequest(Array.from({ length: 100 }, () => chunk));
    const read = await readBodyText(request, 4096);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.response.status).toBe(413);
    expect(state.pulled).toBe(5 * 1024);
    // Not cancelled: under the host's proxy that would destroy the connection the answer goes back on.
    expect(state.cancelled).toBe(false);
  });

  it('answers 400 for bytes that are not UTF-8 and for a body cut off mid-way', async () => {
    const invalid = await readBodyText(streamedRequest([new Uint8Array([0x7b, 0xff, 0x7d])]).request, 1024);
    expect(!invalid.ok && invalid.response.status).toBe(400);
    const cut = await readBodyText(streamedRequest([Buffer.from('{"a":')], 1).request, 1024);
    expect(!cut.ok && cut.response.status).toBe(400);
  });
});
