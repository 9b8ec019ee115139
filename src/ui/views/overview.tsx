import { useTitle } from '../components/useTitle.js';
import { useApi } from '../live.js';
import { basePath, href, navigate, useLocation } from '../router.js';
import { formatBytes, formatCount } from '../format.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { StatusBadge } from '../components/statusBadge.js';
import { StatusBar } from '../components/statusBar.js';
import { RelativeTime } from '../components/relativeTime.js';
import { FreshnessBadge, freshnessRank, ScheduleText } from '../components/freshness.js';
import type { Overview, PipelineHealth } from '../components/apiShapes.js';

/** The windows people look back over; the API takes 1 to 168 hours. */
const windows = [
  { hours: 1, label: 'Last hour' },
  { hours: 6, label: 'Last 6 hours' },
  { hours: 24, label: 'Last 24 hours' },
  { hours: 72, label: 'Last 3 days' },
  { hours: 168, label: 'Last 7 days' },
];
const defaultHours = 24;

/**
 * The page kept open all day: how the runs of the window went (status, volume), what failed and
 * needs a look, and whether each scheduled pipeline is keeping to its schedule.
 */
export function OverviewView() {
  useTitle('Overview');
  const location = useLocation();
  const hours = readHours(location.search);
  const overview = useApi<Overview>(hours === defaultHours ? 'overview' : `overview?hours=${hours}`);
  const data = overview.data;
  const windowLabel = windows.find((w) => w.hours === hours)?.label ?? `Last ${hours} hours`;

  return (
    <section>
      <div class="view-head">
        <h1>Overview</h1>
        <div class="field inline">
          <label for="overview-window">Runs of</label>
          <select id="overview-window" value={String(hours)} onChange={(event) => setHours(Number((event.target as HTMLSelectElement).value))}>
            {windows.map((w) => <option value={String(w.hours)}>{w.label}</option>)}
          </select>
        </div>
      </div>
      <ProblemNotice error={overview.error} />
      {!data ? (overview.loading ? <p class="loading">Loading…</p> : null) : (
        <>
          <h2 class="visually-hidden">Runs, {windowLabel.toLowerCase()}</h2>
          <div class="cards" aria-label={`Runs, ${windowLabel.toLowerCase()}`} role="group">
            <Card label="Runs" value={formatCount(data.runs.total)} />
            <Card label="Succeeded" value={formatCount(data.runs.byStatus.succeeded ?? 0)} />
            <Card label="Failed or timed out" value={formatCount((data.runs.byStatus.failed ?? 0) + (data.runs.byStatus.timed_out ?? 0))} alarm={(data.runs.byStatus.failed ?? 0) + (data.runs.byStatus.timed_out ?? 0) > 0} />
            <Card label="Running or queued" value={formatCount((data.runs.byStatus.running ?? 0) + (data.runs.byStatus.queued ?? 0))} />
            <Card label="Rows moved" value={formatCount(data.runs.rows)} />
            <Card label="Bytes moved" value={formatBytes(data.runs.bytes)} />
          </div>
          <div class="panel spaced">
            <StatusBar counts={data.runs.byStatus} label={`Runs by status, ${windowLabel.toLowerCase()}`} />
            <p class="muted small">Since <RelativeTime iso={data.since} />; runs of pipelines, not query jobs.</p>
          </div>
          <Attention overview={data} />
          <FreshnessTable pipelines={data.pipelines} />
        </>
      )}
    </section>
  );
}

function Card({ label, value, alarm }: { label: string; value: string; alarm?: boolean }) {
  return (
    <div class={alarm ? 'card alarm' : 'card'}>
      <div class="value num-text">{value}</div>
      <div class="label">{label}</div>
    </div>
  );
}

/** Pipelines whose latest run failed or timed out, newest first, each linking to that run. */
function Attention({ overview }: { overview: Overview }) {
  return (
    <section aria-labelledby="attention-heading">
      <h2 id="attention-heading">Needs attention {overview.attention.length ? `(${overview.attention.length})` : ''}</h2>
      {overview.attention.length === 0 ? <p class="muted">No pipeline's latest run failed.</p> : (
        <div class="table-wrap">
          <table class="attention">
            <thead><tr><th>Pipeline</th><th>Status</th><th>Ended</th><th>Run</th><th>Error</th></tr></thead>
            <tbody>
              {overview.attention.map((item) => (
                <tr data-pipeline={item.pipelineId}>
                  <td><a href={href('pipelines', item.pipelineId)}>{item.pipelineId}</a></td>
                  <td><StatusBadge status={item.status} /></td>
                  <td><RelativeTime iso={item.endedAt} /></td>
                  <td><a class="id" href={href('pipelines', item.pipelineId, 'runs', item.runId)}>{item.runId}</a></td>
                  <td class="error-text">{item.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * Every pipeline that has a verdict on freshness: the scheduled ones (paused included) and any
 * other whose latest run failed. The worst first, so the eye lands on what is late or failing.
 */
function FreshnessTable({ pipelines }: { pipelines: PipelineHealth[] }) {
  const shown = pipelines.filter((p) => p.freshness !== 'unscheduled').sort((a, b) => freshnessRank(a.freshness) - freshnessRank(b.freshness) || a.id.localeCompare(b.id));
  const unscheduled = pipelines.length - shown.length;
  return (
    <section aria-labelledby="freshness-heading">
      <h2 id="freshness-heading">Freshness</h2>
      {shown.length === 0 ? <p class="muted">No pipeline has a schedule yet.</p> : (
        <div class="table-wrap">
          <table class="freshness">
            <thead><tr><th>Pipeline</th><th>Freshness</th><th>Schedule</th><th>Last run</th><th>Last success</th><th>Next run</th></tr></thead>
            <tbody>
              {shown.map((pipeline) => (
                <tr data-pipeline={pipeline.id}>
                  <td><a href={href('pipelines', pipeline.id)}>{pipeline.id}</a></td>
                  <td><FreshnessBadge freshness={pipeline.freshness} /></td>
                  <td><ScheduleText schedule={pipeline.schedule} /></td>
                  <td>
                    {pipeline.lastRun ? (
                      <>
                        <a href={href('pipelines', pipeline.id, 'runs', pipeline.lastRun.runId)}><StatusBadge status={pipeline.lastRun.status} /></a>{' '}
                        <RelativeTime iso={pipeline.lastRun.endedAt ?? pipeline.lastRun.startedAt ?? pipeline.lastRun.requestedAt} />
                      </>
                    ) : <span class="muted">never run</span>}
                  </td>
                  <td><RelativeTime iso={pipeline.lastSuccessAt} /></td>
                  <td>{pipeline.nextRunAt ? <RelativeTime iso={pipeline.nextRunAt} /> : <span class="muted">{pipeline.paused ? 'paused' : '–'}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {unscheduled > 0 ? <p class="muted small">{unscheduled} pipeline{unscheduled === 1 ? '' : 's'} without a schedule: see <a href={`${basePath}/pipelines`}>Pipelines</a>.</p> : null}
    </section>
  );
}

function readHours(search: string): number {
  const value = Number(new URLSearchParams(search).get('hours'));
  return windows.some((w) => w.hours === value) ? value : defaultHours;
}

/** The window lives in the URL, so a shared or reloaded link shows the same one. */
function setHours(hours: number): void {
  navigate(hours === defaultHours ? `${basePath}/` : `${basePath}/?hours=${hours}`, { replace: true });
}
