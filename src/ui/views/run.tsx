import { useEffect, useMemo, useState } from 'preact/hooks';
import { segment } from '../api.js';
import { ProblemNotice } from '../components/problemNotice.js';
import { StatusBadge } from '../components/statusBadge.js';
import { useTitle } from '../components/useTitle.js';
import { pollIntervalInMs, useApi } from '../live.js';
import { href } from '../router.js';
import { ChunkDetails } from '../run/chunkDetails.js';
import { ChunkGantt } from '../run/chunkGantt.js';
import { ChunkTable } from '../run/chunkTable.js';
import { EventLog } from '../run/eventLog.js';
import { RunActions } from '../run/runActions.js';
import { RunFiles } from '../run/runFiles.js';
import { DriftPanel } from '../components/driftPanel.js';
import { RunQuality } from '../run/runQuality.js';
import { RunFacts, RunProblem, RunProgressBars } from '../run/runSummary.js';
import { isLive, type RunDetail } from '../run/runTypes.js';
import { useNow } from '../components/useNow.js';
import { useRunChunks } from '../run/useRunChunks.js';
import { useRunEvents } from '../run/useRunEvents.js';
import { withTimelineHistory } from '../run/timelineChunks.js';
import { RunTables } from '../run/runTables.js';

/**
 * One run (Dagster's run page, ADF Monitor's copy details): status with cancel and retry, progress,
 * time and volume (rows rejected by validation among them), the error and its chunk, the schema
 * drift as a column diff, the chunk timeline (or a table), the event log, and the manifest's files
 * with the quarantine files. The run and its chunks are read every 1.5 s until the run ends; the log follows
 * the server's event stream (or polls). A run of a many-table pipeline shows its tables instead of
 * chunks (each table's run has its own page, under the table's `<pipeline>~<hash>` id, linked from
 * it); a table's run names the run it is part of, which is the one cancelled and retried.
 */
export function RunView({ pipelineId, runId }: { pipelineId: string; runId: string }) {
  useTitle(`Run ${runId}`);
  const path = `pipelines/${segment(pipelineId)}/runs/${segment(runId)}`;
  const [ended, setEnded] = useState(false);
  const { data: run, error, loading, reload } = useApi<RunDetail>(path, ended ? 0 : pollIntervalInMs);
  const live = run ? isLive(run.status) : undefined;
  useEffect(() => setEnded(live === false), [live]);

  const now = useNow(live === true);
  const { chunks: records } = useRunChunks(run);
  const events = useRunEvents(`${path}/events`, live, run?.attempt ?? 0);
  const chunks = useMemo(() => withTimelineHistory(records, events.events, run?.attempt), [records, events.events, run?.attempt]);
  const [asTable, setAsTable] = useState(false);
  const [active, setActive] = useState<number | undefined>(undefined);
  const [hover, setHover] = useState<number | undefined>(undefined);
  const [focusRequest, setFocusRequest] = useState(0);
  useEffect(() => {
    setActive(undefined);
    setHover(undefined);
  }, [path]);

  /** "chunk N" anywhere on the page: that lane (or row) becomes the active one, scrolled to and focused. */
  const showChunk = (index: number) => {
    setActive(index);
    setFocusRequest((request) => request + 1);
  };
  const detailIndex = hover ?? active;
  const detailChunk = detailIndex === undefined ? undefined : chunks.find((chunk) => chunk.index === detailIndex);
  const manyTables = Boolean(run?.tables || run?.tableRuns);
  // A table's run lives under its table pipeline's id, which has no page: the breadcrumb leads to the pipeline and the run it is part of.
  const owner = run?.partOf?.pipelineId ?? pipelineId.split('~')[0]!;

  return (
    <section class="run-view">
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <a href={href('pipelines')}>Pipelines</a> / <a href={href('pipelines', owner)}>{owner}</a> /{' '}
        {run?.partOf ? (
          <>
            <a href={href('pipelines', run.partOf.pipelineId, 'runs', run.partOf.runId)} id="run-part-of">run {run.partOf.runId}</a> / <span aria-current="page">table {run.partOf.table}</span>
          </>
        ) : (
          <span aria-current="page">run</span>
        )}
      </nav>
      <div class="run-head">
        <h1>Run <span class="run-id">{runId}</span></h1>
        {run ? <span id="run-status"><StatusBadge status={run.status} /></span> : null}
        {live ? <span class="muted live-note">updates live</span> : null}
      </div>
      <ProblemNotice error={error} />
      {!run ? (loading ? <p class="loading">Loading the run…</p> : null) : (
        <>
          {run.partOf ? (
            <div class="notice info table-run-note" id="run-table-note">
              <p>
                This run copies table <code>{run.partOf.table}</code> of run{' '}
                <a href={href('pipelines', run.partOf.pipelineId, 'runs', run.partOf.runId)}>{run.partOf.runId}</a> of {run.partOf.pipelineId}: that run is the one cancelled or retried.
              </p>
            </div>
          ) : (
            <RunActions run={run} onChanged={reload} />
          )}
          <RunProblem run={run} onChunk={showChunk} />
          {manyTables ? null : <RunProgressBars run={run} chunks={records} />}
          <RunFacts run={run} chunks={records} now={now} />
          {run.drift ? <DriftPanel drift={run.drift} id="run-drift" heading="Schema drift" /> : null}
          <RunQuality run={run} />
          {manyTables ? <RunTables run={run} now={now} /> : (
          <section class="run-chunks" aria-labelledby="run-chunks-heading">
            <div class="section-head">
              <h2 id="run-chunks-heading">Chunks</h2>
              {/* A toggle keeps its name; aria-pressed says which way it is. */}
              <button type="button" id="run-chunks-as-table" aria-pressed={asTable} onClick={() => setAsTable(!asTable)}>Show as table</button>
            </div>
            {chunks.length === 0 ? (
              <p class="muted">No chunks yet: the run plans them when it starts.</p>
            ) : asTable ? (
              <ChunkTable chunks={chunks} keyKind={run.keyKind} errorChunk={run.errorChunk} active={active} focusRequest={focusRequest} />
            ) : (
              <div class="panel gantt-panel">
                <ChunkGantt run={run} chunks={chunks} now={now} live={live === true} active={active} onActivate={setActive} focusRequest={focusRequest} onHover={setHover} />
                <ChunkDetails chunk={detailChunk} keyKind={run.keyKind} errorChunk={run.errorChunk} now={now} />
              </div>
            )}
          </section>
          )}
          <EventLog events={events.events} feed={events.feed} error={events.error} onChunk={showChunk} />
          {/* A many-table run's files are its tables' (GET .../files answers 404 for it): each table's run page lists them. */}
          {manyTables ? null : <RunFiles run={run} chunks={records} />}
        </>
      )}
    </section>
  );
}
