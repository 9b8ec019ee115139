import { useEffect, useState } from 'preact/hooks';
import { useTitle } from '../components/useTitle.js';
import { useApi } from '../live.js';
import { ApiError, apiRequest, segment, asApiError } from '../api.js';
import { basePath, href, navigate } from '../router.js';
import type { RunOptions } from '../../spec/jobMessage.js';
import type { Overview, PipelineHealth, PipelineRecord, RunSummary, RunsPage } from '../components/apiShapes.js';
import { BackfillForm } from '../components/backfillForm.js';
import { DeleteDialog, type DeleteChoice } from '../components/deleteDialog.js';
import { engineLabels } from '../components/engineLabels.js';
import { defaultNamedKeyChunks, defaultTargetChunkMB } from '../../spec/pipelineSpec.js';
import { FreshnessBadge } from '../components/freshness.js';
import { PlanPanel } from '../components/planPanel.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { RelativeTime } from '../components/relativeTime.js';
import { RunHistoryChart } from '../components/runHistoryChart.js';
import { RunsTable } from '../components/runsTable.js';
import { StatusBadge } from '../components/statusBadge.js';
import { WatermarkPanel } from '../components/watermarkPanel.js';
import { useCanOperate } from '../components/caller.js';

/** Runs on one page of the history table (and so in the chart above it). */
const runsPerPage = 25;

type ActionState = { busy?: string; error?: ApiError; started?: { run: RunSummary; what: string }; done?: string };

/**
 * One pipeline: how it is doing (latest run, freshness, schedule), what it is (its spec), its
 * runs as a chart and a paged table, and what can be done to it (run, full refresh, backfill,
 * pause or resume, delete, watermark reset, plan). Everything shown is polled; after an action
 * the parts it changed are asked for again at once.
 */
export function PipelineView({ pipelineId }: { pipelineId: string }) {
  const canOperate = useCanOperate();
  useTitle(pipelineId);
  const path = `pipelines/${segment(pipelineId)}`;
  const pipeline = useApi<PipelineRecord>(path);
  // A stack of continuation tokens: the last is the page shown, none is the newest page.
  const [pages, setPages] = useState<string[]>([]);
  useEffect(() => setPages([]), [pipelineId]);
  const token = pages[pages.length - 1];
  const runs = useApi<RunsPage>(`${path}/runs?limit=${runsPerPage}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
  // Freshness is the API's verdict (no client copy of the rule), from the overview.
  const overview = useApi<Overview>(`overview?pipeline=${encodeURIComponent(pipelineId)}`);
  const health = overview.data?.pipelines.find((entry) => entry.id === pipelineId);
  const [action, setAction] = useState<ActionState>({});
  const [deleting, setDeleting] = useState<{ open: boolean; busy: boolean; error?: ApiError }>({ open: false, busy: false });

  const record = pipeline.data;
  if (!record) {
    if (pipeline.error?.problem.status === 404) {
      return (
        <section>
          <h1>{pipelineId}</h1>
          <ProblemNotice error={pipeline.error} />
          <p><a href={`${basePath}/pipelines`}>All pipelines</a></p>
        </section>
      );
    }
    return <section><h1>{pipelineId}</h1><ProblemNotice error={pipeline.error} />{pipeline.loading ? <p class="loading">Loading…</p> : null}</section>;
  }

  const latest = health?.lastRun ?? (pages.length === 0 ? runs.data?.runs[0] : undefined);
  const reloadAll = () => {
    pipeline.reload();
    runs.reload();
    overview.reload();
  };

  /** Runs one action at a time; its problem (a 409 naming the run in progress, a 412, a 400) is shown as the API put it. */
  const act = async (what: string, work: () => Promise<Partial<ActionState> | void>) => {
    setAction({ busy: what });
    try {
      setAction({ ...(await work()) });
    } catch (err) {
      setAction({ error: asApiError(err) });
    } finally {
      reloadAll();
    }
  };

  const trigger = (what: string, options: RunOptions) =>
    act(what, async () => {
      const response = await apiRequest<RunSummary>(`${path}/runs`, { method: 'POST', body: { options } });
      setPages([]);
      return { started: { run: response.body, what } };
    });

  const setPaused = (paused: boolean) =>
    act(paused ? 'pause' : 'resume', async () => {
      await apiRequest<PipelineRecord>(`${path}/schedule/${paused ? 'pause' : 'resume'}`, { method: 'POST', ifMatch: record.etag });
      return { done: paused ? 'The schedule is paused: no scheduled runs until you resume it; runs on demand still start.' : 'The schedule is running again from the next fire time.' };
    });

  const remove = async ({ purgeHistory }: DeleteChoice) => {
    setDeleting({ open: true, busy: true });
    try {
      await apiRequest(`${path}${purgeHistory ? '?purgeHistory=true' : ''}`, { method: 'DELETE', ifMatch: record.etag });
      navigate(`${basePath}/pipelines?deleted=${encodeURIComponent(pipelineId)}`);
    } catch (err) {
      setDeleting({ open: true, busy: false, error: asApiError(err) });
    }
  };

  const { generation: _generation, schedulePaused, createdAt: _createdAt, updatedAt: _updatedAt, etag: _etag, ...spec } = record;
  const busy = action.busy !== undefined;

  return (
    <section>
      <div class="view-head">
        <div>
          <h1>{pipelineId}</h1>
          {record.description ? <p class="muted description">{record.description}</p> : null}
        </div>
        <div class="head-status" aria-label="Status">
          <span>Last run {latest ? <><a href={href('pipelines', pipelineId, 'runs', latest.runId)}><StatusBadge status={latest.status} /></a> <RelativeTime iso={latest.endedAt ?? latest.startedAt ?? latest.requestedAt} /></> : <span class="muted">never</span>}</span>
          {health ? <span>Freshness <FreshnessBadge freshness={health.freshness} /></span> : null}
        </div>
      </div>

      <Facts record={record} health={health} />

      <fieldset class="toolbar actions" aria-label="Actions" disabled={!canOperate}>
        <button type="button" class="primary" disabled={busy} onClick={() => trigger('run', {})}>{action.busy === 'run' ? 'Starting…' : 'Run now'}</button>
        {record.incremental ? <button type="button" disabled={busy} onClick={() => trigger('full refresh', { fullRefresh: true })}>{action.busy === 'full refresh' ? 'Starting…' : 'Full refresh'}</button> : null}
        {record.schedule ? (
          <button type="button" disabled={busy} onClick={() => setPaused(!schedulePaused)}>{schedulePaused ? 'Resume schedule' : 'Pause schedule'}</button>
        ) : null}
        <a class="button" href={href('pipelines', pipelineId, 'edit')}>Edit</a>
        <button type="button" class="danger" onClick={() => setDeleting({ open: true, busy: false })}>Delete…</button>
      </fieldset>
      {record.incremental && canOperate ? (
        <details class="backfill-panel">
          <summary>Backfill a range</summary>
          <BackfillForm busy={busy} errors={action.error?.problem.errors} onStart={(options) => trigger('backfill', options)} />
        </details>
      ) : null}

      {action.started ? (
        <div class="notice info" role="status">
          {capitalise(action.started.what)} started: run <a class="id" href={href('pipelines', pipelineId, 'runs', action.started.run.runId)}>{action.started.run.runId}</a> is {action.started.run.status}.
        </div>
      ) : null}
      {action.done ? <div class="notice info" role="status">{action.done}</div> : null}
      <ProblemNotice error={action.error} />

      <section aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        <ProblemNotice error={runs.error} />
        {runs.data ? (
          <>
            <RunHistoryChart runs={runs.data.runs} syncKey={`runs-${pipelineId}`} />
            {runs.data.runs.length ? <RunsTable pipelineId={pipelineId} runs={runs.data.runs} /> : <p class="muted">No runs yet.</p>}
            <nav class="pager" aria-label="Run pages">
              <button type="button" disabled={pages.length === 0} onClick={() => setPages((stack) => stack.slice(0, -1))}>Newer</button>
              <span class="muted small">Page {pages.length + 1}</span>
              <button type="button" disabled={!runs.data.continuationToken} onClick={() => runs.data?.continuationToken && setPages((stack) => [...stack, runs.data!.continuationToken!])}>Older</button>
            </nav>
          </>
        ) : runs.loading ? <p class="loading">Loading runs…</p> : null}
      </section>

      {record.incremental ? (
        <section aria-labelledby="watermark-heading">
          <h2 id="watermark-heading">Watermark</h2>
          <WatermarkPanel pipelineId={pipelineId} version={latest ? `${latest.runId}:${latest.status}` : ''} />
        </section>
      ) : null}

      <section aria-labelledby="plan-heading">
        <h2 id="plan-heading">Plan</h2>
        <PlanPanel pipelineId={pipelineId} />
      </section>

      <section aria-labelledby="spec-heading">
        <div class="section-head">
          <h2 id="spec-heading">Spec</h2>
          <a class="button" href={href('pipelines', pipelineId, 'edit')}>Edit</a>
        </div>
        <pre class="spec" tabIndex={0} aria-label={`Spec of ${pipelineId} as JSON`}>{JSON.stringify(spec, null, 2)}</pre>
        <p class="muted small">Created <RelativeTime iso={record.createdAt} />, last changed <RelativeTime iso={record.updatedAt} />; generation <code>{record.generation}</code>.</p>
      </section>

      <DeleteDialog
        pipelineId={pipelineId}
        open={deleting.open}
        busy={deleting.busy}
        error={deleting.error}
        onConfirm={remove}
        onClose={() => setDeleting({ open: false, busy: false })}
      />
    </section>
  );
}

/** What the pipeline is, in one glance: engine, what it reads, where it writes, when it runs. */
function Facts({ record, health }: { record: PipelineRecord; health: PipelineHealth | undefined }) {
  const reads = record.table ? `${record.table.schema ? `${record.table.schema}.` : ''}${record.table.name}` : undefined;
  // A many-table pipeline reads the tables its patterns match, less its excludes (resolved at each run).
  const tables = record.tables?.map((entry) => (typeof entry === 'string' ? entry : entry.name));
  return (
    <dl class="facts">
      <div><dt>Engine</dt><dd>{engineLabels[record.source.engine]}</dd></div>
      <div>
        <dt>Reads</dt>
        <dd id="pipeline-reads">
          {reads ? <code>{reads}</code> : tables ? <>tables <code>{tables.join(', ')}</code>{record.exclude?.length ? <> except <code>{record.exclude.join(', ')}</code></> : null}</> : <span title={record.query}>a query</span>}
        </dd>
      </div>
      <div><dt>Writes</dt><dd>{record.output.format} to <code>{record.output.container}</code></dd></div>
      <div>
        <dt>Schedule</dt>
        <dd>
          {record.schedule ? <><code>{record.schedule.cron}</code> <span class="muted small">{record.schedule.timeZone}</span></> : <span class="muted">on demand</span>}
          {record.schedulePaused ? <> <span class="badge status-paused">paused</span></> : null}
          {health?.nextRunAt ? <div class="small">next <RelativeTime iso={health.nextRunAt} /></div> : null}
        </dd>
      </div>
      <div><dt>Loads</dt><dd>{record.incremental ? <>incremental on <code>{record.incremental.column}</code></> : 'everything, every run'}</dd></div>
      {record.chunking ? <div><dt>Chunks</dt><dd>{chunkingText(record.chunking)}, {record.chunking.maxParallel} at a time</dd></div> : null}
      {record.dependsOn?.length ? <div><dt>Depends on</dt><dd>{record.dependsOn.map((upstream, i) => <>{i ? ', ' : ''}<a href={href('pipelines', upstream)}>{upstream}</a></>)}</dd></div> : null}
      {health?.lastSuccessAt ? <div><dt>Last success</dt><dd><RelativeTime iso={health.lastSuccessAt} /></dd></div> : null}
    </dl>
  );
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** What the spec asks of chunking: a count or a size, on a named column or on the key the catalog gives. */
function chunkingText(chunking: { column?: string | undefined; chunks?: number | undefined; targetChunkMB?: number | undefined }) {
  const count = chunking.chunks !== undefined ? `${chunking.chunks}` : chunking.column !== undefined && chunking.targetChunkMB === undefined ? `${defaultNamedKeyChunks}` : `chunks of ${chunking.targetChunkMB ?? defaultTargetChunkMB} MB`;
  return <>{count} on {chunking.column !== undefined ? <code>{chunking.column}</code> : 'the key the catalog gives'}</>;
}
