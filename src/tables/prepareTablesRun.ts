import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { StoredRun } from '../store/runStore.js';
import { queuedAsNextAttempt } from '../jobs/nextRunAttempt.js';
import type { PreparedRun } from '../orchestration/activityContracts.js';
import { openSourceSession } from '../sources/sourceSessions.js';
import { appendRunEvent, RunEventType } from '../store/runEventStore.js';
import { capMessage } from '../errors/capMessage.js';
import type { RunTable } from '../store/runTableStore.js';
import { resolveTables } from './resolveTables.js';
import { tablePipelineId, tableRunId, tableSpecOf } from './tableSpec.js';

/**
 * Prepares a run of a many-table pipeline (the run already holds the pipeline's run lease): at its
 * first prepare, resolves `tables` from the catalog as it is now, records the tables and creates
 * each table's run (queued, with its table's spec); the tables the pipeline's runs had not seen
 * before go on the timeline as drift. At a later prepare (a crash, or a retry of the run) the
 * tables are those recorded, and each table's run that ended other than succeeded in an earlier
 * attempt is queued again as its next attempt: a retry copies only the tables that did not make
 * it, and a table that succeeded keeps its files and manifest.
 */
export async function prepareTablesRun(services: Services, run: StoredRun, spec: PipelineSpec): Promise<PreparedRun> {
  let tables = await services.runTables.list(run.runId);
  if (tables.length === 0) tables = await resolveRunTables(services, run, spec);
  else await requeueUnfinishedTables(services, run, tables);
  await services.runs.update(run.pipelineId, run.runId, (current) => (current.status === RunStatus.queued || !current.spec
    ? { ...current, status: RunStatus.running, startedAt: current.startedAt ?? services.now().toISOString(), spec, tables: { count: tables.length }, chunksPlanned: 0 }
    : undefined));
  await appendRunEvent(services, run.runId, { type: RunEventType.prepared, key: `${run.attempt}:prepared`, at: services.now(), fields: { runAttempt: run.attempt, tableCount: tables.length, chunkCount: 0 } });
  const maxParallel = spec.chunking?.maxParallel ?? 4;
  const parallel = Math.max(1, Math.min(maxParallel, tables.length));
  return {
    skipped: false,
    chunkCount: 0,
    maxParallel,
    retry: spec.retry,
    timeoutMinutes: spec.timeoutMinutes,
    chunksPerOrchestration: services.settings.SIPHON_CHUNKS_PER_ORCHESTRATION,
    // `parallel` tables at once with `chunkParallel` chunks each never pass maxParallel together.
    tables: { count: tables.length, parallel, chunkParallel: Math.max(1, Math.floor(maxParallel / parallel)), failFast: spec.failFast === true },
  };
}

/** The most tables one run copies: each is a run record and a sub-orchestration, created at prepare. */
export const maxTablesPerRun = 2_000;

/** The first prepare: the tables from the catalog, recorded with a queued run each. */
async function resolveRunTables(services: Services, run: StoredRun, spec: PipelineSpec): Promise<RunTable[]> {
  const where = `Pipeline ${run.pipelineId}, run ${run.runId}`;
  const source = await openSourceSession(services, spec.source, { purpose: `prepare:${run.runId}` });
  let catalog;
  try {
    catalog = await source.listTables();
  } finally {
    await source.close();
  }
  const resolved = resolveTables(catalog, spec.tables!, spec.exclude);
  if (resolved.length > maxTablesPerRun) {
    throw new NonRetryableError(`${where}: tables matched ${resolved.length} tables, more than the ${maxTablesPerRun} one run copies; narrow the patterns or add exclude patterns, or split the tables over pipelines`);
  }
  if (resolved.length === 0) {
    throw new NonRetryableError(`${where}: tables (${spec.tables!.map((entry) => (typeof entry === 'string' ? entry : entry.name)).join(', ')}) matched no table${spec.exclude ? ` that exclude left in` : ''} of the source's ${catalog.tables.length}`);
  }
  const tables: RunTable[] = resolved.map((table, index) => {
    const pipelineId = tablePipelineId(run.pipelineId, table);
    return { index, schema: table.schema, name: table.name, pipelineId, runId: tableRunId(run.runId, pipelineId) };
  });
  const requestedAt = services.now().toISOString();
  // Table runs first, then the rows naming them: a prepare that crashes between finds no rows and
  // starts over, creating the same runs (create answers false for one that exists).
  for (const [index, table] of resolved.entries()) {
    const { pipelineId, runId } = tables[index]!;
    await services.runs.create({
      pipelineId,
      ...(run.pipelineGeneration === undefined ? {} : { pipelineGeneration: run.pipelineGeneration }),
      runId,
      status: RunStatus.queued,
      reason: run.reason,
      requestedAt,
      rows: 0,
      bytes: 0,
      files: 0,
      chunksPlanned: 0,
      spec: tableSpecOf(spec, table),
      ...(run.options ? { options: run.options } : {}),
      attempt: 0,
      partOf: { pipelineId: run.pipelineId, runId: run.runId, index, table: `${table.schema}.${table.name}`, attempt: run.attempt },
    });
  }
  await services.runTables.save(run.runId, tables);
  await recordTableDrift(services, run, tables);
  return tables;
}

/**
 * Tables the pipeline's runs have not seen before (and seen ones no longer there) on the run's
 * timeline as drift; the first run of a pipeline only records what it saw.
 */
async function recordTableDrift(services: Services, run: StoredRun, tables: RunTable[]): Promise<void> {
  const seen = await services.runTables.seen(run.pipelineId);
  const added = tables.filter((table) => !seen.has(table.pipelineId));
  const now = new Set(tables.map((table) => table.pipelineId));
  const removed = [...seen.entries()].filter(([id]) => !now.has(id)).map(([, table]) => table);
  if (added.length) await services.runTables.markSeen(run.pipelineId, run.runId, added);
  if (seen.size === 0 || (added.length === 0 && removed.length === 0)) return;
  const names = (list: ReadonlyArray<{ schema: string; name: string }>) => list.map((table) => `${table.schema}.${table.name}`);
  const parts = [...(added.length ? [`tables added: ${names(added).join(', ')}`] : []), ...(removed.length ? [`tables gone: ${names(removed).join(', ')}`] : [])];
  await appendRunEvent(services, run.runId, {
    type: RunEventType.drift,
    key: `${run.attempt}:tableDrift`,
    at: services.now(),
    fields: { runAttempt: run.attempt, outcome: 'tables', message: capMessage(parts.join('; '), 4_000), tablesAdded: capMessage(JSON.stringify(names(added)), 8_000), tablesRemoved: capMessage(JSON.stringify(names(removed)), 8_000), addedCount: added.length, removedCount: removed.length },
  });
}

/**
 * A later prepare of the run: each table whose run ended other than succeeded in an earlier
 * attempt of this run is queued again, as the next attempt of its own run (its plan kept, the
 * chunks its ending's cleanup reset copied again), the way a retry through the API queues a run.
 */
async function requeueUnfinishedTables(services: Services, run: StoredRun, tables: RunTable[]): Promise<void> {
  for (const table of tables) {
    await services.runs.update(table.pipelineId, table.runId, (current) => {
      if (!current.partOf || current.partOf.attempt >= run.attempt) return undefined;
      if (!terminalRunStatuses.has(current.status) || current.status === RunStatus.succeeded) return { ...current, partOf: { ...current.partOf, attempt: run.attempt } };
      return { ...queuedAsNextAttempt(current), partOf: { ...current.partOf, attempt: run.attempt } };
    });
  }
}
