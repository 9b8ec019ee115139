import { StatusBadge } from '../components/statusBadge.js';
import { formatBytes, formatCount, formatDuration, formatTime } from '../format.js';
import { href } from '../router.js';
import { isLive, type RunDetail, type TableRun } from './runTypes.js';

/**
 * The tables of a many-table run, in place of the chunks a run of one table has: how far the run
 * is through them (a bar split by status), a timeline of each table's run on one time axis
 * (coloured as the chunk timeline is, the word beside it), and a table of the tables, each
 * linking to its own run's page (its chunks, events and files).
 */
export function RunTables({ run, now }: { run: RunDetail; now: number }) {
  const tables = run.tableRuns ?? [];
  const total = Math.max(run.tables?.count ?? 0, tables.length);
  return (
    <section class="run-tables" aria-labelledby="run-tables-heading">
      <div class="section-head">
        <h2 id="run-tables-heading">Tables</h2>
      </div>
      <TablesProgress tables={tables} total={total} />
      {tables.length === 0 ? (
        <p class="muted">No tables yet: the run lists the source's tables when it starts.</p>
      ) : (
        <>
          <TablesTimeline tables={tables} now={now} />
          <TablesList tables={tables} now={now} />
        </>
      )}
      {run.manifestPath ? <p class="muted run-tables-manifest">The run's manifest <code>{run.manifestPath}</code> lists each table's manifest; each table's files are on its run's page.</p> : null}
    </section>
  );
}

/** The bar class of a table's status, shared with the chunk timeline's colours. */
function barClass(status: string): string {
  if (status === 'succeeded') return 'bar-done';
  if (status === 'running') return 'bar-running';
  if (status === 'failed' || status === 'timed_out') return 'bar-failed';
  if (status === 'cancelled') return 'bar-stopped';
  return 'bar-waiting';
}

const statusOrder = ['succeeded', 'running', 'queued', 'failed', 'timed_out', 'cancelled', 'skipped', 'missing'];

/** Tables done of all, and a bar split by status (the counts written beside it). */
function TablesProgress({ tables, total }: { tables: TableRun[]; total: number }) {
  const done = tables.filter((table) => !isLive(table.status) && table.status !== 'missing').length;
  const counts = new Map<string, number>();
  for (const table of tables) counts.set(table.status, (counts.get(table.status) ?? 0) + 1);
  const shown = [...counts.entries()].sort(([a], [b]) => rank(a) - rank(b));
  return (
    <div class="run-progress panel">
      <div class="progress-line">
        <label for="run-tables-progress">Tables</label>
        <progress id="run-tables-progress" max={Math.max(1, total)} value={done} aria-valuetext={`${done} of ${total} tables done`} />
        <span class="num" id="run-tables-text">{`${formatCount(done)} of ${formatCount(total)} done`}</span>
      </div>
      <div class="tables-status-bar" aria-hidden="true">
        {shown.map(([status, count]) => <span key={status} class={`segment ${barClass(status)}`} style={{ flexGrow: count }} />)}
      </div>
      <ul class="legend" id="run-tables-counts">
        {shown.map(([status, count]) => (
          <li key={status} data-status={status}><span class={`swatch ${barClass(status)}`} aria-hidden="true" />{formatCount(count)} {status.replace(/_/g, ' ')}</li>
        ))}
      </ul>
    </div>
  );
}

const rank = (status: string) => (statusOrder.indexOf(status) < 0 ? statusOrder.length : statusOrder.indexOf(status));

/**
 * One bar per table from its run's start to its end (or now, while it runs) on the axis of the
 * whole run; a table not started yet has an empty lane. Plain HTML placed by percentages, so it
 * fits any width; the table below has every number for screen readers.
 */
function TablesTimeline({ tables, now }: { tables: TableRun[]; now: number }) {
  const starts = tables.flatMap((table) => (table.startedAt ? [Date.parse(table.startedAt)] : []));
  if (starts.length === 0) return null;
  const from = Math.min(...starts);
  const to = Math.max(from + 1_000, ...tables.map((table) => (table.endedAt ? Date.parse(table.endedAt) : table.startedAt ? now : from)));
  const span = to - from;
  const at = (ms: number) => `${(((ms - from) / span) * 100).toFixed(3)}%`;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div class="panel tables-timeline" id="run-tables-timeline" role="img" aria-label={`Timeline of ${tables.length} tables over ${formatDuration(span)}`}>
      <div class="tables-axis" aria-hidden="true">
        <span />
        <div class="tables-track">
          {ticks.map((tick) => <span key={tick} class="tick-label" style={{ left: `${tick * 100}%` }}>{tick === 0 ? '0s' : `+${formatDuration(span * tick)}`}</span>)}
        </div>
      </div>
      {tables.map((table) => {
        const start = table.startedAt ? Date.parse(table.startedAt) : undefined;
        const end = table.endedAt ? Date.parse(table.endedAt) : now;
        return (
          <div class="tables-lane" key={table.table} data-table={table.table}>
            <span class="tables-lane-name" title={table.table}>{table.table}</span>
            <div class="tables-track">
              {ticks.slice(1, -1).map((tick) => <span key={tick} class="grid" style={{ left: `${tick * 100}%` }} />)}
              {start === undefined ? null : (
                <span
                  class={`tables-bar ${barClass(table.status)}`}
                  style={{ left: at(start), width: `max(3px, ${(((Math.max(end, start) - start) / span) * 100).toFixed(3)}%)` }}
                  title={`${table.table}: ${table.status.replace(/_/g, ' ')}, ${formatCount(table.rows)} rows in ${formatDuration(Math.max(0, end - start))}`}
                />
              )}
            </div>
          </div>
        );
      })}
    </div>
  );
}

/** Every table with its numbers, and the way to its own run's page. */
function TablesList({ tables, now }: { tables: TableRun[]; now: number }) {
  return (
    <div class="table-wrap">
      <table class="tables-table" id="run-tables-table">
        <caption class="sr-only">Tables of the run</caption>
        <thead>
          <tr><th>Table</th><th>Status</th><th class="num">Attempt</th><th class="num">Rows</th><th class="num">Bytes</th><th class="num">Files</th><th>Started</th><th class="num">Duration</th><th>Error</th></tr>
        </thead>
        <tbody>
          {tables.map((table) => (
            <tr key={table.table} data-table={table.table} class={barClass(table.status) === 'bar-failed' ? 'failed-here' : undefined}>
              <td><a href={href('pipelines', table.pipelineId, 'runs', table.runId)}>{table.table}</a></td>
              <td><StatusBadge status={table.status} /></td>
              <td class="num">{table.attempt}</td>
              <td class="num">{formatCount(table.rows)}</td>
              <td class="num">{formatBytes(table.bytes)}</td>
              <td class="num">{formatCount(table.files)}</td>
              <td class="started">{formatTime(table.startedAt)}</td>
              <td class="num">{table.startedAt ? formatDuration((table.endedAt ? Date.parse(table.endedAt) : now) - Date.parse(table.startedAt)) : '–'}</td>
              <td class="error-text" title={table.error ?? table.statusReason}>{problemText(table)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The error (or why the table's run was skipped or cancelled) without the pipeline and run the row already names, cut to a line or two. */
function problemText(table: TableRun): string {
  const full = table.error ?? table.statusReason ?? '';
  const context = `Pipeline ${table.pipelineId}, run ${table.runId}, `;
  const text = full.startsWith(context) ? full.slice(context.length) : full;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
