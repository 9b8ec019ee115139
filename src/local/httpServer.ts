import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import functions, { type HttpRequestInit, type HttpResponseInit, type LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { HttpFunction } from '../registry.js';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';
import { errorMessage } from '../errors/errorTypes.js';
import { problem } from '../api/problem.js';
import { loopbackProblem } from './loopbackOnly.js';

type Route = { fn: HttpFunction; pattern: RegExp; names: string[] };

export type HttpServerOptions = {
  /** How long a client may take to send a whole request (headers and body) before a 408. */
  requestTimeoutInMs?: number;
  /** How often Node looks for requests past that timeout. */
  timeoutCheckIntervalInMs?: number;
};

/**
 * `pipelines/{id}/runs` to a regex with named segments, under the host's `api/` prefix. A last
 * segment `{*name}` is a catch-all, as in the host's routes: it takes the rest of the path,
 * slashes and all, or nothing (`ui/{*path}` serves `/api/ui`, `/api/ui/` and `/api/ui/a/b`).
 */
function compileRoute(fn: HttpFunction): Route {
  const names: string[] = [];
  const segments = fn.route.split('/');
  const catchAll = /^\{\*(\w+)\}$/.exec(segments.at(-1) ?? '');
  if (catchAll) segments.pop();
  const source = segments
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  if (!catchAll) return { fn, pattern: new RegExp(`^/api/${source}/?$`), names };
  names.push(catchAll[1]!);
  return { fn, pattern: new RegExp(`^/api/${source}(?:/(.*))?$`), names };
}

/**
 * Serves the registry's HTTP functions on the same paths as the Functions host, turning each
 * Node request into the library's own HttpRequest so handlers cannot tell the difference; they
 * get `orchestrations` where the host passes its durable client.
 *
 * The body reaches the handler as a stream, read from the socket only as the handler reads it,
 * as the host does with HTTP streaming on (functions/index.ts): a handler that stops at the
 * size cap leaves the rest unread, and the connection is then closed instead of drained.
 *
 * No request can stop the process: every failure becomes an answer (and a log line), and
 * requests the HTTP parser refuses get a 400 from `clientError`.
 */
export function startHttpServer(
  functions: HttpFunction[],
  port: number,
  log: LogHandler,
  orchestrations?: OrchestrationStarter,
  options: HttpServerOptions = {},
): Promise<Server> {
  const routes = functions.map(compileRoute);
  const server = createServer(
    { requestTimeout: options.requestTimeoutInMs ?? 30_000, connectionsCheckingInterval: options.timeoutCheckIntervalInMs ?? 5_000 },
    (req, res) => {
      handle(routes, req, res, log, orchestrations).catch((err: unknown) => {
        log('error', `local runtime: ${req.method ?? '?'} request failed: ${errorMessage(err)}`);
        if (!res.headersSent) void send(req, res, problem(500, 'Internal error', 'the local runtime log has the details'), log);
        else res.destroy();
      });
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, log));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      server.on('error', (err) => log('error', `local runtime HTTP server: ${errorMessage(err)}`));
      resolve(server);
    });
  });
}

async function handle(routes: Route[], req: IncomingMessage, res: ServerResponse, log: LogHandler, orchestrations: OrchestrationStarter | undefined): Promise<void> {
  const refused = loopbackProblem(req.headers);
  if (refused) return send(req, res, refused, log);

  const url = parseUrl(req.url, req.headers.host!);
  if (!url) return send(req, res, problem(400, 'Malformed URL', 'path: not a valid request target'), log);
  const method = (req.method ?? 'GET').toUpperCase();
  const matching = routes.flatMap((route) => {
    const match = route.pattern.exec(url.pathname);
    return match ? [{ route, match }] : [];
  });
  if (!matching.length) return send(req, res, problem(404, 'Not found', 'path: no API route has this path'), log);
  const found = matching.find((item) => (item.route.fn.methods as string[]).includes(method));
  if (!found) {
    const allow = [...new Set(matching.flatMap((item) => item.route.fn.methods))].join(', ');
    return send(req, res, problem(405, 'Method not allowed', `method: ${allow} only`, undefined, { allow }), log);
  }

  const params: Record<string, string> = {};
  for (const [index, name] of found.route.names.entries()) {
    const decoded = decodeSegment(found.match[index + 1] ?? '');
    if (decoded === undefined) return send(req, res, problem(400, 'Malformed URL', `${name}: the route parameter is not valid percent-encoding`), log);
    params[name] = decoded;
  }

  const headers = Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : String(value ?? '')]));
  const hasBody = method !== 'GET' && method !== 'HEAD';
  // The library's own streaming request (its createStreamRequest does the same under the host);
  // HttpRequestInit has no public field for a streamed body, hence the typed extension.
  // (Node's fetch needs `duplex: 'half'` for a streamed body; its RequestInit type lacks the field.)
  const requestInit: RequestInit & { duplex: 'half' } = { method, headers, body: hasBody ? bodyOf(req) : undefined, duplex: 'half' };
  const init: HttpRequestInit & { nativeRequest: Request } = { params, nativeRequest: new Request(url, requestInit) };
  const request = new functions.HttpRequest(init);
  const context = new functions.InvocationContext({ functionName: found.route.fn.name, invocationId: randomUUID(), logHandler: log });
  await send(req, res, await found.route.fn.handler(request, context, orchestrations), log);
}

/**
 * The request's body as a stream that reads the socket only when the handler pulls (high-water
 * mark 0). Stopping early (a cancel at the size cap) leaves the request open: the answer still
 * has to go out on its socket.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = req.iterator({ destroyOnReturn: false });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value as Uint8Array);
      },
      async cancel() {
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Only origin-form targets (`/api/...`), under the Host the client used (already checked to be loopback). */
function parseUrl(target: string | undefined, host: string): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    return new URL(target, `http://${host}`);
  } catch {
    return undefined;
  }
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Writes the handler's answer. A string or bytes go out whole with their Content-Length; a
 * stream (a ReadableStream, or any async iterable of bytes, as the library's HttpResponseBodyInit
 * allows) goes out chunk by chunk as it comes (see sendStream).
 */
async function send(req: IncomingMessage, res: ServerResponse, response: HttpResponseInit, log: LogHandler): Promise<void> {
  const headers = new Headers(response.headers as HeadersInit | undefined);
  const status = response.status ?? 200;
  let body: string | Uint8Array | undefined;
  if (response.jsonBody !== undefined) {
    body = JSON.stringify(response.jsonBody);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (typeof response.body === 'string' || response.body instanceof Uint8Array) {
    body = response.body;
  } else {
    const stream = streamOf(response.body);
    if (stream) return sendStream(req, res, status, headers, stream, log);
  }
  // A body the handler did not read to its end (refused, or not needed) is not drained: the
  // connection closes once the answer is out, so no more of it is read from the socket.
  const unread = !req.complete;
  if (unread) headers.set('connection', 'close');
  // 304 and 204 have no body, and a 304's Content-Length would describe the 200's.
  if (status === 304 || status === 204) headers.delete('content-length');
  else headers.set('content-length', String(body === undefined ? 0 : Buffer.byteLength(body)));
  res.writeHead(status, Object.fromEntries(headers));
  res.end(body, () => {
    if (unread) req.socket.destroy();
  });
}

/** A streamed body as a ReadableStream to read and cancel; undefined for anything that is not a stream. */
function streamOf(body: HttpResponseInit['body']): ReadableStream<Uint8Array> | undefined {
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    // (ReadableStream.from does the same from Node 20.6, but @types/node 20 does not declare it.)
    const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { value, done } = await iterator.next();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        async cancel() {
          await iterator.return?.();
        },
      },
      { highWaterMark: 0 },
    );
  }
  return undefined;
}

/**
 * A streamed answer, written as the stream yields (chunked, no Content-Length), as the host does
 * with HTTP streaming on. A chunk that fills the socket's buffer waits for it to drain before the
 * next is read, so a slow client slows the stream instead of growing memory; a client that goes
 * away cancels the stream, which stops whatever produces it (a run's event stream stops polling).
 * Neither a closed socket nor a failing stream can throw out of here: the first ends quietly, the
 * second cuts the connection (the status line is long gone) and is logged.
 */
async function sendStream(req: IncomingMessage, res: ServerResponse, status: number, headers: Headers, stream: ReadableStream<Uint8Array>, log: LogHandler): Promise<void> {
  headers.delete('content-length');
  if (!req.complete) headers.set('connection', 'close');
  const reader = stream.getReader();
  let gone = false;
  let wakeWriter: (() => void) | undefined;
  const clientGone = () => {
    if (res.writableEnded) return;
    gone = true;
    wakeWriter?.();
    reader.cancel().catch(() => undefined);
  };
  res.on('close', clientGone);
  // A write to a socket that just failed surfaces as an error on the response: the same as gone.
  // (This listener stays: an error after the answer must not become an uncaught exception.)
  res.on('error', clientGone);
  // Gone before the handler answered: 'close' has fired already and will not again.
  if (res.destroyed || req.socket.destroyed) clientGone();
  try {
    res.writeHead(status, Object.fromEntries(headers));
    res.flushHeaders();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || gone) break;
      if (res.write(value)) continue;
      await new Promise<void>((resolve) => {
        wakeWriter = resolve;
        res.once('drain', resolve);
      });
      res.off('drain', wakeWriter!);
      wakeWriter = undefined;
      if (gone) break;
    }
    if (gone) res.destroy();
    else res.end(() => (req.complete ? undefined : req.socket.destroy()));
  } catch (err) {
    log('error', `local runtime: a streamed answer failed midway, connection cut: ${errorMessage(err)}`);
    reader.cancel().catch(() => undefined);
    res.destroy();
  } finally {
    res.off('close', clientGone);
  }
}

/** Requests Node's HTTP parser refuses (bad framing, oversized headers, timeouts): an answer if the socket can take one. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, log: LogHandler): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, detail] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'headers: too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'request: not received in time']
    : [400, 'Bad Request', 'request: not a valid HTTP/1.1 request'];
  log('warning', `local runtime: refused a malformed request (${err.code ?? err.message})`);
  const body = JSON.stringify({ type: 'about:blank', title: reason, status, detail });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
