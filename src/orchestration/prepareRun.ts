import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { ChunkStatus, RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { readTargetLabel, readTargetOf, tableName } from '../sources/readTarget.js';
import { outputOf } from './describeForOutput.js';
import { runPathsFor } from '../sink/blobPaths.js';
import type { StoredRun } from '../store/runStore.js';
import type { Column } from '../spec/columns.js';
import type { PreparedRun, RunRef } from './activityContracts.js';
import { planRead } from './planRead.js';
import { readRunHistory } from './runHistory.js';
import { reasonToSkip } from './runGate.js';
import { acquireRunLease, leaseHeldReason, releaseRunLease } from '../jobs/runLease.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { cursorText } from '../copy/cursorValues.js';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import { defaultSchemaContract } from '../spec/schemaContract.js';
import { applySchemaContract, fitDrift, frozenMessage, typeName, type SchemaColumn, type SchemaDrift } from './schemaDrift.js';
import { capMessage } from '../errors/capMessage.js';
import { holdReingestClaim, prepareReingestRun } from './prepareReingestRun.js';
import { openSourceSession } from '../sources/sourceSessions.js';
import { planCapture } from '../capture/planCapture.js';
import { prepareTablesRun } from '../tables/prepareTablesRun.js';

/**
 * Snapshots the pipeline spec into the run, checks that the run may go ahead (upstream pipelines
 * succeeded, and it holds the pipeline's run lease: see runGate), fixes an incremental run's
 * cursor window, introspects the source, and plans the chunks. A plan already recorded for the run is reused, so
 * a prepare that runs again after a crash, or for a retry of the run, yields the same chunks and
 * therefore the same file names.
 */
export async function prepareRun(services: Services, ref: RunRef, events: RunEventLog = discardRunEvents): Promise<PreparedRun> {
  const context = `Pipeline ${ref.pipelineId}, run ${ref.runId}, prepare`;
  try {
    const run = await services.runs.get(ref.pipelineId, ref.runId);
    if (!run) throw new NonRetryableError('the run record does not exist');
    if (terminalRunStatuses.has(run.status)) throw new NonRetryableError(`the run is already ${run.status}`);
    await appendRunEvent(services, run.runId, { type: RunEventType.started, key: `${run.attempt}:started`, at: services.now(), fields: { runAttempt: run.attempt } });
    // A run of a many-table pipeline prepared before: its tables as recorded (a retry queues the unfinished again).
    if (run.spec && run.tables) return await resumeTablesRun(services, run, run.spec);
    if (run.spec && run.columns) {
      // A retried re-ingest goes on only while it holds (or can take back) its quarantine's claim.
      if (run.reingestOf) await holdReingestClaim(services, run);
      return resumePlanned(services, run, run.spec);
    }

    // A query job's synthetic pipeline runs through the same path as a pipeline of its own, and so
    // does a table's run of a many-table pipeline, with the spec its pipeline's run gave it.
    const pipeline = (await services.pipelines.get(ref.pipelineId)) ?? (await services.queries.get(ref.pipelineId)) ?? tablePipelineOf(run);
    if (!pipeline) throw new NonRetryableError('the pipeline does not exist');
    if (runGeneration(run) !== pipeline.generation) throw new NonRetryableError(`the run belongs to an earlier pipeline of this id that was deleted (generation ${runGeneration(run)}, now ${pipeline.generation})`);
    const { spec } = pipeline;
    // Reads a run's quarantined rows, not the source: no upstream to wait for, no source to open.
    if (run.reingestOf) return await prepareReingestRun(services, run, spec);
    const skip = await reasonToSkip(services, spec, run);
    if (skip) return skipRun(services, run, spec, skip);
    if (spec.tables) return await prepareTablesRun(services, run, spec);

    const target = readTargetOf(spec);
    const source = await openSourceSession(services, spec.source, { purpose: `prepare:${ref.runId}` });
    try {
      const history = await readRunHistory(services, ref.pipelineId, pipeline.generation);
      const { description, incremental, plan, deltaReadVersion } = await planRead(services, source, spec, run.options ?? {}, undefined, history);
      // Before the plan is saved, so a frozen contract fails the run with nothing written.
      const columns = await checkSchemaContract(services, run, spec, description.columns, events);
      // The columns written, from the columns read as the contract left them (a discarded column
      // is not there for a step to use): a step that no longer fits fails the run here, naming it.
      const output = outputOf(columns, spec, readTargetLabel(target));
      if (output.refusals.length) throw new NonRetryableError(capMessage(output.refusals.map((refusal) => refusal.reason).join('; '), 4_000));
      const startedAt = services.now();
      // Before the plan is saved too: the key and the state it compares with decide whether the run can go ahead.
      const capture = await planCapture(services, spec, columns, description.primaryKey, run.options ?? {}, startedAt, readTargetLabel(target), source);
      await services.chunks.savePlan(plan.ranges.map((range, index) => ({ runId: ref.runId, index, range, status: ChunkStatus.planned, rows: 0, bytes: 0, files: [] })));
      const paths = runPathsFor(spec.output, { pipelineId: ref.pipelineId, runId: ref.runId, table: tableName(target), schemaVersion: schemaVersionOf(output.columns) });
      const prepared = await services.runs.update(ref.pipelineId, ref.runId, (current) => ({
        ...current,
        status: RunStatus.running,
        startedAt: startedAt.toISOString(),
        spec,
        columns,
        ...(spec.transforms || capture ? { outputColumns: output.columns } : {}),
        ...(capture ? { capture } : {}),
        // A changeTracking or cdc run that takes a snapshot instead of reading changes says why.
        ...(capture?.snapshotReason && capture.mode !== 'hashDiff' ? { statusReason: capture.snapshotReason } : {}),
        keyKind: plan.keyKind,
        split: plan.split && { source: plan.split.choice.source, reason: capMessage(plan.split.choice.reason, 2_000), key: plan.split.key },
        orderBy: plan.orderBy,
        planMethod: plan.method,
        window: incremental?.window,
        deltaReadVersion,
        chunksPlanned: plan.ranges.length,
        rowsEstimate: plan.rowsEstimate,
        outputFolder: `${spec.output.container}/${paths.folder}`,
      }));
      await recordPrepared(services, prepared);
      // A chunk expected to outlast its time budget: said on the timeline, and the run goes ahead.
      for (const [index, message] of (plan.budget?.warnings ?? []).entries()) {
        await appendRunEvent(services, run.runId, { type: RunEventType.planWarning, key: `${run.attempt}:planWarning:${index}`, at: services.now(), fields: { runAttempt: run.attempt, message } });
      }
      return { skipped: false, chunkCount: plan.ranges.length, maxParallel: spec.chunking?.maxParallel ?? 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes, chunksPerOrchestration: services.settings.SIPHON_CHUNKS_PER_ORCHESTRATION };
    } finally {
      await source.close();
    }
  } catch (err) {
    throw withContext(err, context);
  }
}

/** A table's run: its spec is the one its pipeline's run recorded for it (tables/tableSpec.ts), under the table's pipeline id. */
function tablePipelineOf(run: StoredRun): { spec: PipelineSpec; generation: string } | undefined {
  return run.partOf && run.spec ? { spec: run.spec, generation: runGeneration(run) } : undefined;
}

/** A many-table run prepared before: it goes on only while it holds (or can take back) the pipeline's lease. */
async function resumeTablesRun(services: Services, run: StoredRun, spec: PipelineSpec): Promise<PreparedRun> {
  const lease = await acquireRunLease(services, run.pipelineId, run);
  if (!lease.acquired) return skipRun(services, run, spec, leaseHeldReason(run.pipelineId, lease.holder));
  return prepareTablesRun(services, run, spec);
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
  return { skipped: false, chunkCount: run.chunksPlanned, maxParallel: spec.chunking?.maxParallel ?? 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes, chunksPerOrchestration: services.settings.SIPHON_CHUNKS_PER_ORCHESTRATION };
}

/** Ends the run skipped with the reason, then lets go of the lease if it held it (a manual run takes it at its trigger). */
export async function skipRun(services: Services, run: StoredRun, spec: PipelineSpec, reason: string): Promise<PreparedRun> {
  await services.runs.update(run.pipelineId, run.runId, (current) =>
    terminalRunStatuses.has(current.status) ? undefined : { ...current, status: RunStatus.skipped, statusReason: reason, endedAt: services.now().toISOString(), spec });
  await releaseRunLease(services, run.pipelineId, run.runId);
  await appendRunEvent(services, run.runId, { type: RunEventType.finished, key: `${run.attempt}:finished`, at: services.now(), fields: { runAttempt: run.attempt, status: RunStatus.skipped, reason } });
  return { skipped: true, chunkCount: 0, maxParallel: 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes, chunksPerOrchestration: services.settings.SIPHON_CHUNKS_PER_ORCHESTRATION };
}

/** The plan on the timeline: how many chunks, how they were cut, and the window an incremental run reads (as text people read). */
export function recordPrepared(services: Services, run: StoredRun): Promise<boolean> {
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
      splitKeySource: run.split?.source,
      splitKey: run.split?.key ? [run.split.key.column, run.split.key.next?.column].filter(Boolean).join(', ') : undefined,
      splitKeyReason: run.split?.reason,
      windowColumn: window?.column,
      windowMode: window?.mode,
      windowAfter: window?.after === undefined ? undefined : cursorText(window.kind, window.after),
      windowUpTo: window ? cursorText(window.kind, window.upTo) : undefined,
    },
  });
}


/**
 * The columns the run writes, after the pipeline's schema contract met the source as it is now:
 * compared with the schema of the last successful run (none: the first run, which only records
 * it), any drift goes on the run's timeline and record, and a frozen one fails the run here.
 */
async function checkSchemaContract(services: Services, run: StoredRun, spec: PipelineSpec, described: Column[], events: RunEventLog): Promise<Column[]> {
  const stored = await services.schemas.current(run.pipelineId);
  if (!stored) return described;
  const contract = spec.schemaContract ?? defaultSchemaContract;
  const { columns, drift } = applySchemaContract(stored.columns, described, contract);
  if (!drift) return columns;
  // Cut to fit: the run record's drift is one Table Storage property, the event's lists three of one entity.
  await services.runs.update(run.pipelineId, run.runId, (current) => ({ ...current, drift: fitDrift(drift, 30_000) }));
  await appendRunEvent(services, run.runId, { type: RunEventType.drift, key: `${run.attempt}:drift`, at: services.now(), fields: driftEventFields(run.attempt, stored.runId, drift) });
  const driftFields = driftEventFields(run.attempt, stored.runId, drift);
  events(RunEvent.schemaDrift, { pipelineId: run.pipelineId, runId: run.runId, outcome: drift.outcome, changes: String(driftFields.message), columnsAdded: drift.added.length, columnsRemoved: drift.removed.length, columnsRetyped: drift.retyped.length });
  if (drift.outcome === 'frozen') throw new NonRetryableError(capMessage(frozenMessage(drift, contract), 4_000));
  return columns;
}

/** The drift as the timeline's flat fields: text people read, and each change as JSON with old and new. */
function driftEventFields(runAttempt: number, comparedWithRun: string, drift: SchemaDrift): Record<string, string | number> {
  const text = (column: SchemaColumn) => `${column.sourceType} (${typeName(column.type)}${column.nullable ? ', null' : ''})`;
  const parts = [
    ...drift.added.map((change) => `added "${change.column}" ${text(change.new)}${drift.discarded.includes(change.column) ? ' (discarded)' : ''}`),
    ...drift.removed.map((change) => `removed "${change.column}" ${text(change.old)}${drift.nullFilled?.includes(change.column) ? ' (null-filled)' : ''}`),
    ...drift.retyped.map((change) => `retyped "${change.column}" ${text(change.old)} -> ${text(change.new)}${change.widening ? ' (widening)' : ''}`),
  ];
  const fitted = fitDrift(drift, 24_000);
  return {
    runAttempt,
    comparedWithRun,
    outcome: drift.outcome,
    message: capMessage(parts.join('; '), 4_000),
    added: JSON.stringify(fitted.added),
    removed: JSON.stringify(fitted.removed),
    retyped: JSON.stringify(fitted.retyped),
    discarded: JSON.stringify(fitted.discarded),
    nullFilled: JSON.stringify(fitted.nullFilled ?? []),
    addedCount: drift.added.length,
    removedCount: drift.removed.length,
    retypedCount: drift.retyped.length,
  };
}
