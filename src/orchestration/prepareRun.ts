import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { planChunks } from '../copy/planChunks.js';
import { planBalancedChunks } from '../copy/planBalancedChunks.js';
import { checkPartitionColumns } from '../copy/partitionFolders.js';
import type { ChunkRange } from '../spec/columns.js';
import type { CursorWindow } from '../spec/cursorWindow.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { ChunkStatus, RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { KeyBounds, KeyKind, ReadTarget, SourceConnector } from '../sources/sourceConnector.js';
import { readTargetLabel, readTargetOf, tableName } from '../sources/readTarget.js';
import { runPaths } from '../sink/blobPaths.js';
import type { StoredRun } from '../store/runStore.js';
import type { PreparedRun, RunRef } from './activityContracts.js';
import { planWindow } from './planWindow.js';
import { reasonToSkip } from './runGate.js';
import { acquireRunLease, leaseHeldReason, releaseRunLease } from '../jobs/runLease.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { cursorText } from '../copy/cursorValues.js';

/**
 * Snapshots the pipeline spec into the run, checks that the run may go ahead (upstream pipelines
 * succeeded, and it holds the pipeline's run lease: see runGate), fixes an incremental run's
 * cursor window, introspects the source, and plans the chunks. A plan already recorded for the run is reused, so
 * a prepare that runs again after a crash, or for a retry of the run, yields the same chunks and
 * therefore the same file names.
 */
export async function prepareRun(services: Services, ref: RunRef): Promise<PreparedRun> {
  const context = `Pipeline ${ref.pipelineId}, run ${ref.runId}, prepare`;
  try {
    const run = await services.runs.get(ref.pipelineId, ref.runId);
    if (!run) throw new NonRetryableError('the run record does not exist');
    if (terminalRunStatuses.has(run.status)) throw new NonRetryableError(`the run is already ${run.status}`);
    await appendRunEvent(services, run.runId, { type: RunEventType.started, key: `${run.attempt}:started`, at: services.now(), fields: { runAttempt: run.attempt } });
    if (run.spec && run.columns) return resumePlanned(services, run, run.spec);

    const pipeline = await services.pipelines.get(ref.pipelineId);
    if (!pipeline) throw new NonRetryableError('the pipeline does not exist');
    const { spec } = pipeline;
    const skip = await reasonToSkip(services, spec, run);
    if (skip) return skipRun(services, run, spec, skip);

    const target = readTargetOf(spec);
    const source = await services.openSource(spec.source);
    try {
      const description = await source.describe(target, spec.columns);
      checkPartitionColumns(description.columns, spec.output.partitionBy ?? [], readTargetLabel(target));
      const incremental = spec.incremental ? await planWindow(services, source, target, { ...spec, incremental: spec.incremental }, run.options ?? {}, readTargetLabel(target)) : undefined;
      const plan = incremental && !incremental.window ? emptyPlan() : await planRun(source, target, spec, description.primaryKey, incremental);
      await services.chunks.savePlan(plan.ranges.map((range, index) => ({ runId: ref.runId, index, range, status: ChunkStatus.planned, rows: 0, bytes: 0, files: [] })));
      const paths = runPaths({ pipelineId: ref.pipelineId, runId: ref.runId, table: tableName(target), template: spec.output.pathTemplate });
      const prepared = await services.runs.update(ref.pipelineId, ref.runId, (current) => ({
        ...current,
        status: RunStatus.running,
        startedAt: services.now().toISOString(),
        spec,
        columns: description.columns,
        keyKind: plan.keyKind,
        orderBy: plan.orderBy,
        planMethod: plan.method,
        window: incremental?.window,
        chunksPlanned: plan.ranges.length,
        rowsEstimate: plan.rowsEstimate,
        outputFolder: `${spec.output.container}/${paths.folder}`,
      }));
      await recordPrepared(services, prepared);
      return { skipped: false, chunkCount: plan.ranges.length, maxParallel: spec.chunking?.maxParallel ?? 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes };
    } finally {
      await source.close();
    }
  } catch (err) {
    throw withContext(err, context);
  }
}

/** A run planned before (a repeated prepare, or a retry of the run): back to running, same plan. */
async function resumePlanned(services: Services, run: StoredRun, spec: PipelineSpec): Promise<PreparedRun> {
  // Held since the trigger, or since the retry took it again; confirmed, as a replay may come late.
  const lease = await acquireRunLease(services, run.pipelineId, run);
  if (!lease.acquired) return skipRun(services, run, spec, leaseHeldReason(run.pipelineId, lease.holder));
  if (run.status === RunStatus.queued) {
    await services.runs.update(run.pipelineId, run.runId, (current) => (current.status === RunStatus.queued ? { ...current, status: RunStatus.running } : undefined));
  }
  await recordPrepared(services, run);
  return { skipped: false, chunkCount: run.chunksPlanned, maxParallel: spec.chunking?.maxParallel ?? 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes };
}

/** Ends the run skipped with the reason, then lets go of the lease if it held it (a manual run takes it at its trigger). */
async function skipRun(services: Services, run: StoredRun, spec: PipelineSpec, reason: string): Promise<PreparedRun> {
  await services.runs.update(run.pipelineId, run.runId, (current) =>
    terminalRunStatuses.has(current.status) ? undefined : { ...current, status: RunStatus.skipped, statusReason: reason, endedAt: services.now().toISOString(), spec });
  await releaseRunLease(services, run.pipelineId, run.runId);
  await appendRunEvent(services, run.runId, { type: RunEventType.finished, key: `${run.attempt}:finished`, at: services.now(), fields: { runAttempt: run.attempt, status: RunStatus.skipped, reason } });
  return { skipped: true, chunkCount: 0, maxParallel: 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes };
}

/** The plan on the timeline: how many chunks, how they were cut, and the window an incremental run reads (as text people read). */
function recordPrepared(services: Services, run: StoredRun): Promise<boolean> {
  const { window } = run;
  return appendRunEvent(services, run.runId, {
    type: RunEventType.prepared,
    key: `${run.attempt}:prepared`,
    at: services.now(),
    fields: {
      runAttempt: run.attempt,
      chunkCount: run.chunksPlanned,
      method: run.planMethod,
      rowsEstimate: run.rowsEstimate,
      windowColumn: window?.column,
      windowMode: window?.mode,
      windowAfter: window?.after === undefined ? undefined : cursorText(window.kind, window.after),
      windowUpTo: window ? cursorText(window.kind, window.upTo) : undefined,
    },
  });
}

type RunPlan = { ranges: ChunkRange[]; keyKind?: KeyKind; orderBy: string[]; method: 'single' | 'equalWidth' | 'statistics' | 'sample'; rowsEstimate: number };

function emptyPlan(): RunPlan {
  return { ranges: [], orderBy: [], method: 'single', rowsEstimate: 0 };
}

/**
 * Rows are ordered by the split key and then the primary key, so a chunk read twice yields its
 * rows in the same order and its files the same bytes. Without chunking the whole table (or the
 * query, in its own order) is one streamed chunk. When an incremental run splits on its own
 * cursor, only the window's part of the key range is cut into chunks.
 */
async function planRun(source: SourceConnector, target: ReadTarget, spec: PipelineSpec, primaryKey: string[], incremental: { window: CursorWindow | undefined; bounds: KeyBounds } | undefined): Promise<RunPlan> {
  const { chunking } = spec;
  if (!chunking) return { ranges: [{ kind: 'all' }], orderBy: primaryKey, method: 'single', rowsEstimate: 0 };
  const window = incremental?.window;
  const onCursor = window !== undefined && window.column === chunking.column;
  const tableBounds = onCursor ? incremental!.bounds : await source.keyBounds(target, chunking.column);
  // Rows outside the window are never read, and a NULL cursor is never inside it.
  const bounds: KeyBounds = onCursor ? windowBounds(tableBounds, window) : tableBounds;
  const orderBy = [chunking.column, ...primaryKey.filter((name) => name !== chunking.column)];
  if (chunking.strategy === 'equalWidth' || bounds.min === undefined) {
    return { ranges: planChunks(bounds, chunking.chunks), keyKind: bounds.kind, orderBy, method: 'equalWidth', rowsEstimate: bounds.rowsEstimate };
  }
  const distribution = await source.keyDistribution(target, chunking.column, bounds.kind, samplePointsFor(chunking.chunks));
  return { ranges: planBalancedChunks(bounds, distribution, chunking.chunks), keyKind: bounds.kind, orderBy, method: distribution.method, rowsEstimate: bounds.rowsEstimate };
}

function windowBounds(table: KeyBounds, window: CursorWindow): KeyBounds {
  const low = window.after === undefined ? (table.min === undefined ? undefined : BigInt(table.min)) : BigInt(window.after) + 1n;
  const high = BigInt(window.upTo);
  if (low === undefined || low > high) return { ...table, min: undefined, max: undefined, nullable: false };
  return { ...table, min: String(low), max: String(high), nullable: false };
}

/** Enough sampled keys that each chunk's boundary rests on dozens of them, within a bounded query. */
function samplePointsFor(chunks: number): number {
  return Math.min(200_000, Math.max(10_000, chunks * 50));
}
