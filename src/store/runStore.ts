import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { pipelineSpecSchema } from '../spec/pipelineSpec.js';
import { columnSchema } from '../spec/columns.js';
import { schemaDriftSchema } from '../orchestration/schemaDrift.js';
import { RunStatus } from '../spec/runStatus.js';
import { runOptionsSchema, runReasonSchema } from '../spec/jobMessage.js';
import { chunkKeySchema, cursorWindowSchema, keyKindSchema } from '../spec/cursorWindow.js';
import { splitKeySources } from '../copy/chooseSplitKey.js';
import { runQualitySchema } from '../spec/qualitySpec.js';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { migrateOnRead, stampVersion } from './recordVersions.js';
import type { RunIndexStore } from './runIndexStore.js';
import { ruleCountSchema } from '../validation/ruleCounts.js';
import { captureSchema } from '../capture/runCapture.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { deleteEntityIfAny } from './deleteEntityIfAny.js';

export const runRecordSchema = z.object({
  pipelineId: z.string(),
  /**
   * The generation of the pipeline the run was recorded for (see jobs/pipelineGeneration.ts):
   * a pipeline deleted with its history kept and created again shares the partition with its
   * predecessor's runs, and this tells them apart. Absent on runs recorded before generations
   * existed, which belong to the legacy generation.
   */
  pipelineGeneration: z.string().optional(),
  runId: z.string(),
  status: z.enum(Object.values(RunStatus) as [RunStatus, ...RunStatus[]]),
  reason: runReasonSchema,
  requestedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  rows: z.number(),
  bytes: z.number(),
  files: z.number(),
  /** Rows the run's validation or transforms (a cast, a compute) sent to `_quarantine/` instead of the output; absent when nothing could. */
  rowsRejected: z.number().int().nonnegative().optional(),
  /**
   * A re-ingest run (reason `reingest`): the succeeded run whose quarantined rows it reads instead
   * of the source, and the corrected rows uploaded for it (a blob in the output container, in the
   * run's folder), which it reads instead of the quarantine when present.
   */
  reingestOf: z.string().optional(),
  reingestUpload: z.string().optional(),
  /**
   * On a run whose quarantine is being or was re-ingested: the re-ingest run that claimed it, and
   * when (see jobs/reingestClaim.ts). Written under the record's ETag, so one quarantine lands once.
   */
  reingestRunId: z.string().optional(),
  reingestClaimedAt: z.string().optional(),
  /** How many of those rows broke each rule, most first: the chunks' counts added up at finalize. */
  rejectedByRule: z.array(ruleCountSchema).optional(),
  /** Rows a transforms filter left out; absent without one. Rows read = rows + rowsRejected + rowsFiltered. */
  rowsFiltered: z.number().int().nonnegative().optional(),
  chunksPlanned: z.number(),
  rowsEstimate: z.number().optional(),
  outputFolder: z.string().optional(),
  manifestPath: z.string().optional(),
  error: z.string().optional(),
  errorChunk: z.number().optional(),
  spec: pipelineSpecSchema.optional(),
  /** The columns read, as the source describes them (after columnTypes and the schema contract): what drift compares. */
  columns: z.array(columnSchema).optional(),
  /** The columns written, when transforms make them differ from the columns read (transforms/planTransforms.ts); see columnsWritten. */
  outputColumns: z.array(columnSchema).optional(),
  /** How the source's columns differed from the last successful run's, found at prepare (orchestration/schemaDrift.ts); absent when they did not. */
  drift: schemaDriftSchema.optional(),
  /** What the pipeline's quality checks found, recorded by finalize before the manifest (quality/checkRunQuality.ts); absent without checks. */
  quality: runQualitySchema.optional(),
  keyKind: keyKindSchema.optional(),
  /**
   * The split key the chunks were planned on and where it came from (orchestration/planRead.ts):
   * what each chunk's copy reads its range by. `key` is absent for ctid pages and one chunk. A run
   * planned before this field names its key in its spec's chunking.column (and keyKind).
   */
  split: z.object({ source: z.enum(splitKeySources), reason: z.string(), key: chunkKeySchema.optional() }).optional(),
  orderBy: z.array(z.string()).optional(),
  /** How the chunk boundaries were found: from statistics, a sample, equal widths, or one chunk for everything. */
  planMethod: z.enum(['single', 'equalWidth', 'statistics', 'sample']).optional(),
  options: runOptionsSchema.optional(),
  /** Which try of the run this is: 0, then one more for each retry through the API. */
  attempt: z.number().int().nonnegative().default(0),
  /**
   * A Delta run: the table's version when the run was prepared (-1: no table yet). Its commit
   * comes after it, so finalize looks for the run's own commit from there (sink/delta/commitToTable.ts).
   */
  deltaReadVersion: z.number().int().min(-1).optional(),
  /** A Delta run: the version it committed (absent when it had nothing to commit). */
  deltaVersion: z.number().int().nonnegative().optional(),
  /** The cursor range an incremental run reads, fixed at prepare. */
  window: cursorWindowSchema.optional(),
  /**
   * A change-capture run (capture/): its keys, its `_change_version`, and for hashDiff the state
   * it compares with (none: the first run, or a full refresh, which is a snapshot). Fixed at prepare.
   */
  capture: captureSchema.optional(),
  /**
   * A table's run in a run of a many-table pipeline (tables/): the pipeline's run it is part of,
   * the table's place in it, and the attempt of that run it last ran for. Such runs live under the table's pipeline id and are listed
   * through the run they are part of, not in the index of runs across pipelines.
   */
  partOf: z.object({ pipelineId: z.string(), runId: z.string(), index: z.number().int().nonnegative(), table: z.string(), attempt: z.number().int().nonnegative() }).optional(),
  /** A run of a many-table pipeline: how many tables it copies, and (once it ended) how many of them succeeded and failed. */
  tables: z.object({ count: z.number().int().nonnegative(), succeeded: z.number().int().nonnegative().optional(), failed: z.number().int().nonnegative().optional() }).optional(),
  /** Why a run was skipped (an upstream pipeline, another run in progress) or cancelled. */
  statusReason: z.string().optional(),
  /**
   * Set by finalize before it writes the manifest: from then on the run's files are final, so a
   * cancel is refused instead of ending the run while its manifest and watermark are written.
   */
  finalizingSince: z.string().optional(),
  /**
   * Cleanup of a run that ended failed, cancelled or timed out (see cleanupRun): when a cleanup
   * began deleting its files (a retry waits until it is done), when one last finished, and when
   * the sweep did, after which the sweep leaves the run alone. A retry clears all three.
   */
  cleaningSince: z.string().optional(),
  cleanedAt: z.string().optional(),
  sweptAt: z.string().optional(),
  /**
   * How the earlier attempts of a run retried through the API ended (the latest
   * maxPreviousAttempts, oldest first): a retry clears `error`, and keeps it here.
   */
  previousAttempts: z.array(z.object({ attempt: z.number().int().nonnegative(), status: z.string(), error: z.string().optional(), errorChunk: z.number().optional(), endedAt: z.string().optional() })).optional(),
});

export const maxPreviousAttempts = 10;

export type RunRecord = z.infer<typeof runRecordSchema>;
export type StoredRun = RunRecord & { etag: string };
export type EndedRun = Pick<RunRecord, 'runId' | 'status' | 'sweptAt' | 'cleaningSince'> & { endedAt: string };

/**
 * Runs are partitioned by pipeline. The row key starts with the run's time with every digit
 * inverted, so a plain partition query lists a pipeline's runs newest first, and a run id alone
 * gives its row key for a point read.
 */
export function runRowKey(runId: string): string {
  const digits = runId.slice(0, 8) + runId.slice(9, 15);
  const inverted = [...digits].map((d) => String(9 - Number(d))).join('');
  return `${inverted}-${runId}`;
}

/** Table Storage's largest transaction: 100 entities of one partition. */
const maxBatch = 100;

type JsonColumns = 'partOf' | 'tables' | 'spec' | 'columns' | 'outputColumns' | 'drift' | 'orderBy' | 'split' | 'options' | 'window' | 'capture' | 'previousAttempts' | 'rejectedByRule' | 'quality';
const jsonColumns: JsonColumns[] = ['partOf', 'tables', 'spec', 'columns', 'outputColumns', 'drift', 'orderBy', 'split', 'options', 'window', 'capture', 'previousAttempts', 'rejectedByRule', 'quality'];

/**
 * The columns a run's summary is read from: everything but the spec snapshot and the plan's
 * bulk, so listing 1,000 runs does not read 1,000 specs.
 */
const summaryColumns = [...Object.keys(runRecordSchema.shape).filter((key) => !['spec', 'columns', 'outputColumns', 'orderBy'].includes(key)), 'schemaVersion'];

/** A page of a pipeline's runs; `nextRowKey` is where the next page starts (after it), absent on the last page. */
export type RunPage = { runs: StoredRun[]; nextRowKey?: string };

export type ListRunPageOptions = {
  limit: number;
  /** Only runs with one of these statuses. */
  statuses?: readonly RunStatus[];
  /** Start after this row key (from the previous page). */
  afterRowKey?: string;
  /** The most runs one page reads before it answers with what it found (a sparse filter over a long history). */
  maxScanned?: number;
};

/**
 * Every write of a run goes through here: `create` and `update` also write the run's entry in the
 * index of runs across pipelines (see RunIndexStore), so no caller can forget it.
 *
 * - `create` writes the entry first and the record second: a record never exists without its
 *   entry (a failed index write fails the create, and nothing was created). A create that fails
 *   after the entry was written leaves an entry without a record, which the listing skips (and
 *   removes once it is old).
 * - `update` writes the record first and the entry after it, best effort: the record is the truth
 *   and a caller must not see an error for a change that was made (a cancel would keep its lease).
 *   A lost entry write leaves a stale hint, which the listing notices (it reads every record it
 *   answers with) and rewrites, and which the run's next write rewrites anyway; an entry that is
 *   missing altogether (a run written before the index existed) is written by the next update.
 *
 * Without an index (tests of the record alone) only the records are written.
 */
export class RunStore {
  constructor(
    private readonly table: TableClient,
    private readonly index?: RunIndexStore,
  ) {}

  /** Creates the run; false when it exists already (a scheduler tick that fired twice). */
  async create(run: RunRecord): Promise<boolean> {
    if (!run.partOf) await this.index?.write(run);
    try {
      await this.table.createEntity(toEntity(run));
      return true;
    } catch (err) {
      if (!hasStatus(err, 409)) throw err;
      // The entry just written hints at a record that was not created: write the stored one's.
      const existing = await this.get(run.pipelineId, run.runId);
      if (existing && !existing.partOf) await this.index?.write(existing).catch(() => undefined);
      return false;
    }
  }

  /** The run without its spec snapshot and plan (spec, columns, orderBy absent): what lists show. */
  async getSummary(pipelineId: string, runId: string): Promise<StoredRun | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, runRowKey(runId), { queryOptions: { select: summaryColumns } });
    return entity && fromEntity(entity);
  }

  /**
   * One page of a pipeline's runs, newest first, as summaries (see getSummary), filtered by
   * status. The filter is applied here, not by the service: the page then knows the row key of
   * every run it looked at, so where it stops is exact, and a page that gives up after
   * `maxScanned` runs without a match still moves the next page forward (its `nextRowKey` is the
   * last run it looked at). It never answers with fewer than `limit` runs while more match, except
   * when it stops at `maxScanned`.
   */
  async listPage(pipelineId: string, options: ListRunPageOptions): Promise<RunPage> {
    const { limit, statuses, afterRowKey, maxScanned = 5000 } = options;
    let filter = odata`PartitionKey eq ${pipelineId}`;
    if (afterRowKey !== undefined) filter += ` and ${odata`RowKey gt ${afterRowKey}`}`;
    // Unfiltered, one more than the limit tells whether a next page exists.
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: summaryColumns } }).byPage({ maxPageSize: statuses ? 1000 : Math.min(limit + 1, 1000) });
    const runs: StoredRun[] = [];
    let lastRowKey = afterRowKey;
    let scanned = 0;
    for await (const page of pages) {
      for (const entity of page) {
        const run = fromEntity(entity);
        if (!statuses || statuses.includes(run.status)) {
          // One match past a full page: there is a next page, and it starts with this run.
          if (runs.length === limit) return { runs, nextRowKey: lastRowKey };
          runs.push(run);
        }
        lastRowKey = runRowKey(run.runId);
        scanned++;
      }
      if (scanned >= maxScanned && page.continuationToken && lastRowKey !== afterRowKey) return { runs, nextRowKey: lastRowKey };
    }
    return { runs };
  }

  async get(pipelineId: string, runId: string): Promise<StoredRun | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, runRowKey(runId));
    return entity && fromEntity(entity);
  }

  async listByPipeline(pipelineId: string, limit: number): Promise<StoredRun[]> {
    const runs: StoredRun[] = [];
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${pipelineId.replace(/'/g, "''")}'` } })
      .byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        runs.push(fromEntity(entity));
        if (runs.length >= limit) return runs;
      }
    }
    return runs;
  }

  /**
   * A pipeline's runs that ended with one of `statuses` before `endedBefore`, for the cleanup
   * sweep: one partition query whose filter and projection the service applies, so each ended run
   * costs a few small properties, not its whole record with the spec snapshot.
   */
  async listEndedBefore(pipelineId: string, statuses: readonly RunStatus[], endedBefore: Date): Promise<EndedRun[]> {
    const anyStatus = statuses.map((status) => odata`status eq ${status}`).join(' or ');
    const filter = `${odata`PartitionKey eq ${pipelineId} and endedAt lt ${endedBefore.toISOString()}`} and (${anyStatus})`;
    const runs: EndedRun[] = [];
    const entities = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['runId', 'status', 'endedAt', 'sweptAt', 'cleaningSince'] } });
    for await (const entity of entities) {
      runs.push({
        runId: String(entity.runId),
        status: String(entity.status) as RunStatus,
        endedAt: String(entity.endedAt),
        sweptAt: typeof entity.sweptAt === 'string' ? entity.sweptAt : undefined,
        cleaningSince: typeof entity.cleaningSince === 'string' ? entity.cleaningSince : undefined,
      });
    }
    return runs;
  }

  /** The ids of a pipeline's runs, a page at a time (the purge of a deleted pipeline's history). */
  async *listRunIdPages(pipelineId: string): AsyncGenerator<string[]> {
    const pages = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${pipelineId}`, select: ['runId'] } })
      .byPage({ maxPageSize: maxBatch });
    for await (const page of pages) yield page.map((entity) => String(entity.runId));
  }

  /** Deletes these runs of the pipeline in one transaction (at most 100: one partition's batch). */
  async deleteBatch(pipelineId: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    if (runIds.length > maxBatch) throw new Error(`Run store: a batch holds at most ${maxBatch} runs, not ${runIds.length}`);
    await this.table.submitTransaction(runIds.map((runId) => ['delete', { partitionKey: pipelineId, rowKey: runRowKey(runId) }]));
    // The index entries go with their records (an entry left behind would only cost the global
    // listing a read until it removes it, but there is no reason to leave one).
    for (const runId of runIds) await this.index?.remove(pipelineId, runId);
  }

  /**
   * Read-modify-write under the run's ETag, retried when another writer got there first, so two
   * concurrent writers never lose an update. `change` returns undefined to leave the run as is.
   */
  async update(pipelineId: string, runId: string, change: (run: RunRecord) => RunRecord | undefined): Promise<StoredRun> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(pipelineId, runId);
      if (!current) throw new Error(`Run ${runId} of pipeline ${pipelineId} does not exist`);
      const { etag, ...record } = current;
      const next = change(record);
      if (!next) return current;
      let response;
      try {
        response = await this.table.updateEntity(toEntity(next), 'Replace', { etag });
      } catch (err) {
        if (!hasStatus(err, 412)) throw err;
        if (attempt >= 20) throw new ConcurrencyConflictError(`Run ${runId} of pipeline ${pipelineId}: gave up after ${attempt} conflicting updates`);
        continue;
      }
      if (!next.partOf) await this.index?.write(next).catch(() => undefined);
      return { ...next, etag: response.etag ?? '' };
    }
  }

  /**
   * Runs of every pipeline in key order (pipeline, then newest first), after a position, as the
   * few fields the run index holds: for the index's backfill. A cross-partition scan; nothing else
   * should need one.
   */
  async *scanForIndex(after?: { pipelineId: string; rowKey: string }): AsyncGenerator<{ pipelineId: string; runId: string; status: RunStatus; requestedAt: string; endedAt?: string; rowKey: string }> {
    const filter = after ? odata`PartitionKey gt ${after.pipelineId} or (PartitionKey eq ${after.pipelineId} and RowKey gt ${after.rowKey})` : undefined;
    const entities = this.table.listEntities<Record<string, unknown>>({ queryOptions: { ...(filter ? { filter } : {}), select: ['PartitionKey', 'RowKey', 'pipelineId', 'runId', 'status', 'requestedAt', 'endedAt'] } });
    for await (const entity of entities) {
      yield {
        pipelineId: String(entity.pipelineId),
        runId: String(entity.runId),
        status: runRecordSchema.shape.status.parse(entity.status),
        requestedAt: String(entity.requestedAt),
        ...(typeof entity.endedAt === 'string' ? { endedAt: entity.endedAt } : {}),
        rowKey: String(entity.rowKey),
      };
    }
  }

  /** Deletes the run record and its index entry (gone already is fine). */
  async delete(pipelineId: string, runId: string): Promise<void> {
    await deleteEntityIfAny(this.table, pipelineId, runRowKey(runId));
    await this.index?.remove(pipelineId, runId);
  }
}

function toEntity(run: RunRecord): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = { partitionKey: run.pipelineId, rowKey: runRowKey(run.runId) };
  for (const [key, value] of Object.entries(run)) {
    if (value === undefined) continue;
    entity[key] = jsonColumns.includes(key as JsonColumns) ? JSON.stringify(value) : value;
  }
  return stampVersion('run', entity);
}

function fromEntity(raw: Record<string, unknown>): StoredRun {
  const entity = migrateOnRead('run', raw, `Run ${String(raw.runId)} of pipeline ${String(raw.partitionKey)}`);
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entity)) {
    // A projected read (getSummary, listPage) answers a column the entity lacks with null.
    if (value === null || value === undefined) continue;
    if (['partitionKey', 'rowKey', 'timestamp', 'etag', 'odata.etag', 'schemaVersion'].includes(key)) continue;
    plain[key] = jsonColumns.includes(key as JsonColumns) && typeof value === 'string' ? JSON.parse(value) : value;
  }
  return { ...runRecordSchema.parse(plain), etag: String(entity.etag ?? '') };
}

/** The columns a prepared run writes: those its transforms made, or the columns it reads. */
export function columnsWritten(run: Pick<StoredRun, 'columns' | 'outputColumns'>): StoredRun['columns'] {
  return run.outputColumns ?? run.columns;
}
