import { NonRetryableError, errorMessage, withContext } from '../errors/errorTypes.js';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import { capMessage } from '../errors/capMessage.js';
import { scrubSecrets } from '../errors/scrubSecrets.js';
import type { ContainerClient } from '@azure/storage-blob';
import type { Services } from '../services.js';
import { copyChunk } from '../copy/copyChunk.js';
import { ChunkStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import { deltaLayoutFor, runPathsFor } from '../sink/blobPaths.js';
import { stageChunkFiles } from '../sink/delta/chunkFiles.js';
import { writtenColumns } from '../formats/writtenTypes.js';
import type { ChunkOutcome, CopyChunkInput } from './activityContracts.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { withAttempt, type ChunkRecord } from '../store/chunkStore.js';
import { columnsWritten, type StoredRun } from '../store/runStore.js';
import type { ChunkKey } from '../sources/sourceConnector.js';
import { openReingestSource } from './prepareReingestRun.js';
import { canChecksum } from '../sources/sourceConnector.js';
import { mismatchText, reconcileChunk, type ChunkReconciler } from '../quality/reconcileChunk.js';
import { nullFilledColumns } from '../copy/nullFilledColumns.js';
import { chunkSlotHolder, recordWaiting } from './acquireSourceSlotActivity.js';
import { openWithSlot, slotTimings, sourceSlotKey, tryAcquireSourceSlot, type SlotClaim } from '../sources/sourceSessions.js';
import type { SourceConnector } from '../sources/sourceConnector.js';

/** The orchestrator's slot of the source went to another holder (this one stalled past its lease): stop, and try again with a new slot. */
class SlotLostError extends Error {
  constructor() {
    super('the session slot taken for this chunk (source.maxSessions) was lost: its lease expired and another session took it; the chunk is tried again');
  }
}
import { openChunkChanges } from '../capture/chunkChanges.js';
import { readsChangeTable } from '../capture/runCapture.js';

const progressIntervalInMs = 1_000;
/** How often a copy looks at its run's status, so a cancelled or timed-out run's chunks stop. */
const statusIntervalInMs = 2_000;

/**
 * Containers this process has made sure exist: one round trip per container, not per chunk, which
 * matters when a run has thousands of small chunks.
 */
const knownContainers = new Set<string>();

async function ensureContainer(container: ContainerClient): Promise<void> {
  if (knownContainers.has(container.url)) return;
  await container.createIfNotExists();
  knownContainers.add(container.url);
}

/** Thrown from the progress callback to abandon a copy whose run has ended meanwhile. */
class RunEndedError extends Error {
  constructor(readonly status: string) {
    super(`the run is ${status}`);
  }
}

/**
 * Copies one planned chunk and records its files in the chunk record. A chunk already done (a
 * retried run, a repeated message) is not copied again, and a copy that runs twice writes the same
 * blob names with the same bytes: at-least-once execution, exactly-once output. Errors a retry can
 * fix are thrown for the orchestrator's retry policy; the rest come back as outcomes.
 */
export async function copyChunkActivity(services: Services, input: CopyChunkInput, events: RunEventLog = discardRunEvents): Promise<ChunkOutcome> {
  const context = `Pipeline ${input.pipelineId}, run ${input.runId}, chunk ${input.chunk}`;
  // Aborted when the status check sees the run ended: the connector then cancels the statement on
  // the server, so a statement still working on its first row stops too, not only the next read.
  const stop = new AbortController();
  const attempt = input.attempt ?? 1;
  let run: StoredRun | undefined;
  // The slot of the source's session semaphore this attempt holds (taken by the orchestrator, or
  // here): freed here on every way out but one (the source's close frees it once opened).
  let claim: SlotClaim | undefined;
  let slotHandedOver = false;
  try {
    run = await services.runs.get(input.pipelineId, input.runId);
    if (!run?.spec || !run.columns || !run.orderBy) throw new NonRetryableError('the run has not been prepared');
    const timeline = chunkTimeline(services, run, input.chunk, attempt);
    const holder = chunkSlotHolder({ runId: input.runId, chunk: input.chunk, attempt });
    // A re-ingest reads quarantined rows from blobs: it holds no session on the source.
    const slotted = input.sourceSlot !== undefined && !run.reingestOf;
    if (slotted && typeof input.sourceSlot === 'number') claim = { key: sourceSlotKey(run.spec.source).key, slot: input.sourceSlot, holder };
    if (terminalRunStatuses.has(run.status)) {
      await timeline(RunEventType.chunkStopped, { status: run.status });
      return { outcome: 'stopped', chunk: input.chunk, status: run.status };
    }
    const chunk = await services.chunks.get(input.runId, input.chunk);
    if (!chunk) throw new NonRetryableError('the chunk is not in the run plan');
    if (chunk.status === ChunkStatus.done) {
      return { outcome: 'done', chunk: input.chunk, rows: chunk.rows, bytes: chunk.bytes, files: chunk.files.length, durationInMs: 0 };
    }
    const { spec } = run;
    if (claim) {
      // Still ours? The activity may start long after the orchestrator took it (a busy worker).
      const { leaseInMs } = slotTimings(services);
      const renewed = await services.sourceSlots.renew(claim.key, claim.slot, claim.holder, { now: services.now(), leaseInMs });
      if (!renewed) throw new SlotLostError();
      claim.etag = renewed.etag;
    } else if (slotted) {
      // One try, never a wait: refused, the chunk waits in its orchestration (copyChunkRange),
      // whose queue takes a place in the source's queue for the run's waiting chunks.
      const answer = await tryAcquireSourceSlot(services, spec.source, holder, false);
      if (!answer.acquired) return { outcome: 'waiting', chunk: input.chunk, ...(await recordWaiting(services, run, spec.source, input.chunk, attempt, answer.ahead)) };
      claim = { key: answer.key, slot: answer.slot, holder, etag: answer.etag };
    }
    const started = services.now();
    const { etag: readEtag, ...planned } = chunk;
    // Running, with this attempt recorded, before any row is read: a chunk being copied says so.
    const record: ChunkRecord = {
      ...planned,
      status: ChunkStatus.running,
      startedAt: planned.startedAt ?? started.toISOString(),
      attempts: withAttempt(planned.attempts, attempt, (current) => ({ attempt, startedAt: current?.startedAt ?? started.toISOString() })),
    };
    // This write takes the place of the first progress write (which came after the first batch),
    // so a run of thousands of tiny chunks makes no more chunk writes than before.
    let etag: string | undefined = await services.chunks.replaceIfUnchanged(record, readEtag);
    const startedWriteAt = Date.now();
    // Written while the copy runs, and awaited before the chunk is recorded done: with thousands of
    // small chunks, two more sequential round trips per chunk would double a run's time.
    const startedEvent = timeline(RunEventType.chunkStarted, {});
    startedEvent.catch(() => undefined); // awaited below; this only keeps a failure from being unhandled meanwhile
    const container = services.dataBlobs.getContainerClient(spec.output.container);
    await ensureContainer(container);

    // Progress is best effort: a lost heartbeat only makes a progress bar lag. Writes carry the
    // record's ETag, so once another attempt has written this chunk, this one stops reporting.
    let lastProgressAt = startedWriteAt;
    let progressWrite: Promise<void> = Promise.resolve();
    let endedAs: string | undefined;
    const statusCheck = setInterval(() => {
      services.runs.get(input.pipelineId, input.runId).then((current) => {
        if (current && terminalRunStatuses.has(current.status)) {
          endedAs = current.status;
          stop.abort(new RunEndedError(current.status));
        }
      }, () => undefined);
    }, statusIntervalInMs);
    const onProgress = (rows: number) => {
      if (endedAs) throw new RunEndedError(endedAs);
      const now = Date.now();
      if (now - lastProgressAt < progressIntervalInMs || !etag) return;
      lastProgressAt = now;
      const sent = etag;
      progressWrite = progressWrite
        .then(() => services.chunks.replaceIfUnchanged({ ...record, rows }, sent))
        .then((next) => {
          etag = next;
        }, () => undefined);
    };

    // A re-ingest run reads its chunk's quarantine file instead of the source.
    let source: SourceConnector;
    if (run.reingestOf) source = await openReingestSource(services, run, input.chunk);
    else if (claim) {
      slotHandedOver = true;
      source = await openWithSlot(services, spec.source, claim, () => stop.abort(new SlotLostError()));
    } else source = await services.openSource(spec.source);
    let reconciler: ChunkReconciler | undefined;
    try {
      const target = readTargetOf(spec);
      // The transforms' columns (the columns read without transforms), in the encodings written.
      const transformed = columnsWritten(run)!;
      const written = writtenColumns(transformed, spec.output);
      const key = chunkKeyOf(run);
      // Reconciliation: on by default for a table read in key order (a split key or a primary
      // key); not for a re-ingest (its rows come from a quarantine file) nor a capped read. With
      // source.maxSessions the chunk holds one slot, so no second session is opened for the
      // source's side: it runs in the read's session after the read, on PostgreSQL still inside
      // the read's repeatable-read transaction (its snapshot).
      // Nor a read of the engine's change table (changeTracking, cdc): its rows are not the table's range.
      if (spec.reconcile !== false && target.kind === 'table' && run.orderBy.length > 0 && !run.reingestOf && !readsChangeTable(run.capture) && spec.maxRows === undefined && canChecksum(source)) {
        const readColumns = nullFilledColumns(run.columns).readColumns;
        reconciler = reconcileChunk(source, claim ? undefined : () => services.openSource(spec.source), { target, columns: readColumns, key, range: chunk.range, window: run.window }, readColumns);
      }
      const paths = runPathsFor(spec.output, { pipelineId: input.pipelineId, runId: input.runId, table: tableName(target), schemaVersion: schemaVersionOf(transformed), changeRows: run.capture !== undefined });
      const changes = run.capture ? await openChunkChanges({
        blobs: services.dataBlobs, container, spec, capture: run.capture, columns: run.columns, runFolder: paths.folder,
        chunk: input.chunk, range: chunk.range, window: run.window, where: context,
      }) : undefined;
      const result = await copyChunk(source, container, {
        chunk: input.chunk,
        range: chunk.range,
        target,
        output: spec.output,
        columns: run.columns,
        writtenColumns: written,
        key,
        window: run.window,
        orderBy: run.orderBy,
        paths,
        maxRows: spec.maxRows,
        signal: stop.signal,
        validation: spec.validation,
        transforms: spec.transforms,
        runId: input.runId,
        onRead: reconciler?.onRead,
        onSnapshot: reconciler?.onSnapshot,
        inReadSnapshot: reconciler?.inReadSnapshot,
        changes,
      }, onProgress);
      const reconciliation = await reconciler?.finish();
      // A mismatch is tried again (the retry copies the chunk anew). Checked in the read's own
      // snapshot it stays an error; checked after the read, a range that keeps changing would
      // fail every attempt, so the last one records the mismatch as a warning and goes on.
      if (reconciliation?.status === 'mismatch' && (reconciliation.snapshot || attempt < spec.retry.maxAttempts)) throw new Error(mismatchText(reconciliation));
      await progressWrite;
      if (result.truncated) await services.queries.markTruncated(input.pipelineId);
      const ended = services.now();
      // A Delta chunk's files, with their statistics, for the run's commit (recorded before the
      // chunk is done, so a done chunk's list is always there).
      if (spec.output.format === 'delta') {
        const partitionBy = spec.output.partitionBy ?? [];
        await stageChunkFiles(container, deltaLayoutFor(spec.output, input.pipelineId, tableName(target)), {
          runId: input.runId, chunk: input.chunk, files: result.files, partitionBy, modificationTime: ended.getTime(),
          fileColumns: written.filter((column) => !partitionBy.includes(column.name)),
        });
      }
      // Queue time: from the plan (the run's start) to the chunk's first start, whichever attempt.
      // A retried run keeps its first start, so its chunks count from the previous attempt's end.
      const queuedSince = Math.max(Date.parse(run.startedAt ?? run.requestedAt), ...(run.previousAttempts ?? []).map((previous) => (previous.endedAt ? Date.parse(previous.endedAt) : 0)));
      const queueMs = Math.max(0, Date.parse(record.startedAt!) - queuedSince);
      const done: ChunkRecord = {
        ...record,
        status: ChunkStatus.done,
        rows: result.rows,
        bytes: result.bytes,
        files: result.files.map(({ statistics: _statistics, ...file }) => file),
        ...(result.rowsRejected === undefined ? {} : { rowsRejected: result.rowsRejected, quarantine: result.quarantine ?? [], rejectedByRule: result.rejectedByRule ?? [] }),
        ...(result.rowsFiltered === undefined ? {} : { rowsFiltered: result.rowsFiltered }),
        ...(result.changes ? { changes: result.changes } : {}),
        endedAt: ended.toISOString(),
        attempts: withAttempt(record.attempts, attempt, (current) => ({ attempt, startedAt: current?.startedAt ?? started.toISOString(), endedAt: ended.toISOString() })),
        timings: { queueMs, ...result.timings },
        ...(reconciliation ? { reconciliation } : {}),
      };
      // Another attempt wrote the record meanwhile: its files have the same names and bytes as
      // ours, so whichever finishes records the result.
      await startedEvent;
      const stats = { chunk: input.chunk, rows: result.rows, bytes: result.bytes, files: result.files.length, durationInMs: ended.getTime() - started.getTime() };
      // The record and the event side by side: each is idempotent, and a failure of either throws for a retry.
      await Promise.all([
        (async () => {
          if (!etag || !(await services.chunks.replaceIfUnchanged(done, etag))) await services.chunks.save(done);
        })(),
        timeline(RunEventType.chunkDone, { rows: stats.rows, bytes: stats.bytes, files: stats.files, durationInMs: stats.durationInMs, ...done.timings, ...(result.rowsRejected === undefined ? {} : { rowsRejected: result.rowsRejected }), ...(result.rowsFiltered === undefined ? {} : { rowsFiltered: result.rowsFiltered }), ...(reconciliation ? { reconciliation: reconciliation.status } : {}) }),
      ]);
      events(RunEvent.chunkCompleted, { pipelineId: input.pipelineId, runId: input.runId, ...stats, status: ChunkStatus.done, ...(reconciliation ? { reconciliation: reconciliation.status } : {}) });
      return { outcome: 'done', ...stats };
    } finally {
      clearInterval(statusCheck);
      await reconciler?.close().catch(() => undefined);
      await source.close();
    }
  } catch (err) {
    // The read failed because the statement was cancelled on the server when the run ended.
    const ended = err instanceof RunEndedError ? err : stop.signal.reason instanceof RunEndedError ? stop.signal.reason : undefined;
    if (ended) {
      if (run) await recordAttemptEnd(services, run, input.chunk, attempt, { status: ChunkStatus.stopped, event: RunEventType.chunkStopped, fields: { status: ended.status } }).catch(() => undefined);
      return { outcome: 'stopped', chunk: input.chunk, status: ended.status };
    }
    const error = withContext(stop.signal.reason instanceof SlotLostError ? stop.signal.reason : err, context);
    const message = capMessage(scrubSecrets(errorMessage(error)), maxChunkErrorChars);
    // The orchestrator tries a thrown error again until the run's retry policy runs out (see
    // copyChunkRange); a NonRetryableError comes back as an outcome and ends the chunk at once.
    const final = error instanceof NonRetryableError || !run?.spec || attempt >= run.spec.retry.maxAttempts;
    if (run?.spec) {
      await recordAttemptEnd(services, run, input.chunk, attempt, final
        ? { status: ChunkStatus.failed, event: RunEventType.chunkFailed, error: message }
        : { status: ChunkStatus.retrying, event: RunEventType.chunkRetried, error: message }).catch(() => undefined);
    }
    if (error instanceof NonRetryableError) return { outcome: 'failed', chunk: input.chunk, error: message };
    throw error;
  } finally {
    if (claim && !slotHandedOver) await services.sourceSlots.release(claim.key, claim.slot, claim.holder, claim.etag).catch(() => undefined);
  }
}

/** Writes the chunk's events to the run's timeline, once per (run attempt, chunk, attempt, type). */
function chunkTimeline(services: Services, run: StoredRun, chunk: number, attempt: number) {
  return (type: RunEventType, fields: Record<string, string | number | undefined>) =>
    appendRunEvent(services, run.runId, { type, key: `${run.attempt}:${type}:${chunk}:${attempt}`, at: services.now(), fields: { runAttempt: run.attempt, chunk, attempt, ...fields } });
}

/**
 * Records how an attempt ended other than done: on the chunk (its status, the attempt's end and
 * error) unless the chunk is done already (another attempt finished it), and on the timeline.
 */
async function recordAttemptEnd(services: Services, run: StoredRun, chunk: number, attempt: number, ending: { status: ChunkStatus; event: RunEventType; error?: string; fields?: Record<string, string> }): Promise<void> {
  const endedAt = services.now().toISOString();
  const current = await services.chunks.get(run.runId, chunk);
  // Not over a chunk that is done, nor over a later attempt already under way (this one is stale).
  const latest = Math.max(0, ...(current?.attempts ?? []).map((entry) => entry.attempt));
  if (current && current.status !== ChunkStatus.done && latest <= attempt) {
    const { etag, ...record } = current;
    await services.chunks.replaceIfUnchanged({
      ...record,
      status: ending.status,
      attempts: withAttempt(record.attempts, attempt, (entry) => ({ attempt, startedAt: entry?.startedAt ?? endedAt, endedAt, ...(ending.error === undefined ? {} : { error: ending.error }) })),
    }, etag);
  }
  await chunkTimeline(services, run, chunk, attempt)(ending.event, { ...ending.fields, error: ending.error });
}

/**
 * Activity results are kept in the orchestration history and replayed on every episode; in a run
 * of thousands of chunks a long error text per result would make each replay slower and the
 * history larger. The run record keeps this text; its start says what went wrong. (Thrown errors
 * are capped by the registry's activity wrapper at maxErrorChars.)
 */
const maxChunkErrorChars = 2_000;

/** The key the run's chunks were planned on: recorded by prepare, or, for a run planned before that was recorded, the spec's column. */
function chunkKeyOf(run: StoredRun): ChunkKey | undefined {
  if (run.split) return run.split.key;
  const column = run.spec?.chunking?.column;
  return column !== undefined && run.keyKind ? { column, kind: run.keyKind } : undefined;
}
