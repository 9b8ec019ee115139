import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { RunRef } from '../orchestration/activityContracts.js';
import { releaseRunLease } from '../jobs/runLease.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { mapWithConcurrency } from '../store/mapWithConcurrency.js';
import { failRun } from '../orchestration/failRun.js';
import { notifyRunEnded } from '../notify/notifyRunEnded.js';
import { RunEvent, discardRunEvents, type RunEventLog } from '../observability/runEvents.js';
import { capMessage } from '../errors/capMessage.js';
import type { StoredRun } from '../store/runStore.js';
import type { RunTable } from '../store/runTableStore.js';

/** The run manifest of a many-table run: every table's run, with the manifest a reader takes its files from. */
export type TablesRunManifest = {
  manifestVersion: 1;
  pipelineId: string;
  runId: string;
  createdAt: string;
  rows: number;
  bytes: number;
  files: number;
  tables: Array<{ table: string; runId: string; rows: number; bytes: number; files: number; manifest: string | undefined }>;
};

/** Where a many-table run's manifest goes in its output container: one folder per run, beside the tables' own. */
export function tablesRunFolder(pipelineId: string, runId: string): string {
  return `${pipelineId}/_runs/run=${runId}`;
}

/**
 * Ends a many-table run once its tables' runs have ended. Every table succeeded: the run manifest
 * (listing each table's manifest) and `_SUCCESS`, then the run succeeded. Otherwise the run
 * fails naming the tables that did not succeed; those that did keep their manifests, which
 * readers may trust. Writes the same names with the same content when run again.
 */
export async function finishTablesRun(services: Services, ref: RunRef, events: RunEventLog = discardRunEvents): Promise<string> {
  try {
    const run = await services.runs.get(ref.pipelineId, ref.runId);
    if (!run?.spec?.tables) throw new NonRetryableError('the run is not a prepared run of many tables');
    if (terminalRunStatuses.has(run.status)) {
      if (run.status !== RunStatus.succeeded) await releaseRunLease(services, ref.pipelineId, ref.runId);
      return run.status;
    }
    const tables = await services.runTables.list(ref.runId);
    const tableRuns = await mapWithConcurrency(tables, 8, async (table) => ({ table, run: await services.runs.getSummary(table.pipelineId, table.runId) }));
    const succeeded = tableRuns.filter(({ run: tableRun }) => tableRun?.status === RunStatus.succeeded);
    const totals = { rows: sum(succeeded, 'rows'), bytes: sum(succeeded, 'bytes'), files: sum(succeeded, 'files') };
    const counts = { count: tables.length, succeeded: succeeded.length, failed: tables.length - succeeded.length };
    if (counts.failed > 0) {
      await services.runs.update(ref.pipelineId, ref.runId, (current) => (terminalRunStatuses.has(current.status) ? undefined : { ...current, ...totals, tables: counts }));
      const notSucceeded = tableRuns.filter((entry) => !succeeded.includes(entry)).map(({ table, run: tableRun }) => `${tableName(table)} ${tableRun?.status ?? 'not started'}${tableRun?.error ? ` (${capMessage(tableRun.error, 300)})` : tableRun?.statusReason ? ` (${capMessage(tableRun.statusReason, 300)})` : ''}`);
      await failRun(services, { ...ref, error: capMessage(`${counts.failed} of ${counts.count} tables did not succeed: ${notSucceeded.join('; ')}. The ${counts.succeeded} that succeeded have complete manifests; retry the run to copy only the others`, 8_000) }, events);
      return RunStatus.failed;
    }
    const manifest: TablesRunManifest = {
      manifestVersion: 1,
      pipelineId: ref.pipelineId,
      runId: ref.runId,
      // The run's start, so a repeated finish writes identical bytes.
      createdAt: run.startedAt ?? run.requestedAt,
      ...totals,
      tables: succeeded.map(({ table, run: tableRun }) => ({ table: tableName(table), runId: table.runId, rows: tableRun!.rows, bytes: tableRun!.bytes, files: tableRun!.files, manifest: tableRun!.manifestPath })),
    };
    const folder = tablesRunFolder(ref.pipelineId, ref.runId);
    const container = services.dataBlobs.getContainerClient(run.spec.output.container);
    await container.createIfNotExists();
    const body = JSON.stringify(manifest, null, 2);
    await container.getBlockBlobClient(`${folder}/_manifest.json`).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    await container.getBlockBlobClient(`${folder}/_SUCCESS`).upload('', 0);
    let endedAt: Date | undefined;
    const closed = await services.runs.update(ref.pipelineId, ref.runId, (current) => {
      endedAt = terminalRunStatuses.has(current.status) ? undefined : services.now();
      return endedAt ? { ...current, status: RunStatus.succeeded, endedAt: endedAt.toISOString(), ...totals, tables: counts, manifestPath: `${run.spec!.output.container}/${folder}/_manifest.json` } : undefined;
    });
    await releaseRunLease(services, ref.pipelineId, ref.runId);
    if (closed.status !== RunStatus.succeeded) return closed.status;
    await appendRunEvent(services, ref.runId, { type: RunEventType.finished, key: `${closed.attempt}:finished`, at: closed.endedAt ? new Date(closed.endedAt) : services.now(), fields: { runAttempt: closed.attempt, status: closed.status, rows: closed.rows, bytes: closed.bytes, files: closed.files, tables: counts.count } });
    await notifyRunEnded(services, closed);
    if (endedAt) events(RunEvent.runCompleted, { pipelineId: ref.pipelineId, runId: ref.runId, ...totals, durationInMs: endedAt.getTime() - Date.parse(run.startedAt ?? run.requestedAt), status: RunStatus.succeeded });
    return RunStatus.succeeded;
  } catch (err) {
    throw withContext(err, `Pipeline ${ref.pipelineId}, run ${ref.runId}, finishing its tables`);
  }
}

function tableName(table: RunTable): string {
  return `${table.schema}.${table.name}`;
}

function sum(entries: ReadonlyArray<{ run: StoredRun | undefined }>, field: 'rows' | 'bytes' | 'files'): number {
  return entries.reduce((total, entry) => total + (entry.run?.[field] ?? 0), 0);
}
