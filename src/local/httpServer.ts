import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import functions, { type HttpResponseInit, type LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { HttpFunction } from '../registry.js';
import type { OrchestrationStarter } from '../jobs/orchestrationStarter.js';

type Route = { fn: HttpFunction; pattern: RegExp; names: string[] };

/** `pipelines/{id}/runs` to a regex with named segments, under the host's `api/` prefix. */
function compileRoute(fn: HttpFunction): Route {
  const names: string[] = [];
  const source = fn.route
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { fn, pattern: new RegExp(`^/api/${source}/?$`), names };
}

/**
 * Serves the registry's HTTP functions on the same paths as the Functions host, turning each
 * Node request into the library's own HttpRequest so handlers cannot tell the difference; they
 * get `orchestrations` where the host passes its durable client.
 */
export function startHttpServer(functions: HttpFunction[], port: number, log: LogHandler, orchestrations?: OrchestrationStarter): Promise<Server> {
  const routes = functions.map(compileRoute);
  const server = createServer((req, res) => {
    void handle(routes, req, res, log, orchestrations);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function handle(routes: Route[], req: IncomingMessage, res: ServerResponse, log: LogHandler, orchestrations: OrchestrationStarter | undefined): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const matching = routes.map((route) => ({ route, match: route.pattern.exec(url.pathname) })).filter((item) => item.match);
  const found = matching.find((item) => item.route.fn.methods.includes((req.method ?? 'GET') as 'GET'));
  if (!found) return send(res, { status: matching.length ? 405 : 404, jsonBody: { error: { title: matching.length ? 'Method not allowed' : 'Not found' } } });

  const params = Object.fromEntries(found.route.names.map((name, index) => [name, decodeURIComponent(found.match![index + 1]!)]));
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : String(value ?? '')]));
  const request = new functions.HttpRequest({
    method: req.method ?? 'GET',
    url: url.toString(),
    headers,
    params,
    query: Object.fromEntries(url.searchParams),
    body: chunks.length ? { string: Buffer.concat(chunks).toString('utf8') } : undefined,
  });
  const context = new functions.InvocationContext({ functionName: found.route.fn.name, invocationId: randomUUID(), logHandler: log });
  try {
    send(res, await found.route.fn.handler(request, context, orchestrations));
  } catch (err) {
    send(res, { status: 500, jsonBody: { error: { title: 'Internal error' } } });
    log('error', `${found.route.fn.name}: ${String(err)}`);
  }
}

function send(res: ServerResponse, response: HttpResponseInit): void {
  const headers = new Headers(response.headers as HeadersInit | undefined);
  let body: string | undefined;
  if (response.jsonBody !== undefined) {
    body = JSON.stringify(response.jsonBody);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (typeof response.body === 'string') {
    body = response.body;
  }
  res.writeHead(response.status ?? 200, Object.fromEntries(headers));
  res.end(body);
}
