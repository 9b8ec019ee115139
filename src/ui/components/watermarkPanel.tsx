import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiRequest, segment, asApiError } from '../api.js';
import { href } from '../router.js';
import type { WatermarkBody } from './apiShapes.js';
import { ProblemNotice } from './problemNotice.js';
import { RelativeTime } from './relativeTime.js';

type Loaded = { body?: WatermarkBody; etag?: string; missing?: string; error?: ApiError };

/**
 * An incremental pipeline's watermark (where its next run starts reading) and its reset. Read
 * again whenever `version` changes (a run ended); the reset sends the ETag of the value shown,
 * so it cannot overwrite a watermark a run moved meanwhile (412, shown as the API says it).
 */
export function WatermarkPanel({ pipelineId, version }: { pipelineId: string; version: string }) {
  const [loaded, setLoaded] = useState<Loaded>({});
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [resetError, setResetError] = useState<ApiError | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const path = `pipelines/${segment(pipelineId)}/watermark`;

  const load = async () => {
    try {
      const response = await apiRequest<WatermarkBody>(path);
      setLoaded({ body: response.body, etag: response.etag });
      setValue((current) => current || response.body.value);
    } catch (err) {
      const error = asApiError(err);
      // No watermark yet is a state, not a fault: the first successful run sets it.
      setLoaded(error.problem.status === 404 ? { missing: error.problem.detail ?? error.problem.title } : { error });
    }
  };
  useEffect(() => void load(), [path, version]);

  const reset = async (event: Event) => {
    event.preventDefault();
    if (!loaded.etag) return;
    setBusy(true);
    setResetError(undefined);
    setDone(undefined);
    try {
      const response = await apiRequest<WatermarkBody>(path, { method: 'PUT', body: { value }, ifMatch: loaded.etag });
      setLoaded({ body: response.body, etag: response.etag });
      setValue(response.body.value);
      setDone(`The watermark is now ${response.body.value}; the next run reads after it.`);
    } catch (err) {
      setResetError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const body = loaded.body;
  const fieldError = resetError?.problem.errors?.find((error) => error.path === 'value')?.message;
  return (
    <div class="panel">
      <ProblemNotice error={loaded.error} />
      {loaded.missing ? <p class="muted">{loaded.missing}</p> : null}
      {body ? (
        <>
          <dl class="facts">
            <div><dt>Column</dt><dd><code>{body.column}</code> <span class="muted small">{body.kind}</span></dd></div>
            <div><dt>Value</dt><dd><code class="watermark-value">{body.value}</code></dd></div>
            <div><dt>Set by</dt><dd><a class="id" href={href('pipelines', pipelineId, 'runs', body.runId)}>{body.runId}</a></dd></div>
            <div><dt>Updated</dt><dd><RelativeTime iso={body.updatedAt} /></dd></div>
            {body.resetAt ? <div><dt>Reset by hand</dt><dd><RelativeTime iso={body.resetAt} /></dd></div> : null}
          </dl>
          <form class="inline-form" onSubmit={reset}>
            <div class="field">
              <label for="watermark-new">New value</label>
              <input id="watermark-new" value={value} aria-invalid={fieldError ? 'true' : undefined} aria-describedby="watermark-hint" onInput={(event) => setValue((event.target as HTMLInputElement).value)} />
              <div id="watermark-hint" class="hint">As the column's values read: an ISO timestamp, YYYY-MM-DD, or digits. Lower re-reads rows; higher skips them.</div>
              {fieldError ? <div class="field-error">{fieldError}</div> : null}
            </div>
            <button type="submit" disabled={busy || !value || value === body.value}>{busy ? 'Resetting…' : 'Reset watermark'}</button>
          </form>
          {done ? <div class="notice info" role="status">{done}</div> : null}
          <ProblemNotice error={resetError} />
        </>
      ) : null}
    </div>
  );
}
