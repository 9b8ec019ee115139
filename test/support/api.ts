/** A tiny client for the HTTP API, used the way a user would: plain fetch and JSON. */
export function apiClient(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call('PUT', path, body, headers),
    delete: (path: string, headers?: Record<string, string>) => call('DELETE', path, undefined, headers),
    /** Polls a run until it reaches a final status. */
    async waitForRun(runUrl: string, timeoutInMs = 90_000): Promise<Record<string, any>> {
      const started = Date.now();
      const deadline = started + timeoutInMs;
      for (;;) {
        const run = (await call('GET', runUrl)).body!;
        if (['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'].includes(run.status)) return run;
        if (Date.now() > deadline) throw new Error(`Run ${runUrl} still ${run.status} after ${timeoutInMs} ms`);
        // Quick polls for short runs, then once a second: each poll lists the run's chunks.
        await new Promise((resolve) => setTimeout(resolve, Date.now() - started < 3_000 ? 100 : 1_000));
      }
    },
  };
}
