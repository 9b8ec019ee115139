import { useEffect, useRef, useState } from 'preact/hooks';
import { fileFormats } from '../../spec/pipelineSpec.js';
import { queryJobInputSchema } from '../../spec/queryJob.js';
import { apiRequest, ApiError, segment, asApiError } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { StatusBadge } from '../components/statusBadge.js';
import { useTitle } from '../components/useTitle.js';
import { elapsedMs, formatAge, formatCount, formatDuration } from '../format.js';
import { isRecord, type Draft } from '../form/draft.js';
import { ErrorSummary } from '../form/errorSummary.js';
import { issuesFromSchema } from '../form/fieldIssues.js';
import { NumberField, SelectField, TextField } from '../form/fields.js';
import { FormContext } from '../form/formContext.js';
import { SourceFields } from '../form/sourceFields.js';
import { switchEngine } from '../form/sourcePaths.js';
import { useDraftForm } from '../form/useDraftForm.js';
import { useApi, pollIntervalInMs } from '../live.js';
import { href, navigate } from '../router.js';
import { hasEnded, type QueryJobStatus } from '../queries/queryJob.js';
import { queryFieldPaths, queryLabels, queryStandsFor } from '../queries/queryFields.js';
import { forgetQuery, lastQuerySource, recentQueryCap, recentQueryIds, rememberQuery, rememberQuerySource } from '../queries/recentQueries.js';
import { useCanOperate } from '../components/caller.js';

const formatLabels: Record<string, string> = { parquet: 'Parquet', csv: 'CSV', jsonl: 'JSON Lines' };

/** /api/ui/queries: submit a query job, and the ones this browser submitted, newest first. */
export function QueriesView() {
  useTitle('Queries');
  const [ids, setIds] = useState(recentQueryIds);
  return (
    <section>
      <h1>Queries</h1>
      <QueryForm />
      <h2>Submitted from this browser</h2>
      <p class="hint muted">The API keeps no list of queries: this browser remembers the last {recentQueryCap} it submitted. Results are kept for a while after a query ends.</p>
      {ids.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="recent-queries">
            <thead>
              <tr>
                <th scope="col">Query</th><th scope="col">Status</th><th scope="col">Engine</th><th scope="col">Format</th>
                <th scope="col" class="num">Rows</th><th scope="col">Submitted</th><th scope="col" class="num">Elapsed</th><th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {ids.map((id) => <RecentQuery key={id} id={id} onForget={() => { forgetQuery(id); setIds(recentQueryIds()); }} />)}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** One remembered query, kept fresh until it ends; one past its retention says so and can be forgotten. */
function RecentQuery({ id, onForget }: { id: string; onForget: () => void }) {
  const [ended, setEnded] = useState(false);
  const { data, error } = useApi<QueryJobStatus>(`queries/${segment(id)}`, ended ? 0 : pollIntervalInMs);
  // An ended query changes no more: one last look, then no polling.
  useEffect(() => setEnded(hasEnded(data?.status)), [data?.status]);
  const gone = error?.problem.status === 404;
  return (
    <tr>
      <td><a href={href('queries', id)}><code>{id}</code></a></td>
      <td>{gone ? <span class="muted">expired</span> : data ? <StatusBadge status={data.status} /> : error ? <span class="muted">{error.problem.title}</span> : '…'}</td>
      <td>{data?.engine ?? ''}</td>
      <td>{data?.format ?? ''}</td>
      <td class="num">{data ? formatCount(data.rows) : ''}</td>
      <td>{data ? formatAge(data.createdAt) : ''}</td>
      <td class="num">{data ? formatDuration(elapsedMs(data.startedAt, data.endedAt)) : ''}</td>
      <td><button type="button" onClick={onForget} aria-label={`Forget ${id}`}>Forget</button></td>
    </tr>
  );
}

const newQueryDraft = (): Draft => ({ source: lastQuerySource() ?? { engine: 'postgres' } });

/**
 * A query job's body (POST /api/queries): the source as a pipeline's, the SELECT, the result's
 * format, a timeout and a row cap; checked with the API's own schema, the API's refusals at
 * their fields. Accepted, it is remembered here and its page opens.
 */
function QueryForm() {
  const canOperate = useCanOperate();
  const form = useDraftForm({ initial: newQueryDraft, fields: queryFieldPaths, standsFor: queryStandsFor, labels: queryLabels });
  const aside = useRef<Record<string, unknown>>({});
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<ApiError | undefined>(undefined);
  const [origin, setOrigin] = useState<'form' | 'api'>('form');

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setNotice(undefined);
    const checked = queryJobInputSchema.safeParse(form.draft);
    if (!checked.success) {
      setOrigin('form');
      form.report(issuesFromSchema(checked.error.issues, form.draft));
      return;
    }
    setBusy(true);
    try {
      const { body } = await apiRequest<QueryJobStatus>('queries', { method: 'POST', body: form.draft });
      rememberQuery(body.id);
      rememberQuerySource(form.draft.source);
      navigate(href('queries', body.id));
    } catch (err) {
      const error = asApiError(err);
      if (error.problem.status === 400 && error.problem.errors?.length) {
        setOrigin('api');
        form.report(error.problem.errors);
      } else setNotice(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="query-form" onSubmit={submit} noValidate aria-label="New query">
      <ProblemNotice error={notice} />
      <ErrorSummary issues={form.issues} title={origin === 'form' ? 'There is a problem' : 'The API refused the query'} label={form.label} summaryRef={form.summaryRef} onFollow={form.follow} />
      <FormContext.Provider value={form.api}>
        <SourceFields
          onEngine={(engine) => {
            const switched = switchEngine(form.draft, engine, isRecord(aside.current.sqlServer) ? aside.current.sqlServer : {});
            aside.current.sqlServer = switched.aside;
            form.replace(switched.draft);
          }}
        />
        <fieldset>
          <legend>Query</legend>
          <TextField path="query" multiline rows={6} wide spellcheck={false} placeholder="SELECT id, amount FROM sales.orders WHERE order_date >= '2026-01-01'" hint="One SELECT, read in a read-only session; functions that reach outside the session are refused." />
          <div class="grid">
            <SelectField path="format" fallback="parquet" choices={fileFormats.map((value) => ({ value, label: formatLabels[value] ?? value }))} hint="How the result is stored; pages are read back as a table either way." />
            <NumberField path="timeoutSeconds" placeholder="3600" hint="3 to 604,800. The statement is cancelled on the server after this. Default 3,600." />
            <NumberField path="maxRows" hint="Stop after this many rows (the result then says it was cut short). Empty: all." />
          </div>
        </fieldset>
      </FormContext.Provider>
      <div class="toolbar actions">
        <button type="submit" class="primary" disabled={busy || !canOperate}>{busy ? 'Submitting…' : 'Run query'}</button>
      </div>
    </form>
  );
}
