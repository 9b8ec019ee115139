import { ApiError, UsageError, type ProblemDetails } from './errors.js';

export const defaultApiUrl = 'http://127.0.0.1:7071';

export type ApiResponse<T = unknown> = { status: number; headers: Headers; body: T };

/** `body` is sent as JSON; `text` as it is, with its own media type (a JSON Lines file of rows). */
export type RequestOptions = { body?: unknown; text?: { content: string; contentType: string }; headers?: Record<string, string>; query?: Record<string, string | number | boolean | undefined> };

/** Gives a bearer token for each request; absent against the local runtime. */
export type TokenSource = () => Promise<string>;

/**
 * The API over HTTP, as any client would call it: JSON bodies with Content-Type
 * application/json on every change (the API refuses changes without it), problem details turned
 * into ApiError. Nothing here knows the server's code.
 */
export class SiphonClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: TokenSource,
  ) {}

  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    const body = text ? parseJson(text, method, path, response.status) : undefined;
    if (!response.ok) throw new ApiError(method, path, response.status, problemOf(body, response.status));
    return { status: response.status, headers: response.headers, body: body as T };
  }

  /** The raw answer, for bodies read as a stream (query results); errors still become ApiError. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    // The body is JSON Lines or CSV, not JSON.
    const response = await this.send(method, path, { ...options, headers: { accept: '*/*', ...options.headers } });
    if (!response.ok) {
      const text = await response.text();
      throw new ApiError(method, path, response.status, problemOf(text ? safeJson(text) : undefined, response.status));
    }
    return response;
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(`/api${path}`, this.baseUrl);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (method !== 'GET') headers['content-type'] = options.text?.contentType ?? 'application/json';
    if (this.token) headers.authorization = `Bearer ${await this.token()}`;
    try {
      return await fetch(url, { method, headers, body: options.text ? options.text.content : options.body === undefined ? undefined : JSON.stringify(options.body) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`Cannot reach the Siphon API at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running? (npm run local, or set --url / SIPHON_URL)`);
    }
  }
}

function parseJson(text: string, method: string, path: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path} answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { title: text.slice(0, 200) };
  }
}

/** RFC 9457 problem details, or what can be made of another error body (the older `{error: {...}}` form). */
function problemOf(body: unknown, status: number): ProblemDetails {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const inner = (record.error && typeof record.error === 'object' ? record.error : record) as ProblemDetails;
    if (inner.title || inner.detail) return inner;
  }
  return { title: `HTTP ${status}`, status };
}

/** Loopback hosts: the local runtime, which has no sign-in. */
export function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname) || /^127\./.test(url.hostname);
}

/**
 * The client for `--url`/`SIPHON_URL`: against anything but loopback, with an Entra ID token for
 * the app (`--scope`/`SIPHON_SCOPE`, e.g. api://<app-id>/.default) from DefaultAzureCredential: a
 * person's `az login`, a service principal's environment, or a managed identity. The token is
 * only ever put in the Authorization header, never printed or stored.
 */
export function createClient(urlText: string, scope: string | undefined): SiphonClient {
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError(`--url: "${urlText}" is not a URL (e.g. ${defaultApiUrl} or https://<app>.azurewebsites.net)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url: "${urlText}" must be http or https`);
  if (isLoopback(url)) return new SiphonClient(url.origin);
  if (url.protocol !== 'https:') throw new UsageError(`--url: ${url.origin} is not loopback, so it must be https (a bearer token never travels in clear text)`);
  if (!scope) throw new UsageError(`--scope or SIPHON_SCOPE is needed for ${url.origin}: the app's scope, e.g. api://<app-id>/.default`);
  return new SiphonClient(url.origin, entraIdToken(scope));
}

function entraIdToken(scope: string): TokenSource {
  let credential: { getToken(scope: string): Promise<{ token: string } | null> } | undefined;
  return async () => {
    // Loaded on first use: the local runtime never needs it, and it is the slowest import.
    if (!credential) credential = new (await import('@azure/identity')).DefaultAzureCredential();
    const token = await credential.getToken(scope);
    if (!token) throw new Error(`No Entra ID token for ${scope}: sign in with az login, or set a service principal's AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET`);
    return token.token;
  };
}
