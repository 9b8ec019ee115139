import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { apiRequest, ApiError, asApiError } from './api.js';

export type Loaded<T> = { data?: T; error?: ApiError; loading: boolean; reload: () => void };

/** How often a live view asks again; the bound is 2 s from a change to the page. */
export const pollIntervalInMs = 1_500;

/**
 * A GET kept fresh: asked again every `intervalInMs` while the tab is visible, conditionally
 * (If-None-Match), so an unchanged answer is a 304 with no body. `intervalInMs` 0 asks once.
 * A changed `path` starts over; `reload()` asks now (after an action).
 */
export function useApi<T>(path: string | undefined, intervalInMs = pollIntervalInMs): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: path !== undefined });
  const etag = useRef<string | undefined>(undefined);
  const [nonce, setNonce] = useState(0);
  const reload = useCallback(() => setNonce((n) => n + 1), []);

  useEffect(() => {
    etag.current = undefined;
    setState({ loading: path !== undefined });
  }, [path]);

  useEffect(() => {
    if (path === undefined) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      if (document.visibilityState === 'visible' || etag.current === undefined) {
        try {
          const response = await apiRequest<T>(path, { ifNoneMatch: etag.current, signal: controller.signal });
          if (response.status !== 304) {
            etag.current = response.etag;
            setState({ data: response.body, loading: false });
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          setState((previous) => ({ data: previous.data, error: asApiError(err), loading: false }));
        }
      }
      if (intervalInMs > 0 && !controller.signal.aborted) timer = setTimeout(ask, intervalInMs);
    };
    void ask();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [path, intervalInMs, nonce]);

  return { ...state, reload };
}
