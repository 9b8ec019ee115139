import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { Column } from '../spec/columns.js';
import { ChunkStatus, RunStatus } from '../spec/runStatus.js';
import { readTargetLabel, readTargetOf, tableName } from '../sources/readTarget.js';
import { runPathsFor } from '../sink/blobPaths.js';
import { readManifest } from '../sink/readManifest.js';
import { schemaVersionOf } from '../sink/schemaVersion.js';
import type { StoredRun } from '../store/runStore.js';
import { acquireRunLease, leaseHeldReason } from '../jobs/runLease.js';
import { claimReingest } from '../jobs/reingestClaim.js';
import { checkPartitionColumns } from '../copy/partitionFolders.js';
import { compileRowRules } from '../validation/rowRules.js';
import { QuarantineSource, type QuarantineFile } from '../validation/quarantineSource.js';
import { checkDeltaTable } from './planDeltaTable.js';
import { typeName } from './schemaDrift.js';
import type { PreparedRun } from './activityContracts.js';
import { recordPrepared, skipRun } from './prepareRun.js';

/**
 * Prepares a re-ingest run (reason `reingest`, `reingestOf` the succeeded run whose quarantine it
 * reads): no source is opened and no upstream is consulted, since nothing is read from the
 * database. It holds the pipeline's run lease like any run (one run of a pipeline at a time), and
 * still holds its source run's claim (a retried re-ingest superseded by a newer one must not land
 * the same rows twice). It writes the source run's columns, which must be the pipeline's current
 * schema: a column added, removed or retyped since fails the run here, naming them (filling NULLs
 * would write rows no run of the source would write). It plans one chunk per quarantine file, or
 * one chunk for the uploaded corrected rows, and checks the pipeline's current validation rules
 * against the columns, so a rule that no longer fits fails here and not in every chunk.
 */
export async function prepareReingestRun(services: Services, run: StoredRun, spec: PipelineSpec): Promise<PreparedRun> {
  const lease = await acquireRunLease(services, run.pipelineId, run);
  if (!lease.acquired) return skipRun(services, run, spec, leaseHeldReason(run.pipelineId, lease.holder));
  await holdReingestClaim(services, run);
  const { source, files } = await reingestInput(services, run);
  const columns = source.columns!;
  await checkSchemaUnchanged(services, run.pipelineId, source.runId, columns);
  const target = readTargetOf(spec);
  const label = `Re-ingest of run ${source.runId}`;
  const rules = compileRowRules(columns, spec.validation, label);
  if (rules.refusals.length) throw new NonRetryableError(rules.refusals.map((refusal) => refusal.reason).join('; '));
  checkPartitionColumns(columns, spec.output.partitionBy ?? [], readTargetLabel(target));
  const deltaReadVersion = spec.output.format === 'delta' ? await checkDeltaTable(services, spec, tableName(target), columns, readTargetLabel(target)) : undefined;

  await services.chunks.savePlan(files.map((_, index) => ({ runId: run.runId, index, range: { kind: 'all' as const }, status: ChunkStatus.planned, rows: 0, bytes: 0, files: [] })));
  const paths = runPathsFor(spec.output, { pipelineId: run.pipelineId, runId: run.runId, table: tableName(target), schemaVersion: schemaVersionOf(columns) });
  const prepared = await services.runs.update(run.pipelineId, run.runId, (current) => ({
    ...current,
    status: RunStatus.running,
    startedAt: services.now().toISOString(),
    spec,
    columns,
    orderBy: source.orderBy ?? [],
    planMethod: 'single',
    deltaReadVersion,
    chunksPlanned: files.length,
    rowsEstimate: run.reingestUpload ? undefined : source.rowsRejected,
    outputFolder: `${spec.output.container}/${paths.folder}`,
  }));
  await recordPrepared(services, prepared);
  return { skipped: false, chunkCount: files.length, maxParallel: spec.chunking?.maxParallel ?? 1, retry: spec.retry, timeoutMinutes: spec.timeoutMinutes, chunksPerOrchestration: services.settings.SIPHON_CHUNKS_PER_ORCHESTRATION };
}

/**
 * Makes sure the run holds its source run's claim (jobs/reingestClaim.ts), taking it back if a
 * newer re-ingest that took it meanwhile failed: a retried re-ingest run that another one
 * superseded and landed must not land the same rows again, so it fails here naming that run.
 */
export async function holdReingestClaim(services: Services, run: StoredRun): Promise<void> {
  const claim = await claimReingest(services, run.pipelineId, run.reingestOf!, run.runId);
  if (!claim.claimed) throw new NonRetryableError(`run ${run.reingestOf}'s quarantine is claimed by re-ingest run ${claim.holder.runId} (${claim.holder.status ?? 'being queued'}), not this one`);
}

/**
 * The files a re-ingest run reads, one per chunk: the corrected rows uploaded for it, or the
 * quarantine files its source run's manifest lists, in the manifest's order (fixed, so chunk n is
 * always the same file). With the source run, whose columns the values follow.
 */
export async function reingestInput(services: Services, run: StoredRun): Promise<{ source: StoredRun; files: QuarantineFile[] }> {
  if (!run.reingestOf) throw new NonRetryableError('the run is not a re-ingest');
  const source = await services.runs.get(run.pipelineId, run.reingestOf);
  if (!source?.spec || !source.columns) throw new NonRetryableError(`run ${run.reingestOf}, which it re-ingests, is gone or was never prepared`);
  if (source.status !== RunStatus.succeeded || !source.manifestPath) throw new NonRetryableError(`run ${run.reingestOf}, which it re-ingests, is ${source.status}, not succeeded with a manifest`);
  if (run.reingestUpload) {
    // Stored in this run's own folder, in the pipeline's output container, before the run was queued.
    const container = services.dataBlobs.getContainerClient((run.spec ?? source.spec).output.container);
    return { source, files: [{ container, path: run.reingestUpload }] };
  }
  const container = services.dataBlobs.getContainerClient(source.spec.output.container);
  const manifestPath = source.manifestPath.slice(source.spec.output.container.length + 1);
  const manifest = await readManifest(container, manifestPath);
  if (!manifest) throw new NonRetryableError(`run ${run.reingestOf}'s manifest ${source.manifestPath} is gone`);
  return { source, files: (manifest.quarantine?.files ?? []).map((file) => ({ container, path: file.path })) };
}

/** The source a re-ingest run's chunk reads: its one file (see reingestInput). */
export async function openReingestSource(services: Services, run: StoredRun, chunk: number): Promise<QuarantineSource> {
  const { files } = await reingestInput(services, run);
  const file = files[chunk];
  if (!file) throw new NonRetryableError(`chunk ${chunk} has no quarantine file to read (the run re-ingests ${files.length})`);
  return new QuarantineSource([file]);
}

/** Fails naming every column added, removed or retyped between the source run and the pipeline's current schema. */
async function checkSchemaUnchanged(services: Services, pipelineId: string, sourceRunId: string, columns: Column[]): Promise<void> {
  const current = await services.schemas.current(pipelineId);
  if (!current) return;
  const then = new Map(columns.map((column) => [column.name, column]));
  const now = new Map(current.columns.map((column) => [column.name, column]));
  const changes = [
    ...current.columns.filter((column) => !then.has(column.name)).map((column) => `"${column.name}" added since`),
    ...columns.filter((column) => !now.has(column.name)).map((column) => `"${column.name}" removed since`),
    ...columns.flatMap((column) => {
      const later = now.get(column.name);
      return later && typeName(later.type) !== typeName(column.type) ? [`"${column.name}" retyped ${typeName(column.type)} -> ${typeName(later.type)}`] : [];
    }),
  ];
  if (changes.length) {
    throw new NonRetryableError(`the pipeline's columns changed since run ${sourceRunId} (schema of run ${current.runId}): ${changes.join(', ')}; its quarantined rows no longer fit the output, so they are not re-ingested`);
  }
}
