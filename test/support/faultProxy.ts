import { createServer, request as forward, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the proxy saw it, body read whole. */
export type ProxiedRequest = {
  method: string;
  /** The path, percent-decoded (Table Storage puts keys in it: `siphonChunks(PartitionKey='…',RowKey='…')`). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
};

export type UpstreamResponse = { status: number; headers: IncomingHttpHeaders; body: Buffer };

/** What to do with a request instead of (or around) forwarding it. */
export type FaultAction =
  | { action: 'forward'; afterResponse?: (response: UpstreamResponse) => void | Promise<void> }
  /** Answer with this status and a Storage error body, without forwarding. */
  | { action: 'status'; status: number; code?: string }
  /** Reset the client's connection (TCP RST), without forwarding. */
  | { action: 'reset' };

/** Decides per request; undefined forwards it. May wait (e.g. to kill the process that sent it first). */
export type FaultRule = (request: ProxiedRequest) => FaultAction | undefined | Promise<FaultAction | undefined>;

export type FaultProxy = {
  port: number;
  /** The endpoint for a connection string: `http://127.0.0.1:<port>/<account>`. */
  endpoint: (account: string) => string;
  /** The rule in force; undefined forwards everything. */
  rule: FaultRule | undefined;
  /** Every request seen and what was done with it. */
  seen: Array<{ method: string; path: string; query: string; fault?: string }>;
  close: () => Promise<void>;
};

/**
 * A small HTTP proxy on a free loopback port in front of one of Azurite's endpoints, which asks
 * a rule what to do with each request: forward it (optionally acting once the answer is back,
 * before relaying it), answer with an error status, or reset the connection.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = {
    port: 0,
    endpoint: (account) => `http://127.0.0.1:${proxy.port}/${account}`,
    rule: undefined,
    seen: [],
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const request: ProxiedRequest = { method: req.method ?? 'GET', path: safeDecode(url.pathname), query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
    const entry: FaultProxy['seen'][number] = { method: request.method, path: request.path, query: url.search };
    proxy.seen.push(entry);
    const decided = (await proxy.rule?.(request)) ?? { action: 'forward' };
    switch (decided.action) {
      case 'reset':
        entry.fault = 'reset';
        req.socket.resetAndDestroy();
        return;
      case 'status': {
        entry.fault = String(decided.status);
        const code = decided.code ?? (decided.status === 503 ? 'ServerBusy' : 'InternalError');
        const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>Injected by the test's fault proxy</Message></Error>`;
        res.writeHead(decided.status, { 'content-type': 'application/xml', 'x-ms-error-code': code, 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      case 'forward': {
        const response = await send(target, req, request.body);
        await decided.afterResponse?.(response);
        if (res.socket?.destroyed) return;
        res.writeHead(response.status, response.headers);
        res.end(response.body);
      }
    }
  };

  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}

function send(target: { host: string; port: number }, req: IncomingMessage, body: Buffer): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const upstream = forward({ host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The host and port of one endpoint (`BlobEndpoint`, `TableEndpoint`, ...) of a connection string. */
export function endpointOf(connectionString: string, name: 'BlobEndpoint' | 'QueueEndpoint' | 'TableEndpoint'): { host: string; port: number } {
  const url = new URL(connectionString.match(new RegExp(`${name}=([^;]+)`))![1]!);
  return { host: url.hostname, port: Number(url.port) };
}

/** The connection string with some endpoints replaced (e.g. by a proxy's). */
export function withEndpoints(connectionString: string, endpoints: Partial<Record<'BlobEndpoint' | 'QueueEndpoint' | 'TableEndpoint', string>>): string {
  let result = connectionString;
  for (const [name, value] of Object.entries(endpoints)) result = result.replace(new RegExp(`${name}=[^;]+`), `${name}=${value}`);
  return result;
}
