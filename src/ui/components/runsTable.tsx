import { formatBytes, formatCount, formatDuration } from '../format.js';
import { href } from '../router.js';
import type { RunSummary } from './apiShapes.js';
import { RelativeTime } from './relativeTime.js';
import { rowsPerSecond, runDurationMs, runKind } from './runMetrics.js';
import { StatusBadge } from './statusBadge.js';
import { useClock } from './useClock.js';

/** A pipeline's runs: status, time and volume of each, newest first, each linking to its run page. */
export function RunsTable({ pipelineId, runs }: { pipelineId: string; runs: RunSummary[] }) {
  // A run still going shows its duration so far, moved on with the clock.
  const now = useClock();
  return (
    <div class="table-wrap">
      <table class="runs">
        <thead>
          <tr>
            <th>Run</th><th>Status</th><th>Reason</th><th>Started</th>
            <th class="num">Duration</th><th class="num">Rows</th><th class="num">Rejected</th><th class="num">Bytes</th><th class="num">Rows/s</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const kind = runKind(run);
            const why = run.error ?? run.statusReason;
            return (
              <tr data-run={run.runId}>
                <td><a class="id" href={href('pipelines', pipelineId, 'runs', run.runId)}>{run.runId}</a></td>
                <td>
                  <StatusBadge status={run.status} />
                  {why ? <div class="error-text small" title={why}>{why}</div> : null}
                </td>
                <td>{run.reason}{kind ? <div class="muted small">{kind}</div> : null}</td>
                <td><RelativeTime iso={run.startedAt ?? run.requestedAt} /></td>
                <td class="num">{formatDuration(runDurationMs(run, now))}</td>
                <td class="num">{run.startedAt ? formatCount(run.rows) : '–'}</td>
                {/* Rows validation quarantined: absent (–) for a pipeline without validation. */}
                <td class={`num${run.rowsRejected ? ' rejected' : ''}`} data-rejected={run.rowsRejected ?? ''}>{run.rowsRejected === undefined ? '–' : formatCount(run.rowsRejected)}</td>
                <td class="num">{run.startedAt ? formatBytes(run.bytes) : '–'}</td>
                <td class="num">{formatCount(rowsPerSecond(run))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
