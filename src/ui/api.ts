/**
 * The dashboard's only way to the server: the same HTTP API the CLI uses, under /api. Every
 * failure becomes an ApiError carrying the RFC 9457 problem the API answered, so a view can show
 * its detail and put each field error beside its field.
 */
export type FieldError = { path: string; message: string };
export type Problem = { title: string; status: number; detail?: string; errors?: FieldError[] };

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
  }
}

/** Anything an action threw, as the problem a view shows (a bug in the page reads as one too). */
export const asApiError = (err: unknown): ApiError => (err instanceof ApiError ? err : new ApiError({ title: 'The page failed', status: 0, detail: err instanceof Error ? err.message : String(err) }));

export type ApiResponse<T> = { status: number; body: T; etag?: string; location?: string };

export type RequestOptions = { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; body?: unknown; ifMatch?: string; ifNoneMatch?: string; signal?: AbortSignal };

/** `path` is below /api (`pipelines/x`); query parameters are the caller's, already encoded. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  // The API takes JSON bodies only (415 otherwise), and a JSON content type also keeps other
  // sites' pages out: a cross-site form cannot send it without a CORS preflight, which fails.
  if (method !== 'GET') headers['content-type'] = 'application/json';
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  if (options.ifNoneMatch) headers['if-none-match'] = options.ifNoneMatch;
  let response: Response;
  try {
    response = await fetch(`/api/${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : JSON.stringify(options.body ?? {}),
      signal: options.signal,
      credentials: 'same-origin',
      // In Azure, App Service Authentication answers a browser whose session has ended with a
      // redirect to the Entra ID sign-in page, which fetch cannot follow across origins; kept
      // unfollowed, it is told apart below. (It answers 401 to non-browser clients only, and no
      // request header is documented to change that for a browser.)
      redirect: 'manual',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ title: 'The server did not answer', status: 0, detail: (err as Error).message });
  }
  if (response.type === 'opaqueredirect') {
    throw new ApiError({ title: 'Your sign-in has ended', status: 401, detail: 'reload the page to sign in again' });
  }
  const etag = response.headers.get('etag') ?? undefined;
  const location = response.headers.get('location') ?? undefined;
  if (response.status === 304) return { status: 304, body: undefined as T, etag, location };
  const text = await response.text();
  const body = text ? parseJson(text) : undefined;
  if (!response.ok) {
    const problem = isProblem(body) ? body : { title: `${response.status} ${response.statusText}`, status: response.status, detail: text.slice(0, 300) };
    throw new ApiError(problem);
  }
  return { status: response.status, body: body as T, etag, location };
}

export const getJson = async <T>(path: string, signal?: AbortSignal): Promise<T> => (await apiRequest<T>(path, { signal })).body;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).title === 'string' && typeof (value as Problem).status === 'number';
}

/** `encodeURIComponent` for one path segment (pipeline and run ids are already URL-safe; this keeps it so). */
export const segment = (value: string) => encodeURIComponent(value);
