import { useTitle } from '../components/useTitle.js';
import { useApi } from '../live.js';
import { basePath, href, navigate, useLocation } from '../router.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { StatusBadge } from '../components/statusBadge.js';
import { RelativeTime } from '../components/relativeTime.js';
import { FreshnessBadge, freshnessValues, ScheduleText } from '../components/freshness.js';
import { engineLabels } from '../components/engineLabels.js';
import type { Freshness, Overview, PipelineHealth } from '../components/apiShapes.js';
import { RunStatus } from '../../spec/runStatus.js';

/** The list's filters, all in the query string so a filtered list can be shared and reloaded. */
type Filters = { q: string; engine: string; freshness: string; status: string };
const filterNames = ['q', 'engine', 'freshness', 'status'] as const;
const neverRun = 'never';

/**
 * Every pipeline with what it reads, when it runs, how its latest run went and whether it keeps
 * to its schedule: GET /api/overview's `pipelines`, which carries the latest run and freshness.
 */
export function PipelinesView() {
  useTitle('Pipelines');
  const location = useLocation();
  const filters = readFilters(location.search);
  const overview = useApi<Overview>('overview');
  const pipelines = overview.data?.pipelines;
  const shown = pipelines?.filter((pipeline) => matches(pipeline, filters));
  const deleted = new URLSearchParams(location.search).get('deleted');

  return (
    <section>
      <div class="view-head">
        <h1>Pipelines</h1>
        <a class="button primary" href={`${basePath}/pipelines/new`}>New pipeline</a>
      </div>
      {deleted ? <div class="notice info" role="status">Pipeline <strong>{deleted}</strong> was deleted.</div> : null}
      <form class="toolbar filters" role="search" aria-label="Filter pipelines" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="filter-q">Search</label>
          <input id="filter-q" type="search" placeholder="id, description or object" value={filters.q} onInput={(event) => setFilter(filters, 'q', (event.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="filter-engine">Engine</label>
          <select id="filter-engine" value={filters.engine} onChange={(event) => setFilter(filters, 'engine', (event.target as HTMLSelectElement).value)}>
            <option value="">Any</option>
            {Object.entries(engineLabels).map(([engine, label]) => <option value={engine}>{label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="filter-freshness">Freshness</label>
          <select id="filter-freshness" value={filters.freshness} onChange={(event) => setFilter(filters, 'freshness', (event.target as HTMLSelectElement).value)}>
            <option value="">Any</option>
            {freshnessValues.map((value) => <option value={value}>{value.replace(/_/g, ' ')}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="filter-status">Last run</label>
          <select id="filter-status" value={filters.status} onChange={(event) => setFilter(filters, 'status', (event.target as HTMLSelectElement).value)}>
            <option value="">Any</option>
            {Object.values(RunStatus).map((status) => <option value={status}>{status.replace(/_/g, ' ')}</option>)}
            <option value={neverRun}>never run</option>
          </select>
        </div>
        {filterNames.some((name) => filters[name]) ? <button type="button" onClick={() => clearFilters()}>Clear filters</button> : null}
      </form>
      <ProblemNotice error={overview.error} />
      {!shown || !pipelines ? (overview.loading ? <p class="loading">Loading…</p> : null) : (
        <>
          <p class="muted small" role="status">{shown.length === pipelines.length ? `${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'}` : `${shown.length} of ${pipelines.length} pipelines`}</p>
          {pipelines.length === 0 ? <p>No pipelines yet. <a href={`${basePath}/pipelines/new`}>Create the first one</a>.</p> : (
            <div class="table-wrap">
              <table class="pipelines">
                <thead>
                  <tr><th>Pipeline</th><th>Last run</th><th>Freshness</th><th>Schedule</th><th>Next run</th><th>Engine</th><th>Reads</th></tr>
                </thead>
                <tbody>
                  {shown.map((pipeline) => <PipelineRow pipeline={pipeline} />)}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function PipelineRow({ pipeline }: { pipeline: PipelineHealth }) {
  const last = pipeline.lastRun;
  return (
    <tr data-pipeline={pipeline.id}>
      <td>
        <a href={href('pipelines', pipeline.id)}>{pipeline.id}</a>
        {pipeline.description ? <div class="muted small">{pipeline.description}</div> : null}
      </td>
      <td class="last-run">
        {last ? (
          <>
            <a href={href('pipelines', pipeline.id, 'runs', last.runId)}><StatusBadge status={last.status} /></a>{' '}
            <RelativeTime iso={last.endedAt ?? last.startedAt ?? last.requestedAt} />
          </>
        ) : <span class="muted">never run</span>}
      </td>
      <td><FreshnessBadge freshness={pipeline.freshness} /></td>
      <td>
        <ScheduleText schedule={pipeline.schedule} />
        {pipeline.paused ? <> <span class="badge status-paused">paused</span></> : null}
      </td>
      <td>{pipeline.nextRunAt ? <RelativeTime iso={pipeline.nextRunAt} /> : <span class="muted">–</span>}</td>
      <td>{engineLabels[pipeline.engine]}</td>
      <td>{pipeline.object === 'query' ? <span class="muted">a query</span> : <code>{pipeline.object}</code>}</td>
    </tr>
  );
}

function matches(pipeline: PipelineHealth, filters: Filters): boolean {
  if (filters.engine && pipeline.engine !== filters.engine) return false;
  if (filters.freshness && pipeline.freshness !== (filters.freshness as Freshness)) return false;
  if (filters.status && (filters.status === neverRun ? pipeline.lastRun !== undefined : pipeline.lastRun?.status !== filters.status)) return false;
  const words = filters.q.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${pipeline.id} ${pipeline.description ?? ''} ${pipeline.object}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

function readFilters(search: string): Filters {
  const params = new URLSearchParams(search);
  return { q: params.get('q') ?? '', engine: params.get('engine') ?? '', freshness: params.get('freshness') ?? '', status: params.get('status') ?? '' };
}

/** Replaces the history entry rather than adding one per keystroke; Back still leaves the list. */
function setFilter(filters: Filters, name: keyof Filters, value: string): void {
  const params = new URLSearchParams();
  for (const key of filterNames) {
    const next = key === name ? value : filters[key];
    if (next) params.set(key, next);
  }
  const query = params.toString();
  navigate(`${basePath}/pipelines${query ? `?${query}` : ''}`, { replace: true });
}

function clearFilters(): void {
  navigate(`${basePath}/pipelines`, { replace: true });
  document.getElementById('filter-q')?.focus();
}
