import { useEffect, useRef, useState } from 'preact/hooks';
import { apiRequest, ApiError, segment, asApiError } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { StatusBadge } from '../components/statusBadge.js';
import { useTitle } from '../components/useTitle.js';
import { elapsedMs, formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { pollIntervalInMs, useApi } from '../live.js';
import { href } from '../router.js';
import { hasEnded, type QueryJobStatus } from '../queries/queryJob.js';
import { ResultTable } from '../queries/resultTable.js';
import { useNow } from '../components/useNow.js';

/** /api/ui/queries/{id}: a query job's status, rows and time, live until it ends; its result a page at a time; cancel. */
export function QueryView({ queryId }: { queryId: string }) {
  // Another query's page starts afresh (its own polling, result pages and cancel state).
  return <QueryPage key={queryId} queryId={queryId} />;
}

function QueryPage({ queryId }: { queryId: string }) {
  useTitle(`Query ${queryId}`);
  const [ended, setEnded] = useState(false);
  const { data, error, reload } = useApi<QueryJobStatus>(`queries/${segment(queryId)}`, ended ? 0 : pollIntervalInMs);
  useEffect(() => setEnded(hasEnded(data?.status)), [data?.status]);
  const now = useNow(data !== undefined && !ended);

  return (
    <section>
      <p class="muted"><a href={href('queries')}>Queries</a></p>
      <h1>Query <code>{queryId}</code> {data ? <StatusBadge status={data.status} /> : null}</h1>
      <ProblemNotice error={error} />
      {data ? (
        <>
          <div class="cards" aria-live="polite">
            <div class="card"><div class="label">Status</div><div class="value query-status">{data.status.replace(/_/g, ' ')}</div></div>
            <div class="card"><div class="label">Rows</div><div class="value query-rows">{formatCount(data.rows)}</div></div>
            <div class="card"><div class="label">Elapsed</div><div class="value">{formatDuration(elapsedMs(data.startedAt, data.endedAt, now))}</div></div>
            <div class="card"><div class="label">Size</div><div class="value">{formatBytes(data.bytes)}</div><div class="label">{formatCount(data.files)} file{data.files === 1 ? '' : 's'}, {data.format}</div></div>
          </div>
          {data.truncated ? <div class="notice info">Cut short at {formatCount(data.maxRows)} rows (maxRows): the source had more.</div> : null}
          {data.error ? <div class="notice error"><strong>Error</strong><p>{data.error}</p></div> : null}
          {data.statusReason ? <div class="notice info">{data.statusReason}</div> : null}
          <dl class="facts">
            <dt>Engine</dt><dd>{data.engine}</dd>
            <dt>Submitted</dt><dd>{formatTime(data.createdAt)}</dd>
            <dt>Started</dt><dd>{formatTime(data.startedAt)}</dd>
            <dt>Ended</dt><dd>{formatTime(data.endedAt)}</dd>
            <dt>Timeout</dt><dd>{formatDuration(data.timeoutSeconds * 1_000)}</dd>
            {data.expiresAt ? <><dt>Result kept until</dt><dd>{formatTime(data.expiresAt)}</dd></> : null}
          </dl>
          {!ended ? <CancelQuery queryId={queryId} onDone={reload} /> : null}
          {data.status === 'succeeded' ? <ResultTable queryId={queryId} totalRows={data.rows} /> : null}
        </>
      ) : !error ? <p class="loading">Loading…</p> : null}
    </section>
  );
}

/** Cancelling stops the statement on the server: one click asks, a second confirms (in the page, so it works with any input). */
function CancelQuery({ queryId, onDone }: { queryId: string; onDone: () => void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);

  const cancel = async () => {
    setBusy(true);
    try {
      await apiRequest(`queries/${segment(queryId)}/cancel`, { method: 'POST' });
      setError(undefined);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
      setAsking(false);
      onDone();
    }
  };

  return (
    <div class="toolbar">
      <ProblemNotice error={error} />
      {asking ? (
        <div class="confirm" role="group" aria-label="Confirm cancel">
          <span>Cancel this query? Its statement is stopped on the server and nothing is kept.</span>
          <button type="button" class="danger" ref={confirmRef} disabled={busy} onClick={() => void cancel()}>Yes, cancel it</button>
          <button type="button" disabled={busy} onClick={() => setAsking(false)}>Keep it running</button>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setAsking(true)}>Cancel query</button>
      )}
    </div>
  );
}
