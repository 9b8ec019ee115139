import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import type { Services } from '../services.js';
import { ChunkStatus, RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { deltaLayoutFor, runPathsFor } from '../sink/blobPaths.js';
import { deleteUnlistedFiles } from '../sink/deleteUnlistedFiles.js';
import { commitDeltaRun, vacuumAfterRun } from './commitDeltaRun.js';
import { parquetEncodingChanges } from '../formats/readerProfiles.js';
import { writtenColumns } from '../formats/writtenTypes.js';
import { readTargetOf, tableName } from '../sources/readTarget.js';
import type { Manifest } from '../sink/manifest.js';
import { deltaTableSnippets, readSnippets } from '../sink/readSnippets.js';
import { schemaFileFor } from '../sink/schemaFile.js';
import type { CursorWindow } from '../spec/cursorWindow.js';
import { cursorText } from '../copy/cursorValues.js';
import type { RunRef } from './activityContracts.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import { releaseRunLease } from '../jobs/runLease.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { schemaColumnOf } from './schemaDrift.js';
import { queryIdPrefix } from '../store/queryStore.js';
import type { ChunkRecord } from '../store/chunkStore.js';
import { columnsWritten } from '../store/runStore.js';
import type { ValidationSpec } from '../spec/validationSpec.js';
import { addRuleCounts } from '../validation/ruleCounts.js';
import { notifyRunEnded } from '../notify/notifyRunEnded.js';
import { checkRunQuality } from '../quality/checkRunQuality.js';
import { checkStateUnmoved, manifestChanges, writeStateIndex } from '../capture/commitChangeState.js';
import { sumChangeCounts } from '../capture/changeCounts.js';
import { advanceChangeVersion, checkChangeVersionUnmoved, keepsChangeVersion } from '../capture/commitChangeVersion.js';

/**
 * Runs the pipeline's quality checks (quality/checkRunQuality.ts), then writes the manifest, then `_SUCCESS` (a Delta run: the manifest, the table's commit, the
 * manifest with the committed version, `_SUCCESS`), makes a hashDiff run's change state current (capture/), advances the watermark, stores the run's
 * schema as the pipeline's current one (orchestration/schemaDrift.ts), closes the run
 * record, and releases the pipeline's run lease. Every step overwrites the same names with the same content
 * (or is a no-op the second time), so finalize can run again after a crash.
 */
export async function finalizeRun(services: Services, ref: RunRef, events: RunEventLog = discardRunEvents): Promise<{ rows: number; files: number; bytes: number }> {
  try {
    const run = await services.runs.get(ref.pipelineId, ref.runId);
    if (!run?.spec || !run.columns) throw new NonRetryableError('the run has not been prepared');
    // Cancelled (or timed out) after its last chunk: no manifest, so no reader takes its files.
    if (terminalRunStatuses.has(run.status) && run.status !== RunStatus.succeeded) {
      await releaseRunLease(services, ref.pipelineId, ref.runId);
      return { rows: run.rows, files: run.files, bytes: run.bytes };
    }
    const chunks = await services.chunks.list(ref.runId);
    const unfinished = chunks.filter((chunk) => chunk.status !== ChunkStatus.done).map((chunk) => chunk.index);
    if (unfinished.length) throw new NonRetryableError(`chunks ${unfinished.join(', ')} are not done`);
    // Past this point a cancel is refused: without the fence, a cancel landing while the manifest
    // is written would end the run cancelled and free its lease, and the next run could read
    // from a watermark this run is about to move.
    const claimed = await services.runs.update(ref.pipelineId, ref.runId, (current) =>
      terminalRunStatuses.has(current.status) || current.finalizingSince ? undefined : { ...current, finalizingSince: services.now().toISOString() });
    if (terminalRunStatuses.has(claimed.status) && claimed.status !== RunStatus.succeeded) {
      await releaseRunLease(services, ref.pipelineId, ref.runId);
      return { rows: claimed.rows, files: claimed.files, bytes: claimed.bytes };
    }

    const { spec } = run;
    const target = readTargetOf(spec);
    // What the files hold: the transforms' columns (the columns read, without transforms).
    const columns = columnsWritten(run)!;
    const schemaVersion = schemaVersionOf(columns);
    const paths = runPathsFor(spec.output, { pipelineId: ref.pipelineId, runId: ref.runId, table: tableName(target), schemaVersion });
    const files = chunks.flatMap((chunk) => chunk.files.map((file) => ({ ...file, chunk: chunk.index })));
    const totals = { rows: files.reduce((sum, file) => sum + file.rows, 0), bytes: files.reduce((sum, file) => sum + file.bytes, 0), files: files.length };
    // Validation, or a transform that can reject a row (a cast, a compute), keeps a quarantine.
    const quarantine = spec.validation || chunks.some((chunk) => chunk.rowsRejected !== undefined) ? quarantineOf(chunks) : undefined;
    const rowsFiltered = chunks.some((chunk) => chunk.rowsFiltered !== undefined) ? chunks.reduce((sum, chunk) => sum + (chunk.rowsFiltered ?? 0), 0) : undefined;
    const rejectedByRule = quarantine ? addRuleCounts(chunks.map((chunk) => chunk.rejectedByRule ?? [])) : undefined;
    const counts = { ...(quarantine ? { rowsRejected: quarantine.rows, rejectedByRule } : {}), ...(rowsFiltered === undefined ? {} : { rowsFiltered }) };
    if (quarantine || rowsFiltered !== undefined) {
      await services.runs.update(ref.pipelineId, ref.runId, (current) => (current.rowsRejected === counts.rowsRejected && current.rowsFiltered === counts.rowsFiltered && JSON.stringify(current.rejectedByRule) === JSON.stringify(counts.rejectedByRule) ? undefined : { ...current, ...counts }));
    }
    if (quarantine && spec.validation) {
      // Before the manifest: a run that rejected too much is failed, and no reader takes its files.
      const exceeded = rejectedBeyondLimits(spec.validation, quarantine.rows, totals.rows + quarantine.rows + (rowsFiltered ?? 0));
      if (exceeded) throw new NonRetryableError(exceeded);
    }
    // Before the manifest: changes diffed against a state no longer current are not published.
    if (run.capture?.mode === 'hashDiff') await checkStateUnmoved(services, ref.pipelineId, ref.runId, run.capture);
    if (keepsChangeVersion(run.capture)) await checkChangeVersionUnmoved(services, ref.pipelineId, ref.runId, run.capture);
    // Before the manifest too: a `fail` check that did not pass fails the run with no manifest. A
    // re-ingest run writes rows the source run was already checked for, and reads no source to
    // measure: the checks are the source runs' alone.
    const qualityFailure = run.reingestOf ? undefined : await checkRunQuality(services, { ...run, spec, columns: run.columns }, { rows: totals.rows, startedAt: new Date(run.startedAt ?? run.requestedAt) }, events);
    if (qualityFailure) throw new NonRetryableError(qualityFailure);
    const manifest: Manifest = {
      manifestVersion: 1,
      pipelineId: ref.pipelineId,
      runId: ref.runId,
      // The run's start, not the wall clock, so a repeated finalize writes identical bytes.
      createdAt: run.startedAt ?? run.requestedAt,
      format: spec.output.format,
      compression: spec.output.compression,
      source: { engine: spec.source.engine, ...(target.kind === 'table' ? { table: tableName(target) } : { query: target.sql }) },
      ...(spec.output.partitionBy ? { partitionBy: spec.output.partitionBy } : {}),
      ...(run.window ? { window: manifestWindow(run.window) } : {}),
      // With the change rows of each type, as the chunks counted them while writing.
      ...(run.capture ? { changes: { ...manifestChanges(run.capture), ...sumChangeCounts(chunks) } } : {}),
      ...(spec.output.format === 'parquet' ? { readers: spec.output.readers, encodings: parquetEncodingChanges(columns, spec.output.readers) } : {}),
      columns,
      schemaVersion,
      rows: totals.rows,
      bytes: totals.bytes,
      files,
      ...(quarantine ? { quarantine } : {}),
      ...(run.reingestOf ? { reingestOf: run.reingestOf } : {}),
      ...(rowsFiltered === undefined ? {} : { rowsFiltered }),
      // Statements for the run's folder of files, declared with what the files hold (a Parquet
      // file's encodings for its readers); a Delta table is read as a table, at its folder.
      ...(spec.output.format === 'delta' ? {
        readWith: deltaTableSnippets({ account: services.dataBlobs.accountName, container: spec.output.container, table: deltaLayoutFor(spec.output, ref.pipelineId, tableName(target)).table }, ref.pipelineId),
      } : {
        readWith: readSnippets({
          format: spec.output.format,
          compression: spec.output.compression,
          columns: writtenColumns(columns, spec.output),
          partitionBy: spec.output.partitionBy,
          location: { account: services.dataBlobs.accountName, container: spec.output.container, folder: paths.folder },
          tableName: ref.pipelineId,
        }),
      }),
    };
    const container = services.dataBlobs.getContainerClient(spec.output.container);
    await container.createIfNotExists();
    // The run's change state, indexed before the manifest; current only once the pointer moves below.
    const changeState = run.capture?.mode === 'hashDiff' ? await writeStateIndex(container, ref.runId, run.capture, paths.folder, chunks) : undefined;
    // A Delta run: manifest, commit, manifest with the version, _SUCCESS (commitDeltaRun); its
    // schema is the table's, in the log.
    const delta = spec.output.format === 'delta' ? await commitDeltaRun(services, { ...run, spec }, tableName(target), paths, manifest, chunks.map((chunk) => chunk.index)) : undefined;
    if (!delta) {
      // Before the manifest, so a manifest is never without the schema it promises beside it.
      if (spec.output.format === 'csv' || spec.output.format === 'jsonl') {
        const schemaBody = JSON.stringify(schemaFileFor(spec.output.format, spec.output.compression, columns, spec.output.partitionBy), null, 2);
        await container.getBlockBlobClient(paths.schemaFile).upload(schemaBody, Buffer.byteLength(schemaBody), { blobHTTPHeaders: { blobContentType: 'application/json' } });
      }
      const manifestBody = JSON.stringify(manifest, null, 2);
      await container.getBlockBlobClient(paths.manifest).upload(manifestBody, Buffer.byteLength(manifestBody), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      await container.getBlockBlobClient(paths.successMarker).upload('', 0);
      // Files in the folder that the manifest does not list (an attempt superseded by a retry that
      // wrote fewer files or other partitions) go now, after the manifest: readers trust only it,
      // and a folder that holds exactly its files cannot mislead anyone who lists it instead.
      await deleteUnlistedFiles(container, { folder: paths.folder, runId: ref.runId, keep: new Set([paths.manifest, paths.successMarker, paths.schemaFile, ...files.map((file) => file.path), ...(quarantine?.files ?? []).map((file) => file.path), ...(run.reingestUpload ? [run.reingestUpload] : []), ...(changeState?.files ?? [])]) });
    } else {
      // A Delta run's data files are the log's to keep; its quarantine folder holds what the manifest lists.
      await deleteUnlistedFiles(container, { folder: paths.quarantineFolder, runId: ref.runId, keep: new Set((quarantine?.files ?? []).map((file) => file.path)) });
    }
    // The change state the next run compares with: after the manifest (and a Delta commit), before the watermark.
    if (changeState) {
      await services.changeStates.advance(ref.pipelineId, { runId: ref.runId, version: run.capture!.version, container: spec.output.container, index: changeState.index, updatedAt: services.now().toISOString() });
    }
    // changeTracking, cdc: the position the next run reads from, likewise after the manifest.
    if (keepsChangeVersion(run.capture)) await advanceChangeVersion(services, ref.pipelineId, ref.runId, run.capture);
    // Only now, with the manifest written, may the next run start above this one's range. A
    // backfill re-reads history and leaves the watermark where it is.
    if (run.window && run.window.mode !== 'backfill') {
      await services.watermarks.advance(ref.pipelineId, { column: run.window.column, kind: run.window.kind, value: run.window.upTo, runId: ref.runId, updatedAt: services.now().toISOString() });
    }
    // The run's columns as read are now the schema the next run's source is compared with (drift
    // is about the source; the transforms derive the output from it).
    // A query job runs once under an id never used again: it has no next run. A re-ingest run
    // wrote an earlier run's columns and read no source: the schema stays the last source run's.
    if (!ref.pipelineId.startsWith(queryIdPrefix) && !run.reingestOf) await services.schemas.record(ref.pipelineId, { runId: ref.runId, version: schemaVersion, runStartedAt: run.startedAt ?? run.requestedAt, columns: run.columns.map(schemaColumnOf) });

    let endedAt: Date | undefined; // set only by the call that closes the run, so the event is logged once
    const closed = await services.runs.update(ref.pipelineId, ref.runId, (current) => {
      endedAt = terminalRunStatuses.has(current.status) ? undefined : services.now();
      return endedAt
        ? { ...current, status: RunStatus.succeeded, endedAt: endedAt.toISOString(), ...totals, ...counts, manifestPath: `${spec.output.container}/${paths.manifest}`, ...(delta?.version === undefined ? {} : { deltaVersion: delta.version }) }
        : undefined;
    });
    // After the watermark (and the record, so the lease never looks free while the run looks live).
    await releaseRunLease(services, ref.pipelineId, ref.runId);
    if (closed.status === RunStatus.succeeded) {
      await appendRunEvent(services, ref.runId, {
        type: RunEventType.finished,
        key: `${closed.attempt}:finished`,
        at: closed.endedAt ? new Date(closed.endedAt) : services.now(),
        fields: { runAttempt: closed.attempt, status: closed.status, rows: closed.rows, bytes: closed.bytes, files: closed.files },
      });
    }
    // Maintenance after the run is closed: what it deletes no version within the retention reads.
    if (delta && delta.version !== undefined) await vacuumAfterRun(services, { ...run, spec }, delta.layout);
    // Last: only queued, never waited on, and it never throws (notify/notifyRunEnded.ts).
    if (closed.status === RunStatus.succeeded) await notifyRunEnded(services, closed);
    if (endedAt) {
      const durationInMs = endedAt.getTime() - Date.parse(run.startedAt ?? run.requestedAt);
      events(RunEvent.runCompleted, { pipelineId: ref.pipelineId, runId: ref.runId, ...totals, durationInMs, status: RunStatus.succeeded, ...(quarantine ? { rowsRejected: quarantine.rows } : {}) });
      if (quarantine && quarantine.rows > 0) events(RunEvent.rowsRejected, { pipelineId: ref.pipelineId, runId: ref.runId, rowsRejected: quarantine.rows });
    }
    return totals;
  } catch (err) {
    throw withContext(err, `Pipeline ${ref.pipelineId}, run ${ref.runId}, finalize`);
  }
}

/** The rows the run's chunks rejected and the `_quarantine/` files that hold them, as the manifest lists them. */
function quarantineOf(chunks: ChunkRecord[]): NonNullable<Manifest['quarantine']> {
  const files = chunks.flatMap((chunk) => (chunk.quarantine ?? []).map((file) => ({ ...file, chunk: chunk.index })));
  return { rows: chunks.reduce((sum, chunk) => sum + (chunk.rowsRejected ?? 0), 0), files };
}

/** Why the rejected rows fail the run (naming the counts), or undefined when they are within the limits. */
export function rejectedBeyondLimits(validation: ValidationSpec, rejected: number, read: number): string | undefined {
  const problems: string[] = [];
  if (validation.maxRejectedRows !== undefined && rejected > validation.maxRejectedRows) problems.push(`more than maxRejectedRows ${validation.maxRejectedRows}`);
  // Compared as rejected * 100 > percent * read, so no rounding decides a run's fate at the limit.
  if (validation.maxRejectedPercent !== undefined && rejected * 100 > validation.maxRejectedPercent * read) problems.push(`more than maxRejectedPercent ${validation.maxRejectedPercent}% (${((rejected * 100) / Math.max(read, 1)).toFixed(2)}%)`);
  return problems.length ? `validation rejected ${rejected} of ${read} rows read, ${problems.join(' and ')}; the rows are in the run's _quarantine/ files, and no manifest was written` : undefined;
}

/** The run's cursor range as digits (exact) and as text people read. */
function manifestWindow(window: CursorWindow): NonNullable<Manifest['window']> {
  return {
    column: window.column,
    mode: window.mode,
    after: window.after,
    upTo: window.upTo,
    afterText: window.after === undefined ? undefined : cursorText(window.kind, window.after),
    upToText: cursorText(window.kind, window.upTo),
    lookback: window.lookback,
  };
}
