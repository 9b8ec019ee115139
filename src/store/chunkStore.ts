import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { chunkRangeSchema, fileEntrySchema } from '../spec/columns.js';
import { ChunkStatus } from '../spec/runStatus.js';
import { hasStatus } from './tableErrors.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import { migrateOnRead, stampVersion } from './recordVersions.js';
import { capMessage } from '../errors/capMessage.js';
import { ruleCountSchema } from '../validation/ruleCounts.js';
import { reconciliationSchema } from '../quality/reconciliationRecord.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { changeCountsSchema } from '../capture/changeCounts.js';

/** One try of a chunk's copy within the run's current attempt: 1, 2, ... as the orchestrator numbers them. */
export const chunkAttemptSchema = z.object({
  attempt: z.number().int().positive(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.string().optional(),
});
export type ChunkAttempt = z.infer<typeof chunkAttemptSchema>;

/**
 * Where a chunk's time went, in milliseconds: queue from the run's plan to the chunk's first
 * start, then what the attempt that finished waited on: the source (read), the encoder (encode),
 * blob storage (upload). read + encode + upload never exceed the attempt's duration.
 */
export const chunkTimingsSchema = z.object({
  queueMs: z.number().nonnegative(),
  readMs: z.number().nonnegative(),
  encodeMs: z.number().nonnegative(),
  uploadMs: z.number().nonnegative(),
});
export type ChunkTimings = z.infer<typeof chunkTimingsSchema>;

export const chunkRecordSchema = z.object({
  runId: z.string(),
  index: z.number().int().nonnegative(),
  range: chunkRangeSchema,
  status: z.enum(Object.values(ChunkStatus) as [ChunkStatus, ...ChunkStatus[]]),
  rows: z.number(),
  bytes: z.number(),
  files: z.array(fileEntrySchema),
  /** Rows read that failed the spec's validation, and the `_quarantine/` files holding them; absent without validation. */
  rowsRejected: z.number().int().nonnegative().optional(),
  quarantine: z.array(fileEntrySchema).optional(),
  /** How many of those rows broke each rule (validation/ruleCounts.ts). */
  rejectedByRule: z.array(ruleCountSchema).optional(),
  /** Rows a transforms filter left out; absent without one. */
  rowsFiltered: z.number().int().nonnegative().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** The latest maxChunkAttempts tries, oldest first. */
  attempts: z.array(chunkAttemptSchema).optional(),
  timings: chunkTimingsSchema.optional(),
  /** The chunk's reconciliation with the source (quality/reconcileChunk.ts); absent when it is off. */
  reconciliation: reconciliationSchema.optional(),
  /** A change-capture run: the change rows the chunk wrote, by type (capture/changeCounts.ts). */
  changes: changeCountsSchema.optional(),
});

export type ChunkRecord = z.infer<typeof chunkRecordSchema>;
export type StoredChunk = ChunkRecord & { etag: string };

/** Chunks are partitioned by run: a run's chunks are one partition query, a chunk a point read. */
export function chunkRowKey(index: number): string {
  return String(index).padStart(6, '0');
}

const maxBatch = 100;

/** Attempts a chunk record keeps, and the characters of each one's error: the record stays one small entity. */
export const maxChunkAttempts = 10;
export const maxAttemptErrorChars = 1_000;

/**
 * The chunk's attempts with `attempt` recorded as `change` says (added when it is new), the
 * latest maxChunkAttempts kept, each error capped. Keyed by attempt number, so an activity that
 * runs twice updates its entry instead of adding a second.
 */
export function withAttempt(attempts: ChunkAttempt[] | undefined, attempt: number, change: (current: ChunkAttempt | undefined) => ChunkAttempt): ChunkAttempt[] {
  const others = (attempts ?? []).filter((entry) => entry.attempt !== attempt);
  const next = change((attempts ?? []).find((entry) => entry.attempt === attempt));
  const capped = next.error === undefined ? next : { ...next, error: capMessage(next.error, maxAttemptErrorChars) };
  return [...others, capped].sort((a, b) => a.attempt - b.attempt).slice(-maxChunkAttempts);
}

/**
 * A string property holds at most 32K characters and an entity 1 MiB (UTF-16: 2 bytes a character), so a chunk's file list
 * (long with many partition folders) is spread over numbered properties, and refused beyond them.
 */
const filesPropertyChars = 30_000;
const maxFilesProperties = 15;

export class ChunkStore {
  constructor(private readonly table: TableClient) {}

  /** Writes the plan; rewriting it (a retried prepare) leaves the same rows. */
  async savePlan(chunks: ChunkRecord[]): Promise<void> {
    for (let start = 0; start < chunks.length; start += maxBatch) {
      const actions: TransactionAction[] = chunks.slice(start, start + maxBatch).map((chunk) => ['upsert', toEntity(chunk), 'Replace']);
      await this.table.submitTransaction(actions);
    }
  }

  async get(runId: string, index: number): Promise<StoredChunk | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, runId, chunkRowKey(index));
    return entity && { ...fromEntity(entity), etag: entity.etag };
  }

  async list(runId: string): Promise<ChunkRecord[]> {
    const chunks: ChunkRecord[] = [];
    const entities = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${runId}'` } });
    for await (const entity of entities) chunks.push(fromEntity(entity));
    return chunks.sort((a, b) => a.index - b.index);
  }

  /**
   * A page of the run's chunks in index order: `after` is the continuation token of the previous
   * page (the last index it held). One partition query, the service's own paging underneath.
   */
  async listPage(runId: string, options: { limit: number; after?: number }): Promise<{ chunks: ChunkRecord[]; continuationToken?: string }> {
    const from = options.after === undefined ? '' : ` and RowKey gt '${chunkRowKey(options.after)}'`;
    const chunks: ChunkRecord[] = [];
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${runId}'${from}` } }).byPage({ maxPageSize: Math.min(options.limit + 1, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        if (chunks.length === options.limit) return { chunks, continuationToken: String(chunks[chunks.length - 1]!.index) };
        chunks.push(fromEntity(entity));
      }
    }
    return { chunks };
  }

  /**
   * Sets every chunk of the run back to planned with no files, after a cleanup deleted them, so a
   * retry copies them again instead of listing files that are gone. Unconditional: it must win
   * over any record of the attempt that ended. Returns how many chunks it reset.
   */
  async resetToPlanned(runId: string): Promise<number> {
    const stale = (await this.list(runId)).filter((chunk) => chunk.status !== ChunkStatus.planned || chunk.files.length > 0 || chunk.rows > 0);
    await this.savePlan(stale.map(({ runId: id, index, range }) => ({ runId: id, index, range, status: ChunkStatus.planned, rows: 0, bytes: 0, files: [] })));
    return stale.length;
  }

  /** Deletes every chunk record of the run, a batch (one partition transaction) at a time. */
  async deleteRun(runId: string): Promise<number> {
    let deleted = 0;
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${runId}` } }).byPage({ maxPageSize: maxBatch });
    for await (const page of pages) {
      if (page.length === 0) continue;
      await this.table.submitTransaction(page.map((entity): TransactionAction => ['delete', { partitionKey: runId, rowKey: String(entity.rowKey) }]));
      deleted += page.length;
    }
    return deleted;
  }

  /** Records a chunk whatever is stored (tests, and plans). */
  async save(chunk: ChunkRecord): Promise<void> {
    await this.table.upsertEntity(toEntity(chunk), 'Replace');
  }

  /**
   * Records progress or the result of a chunk only if nobody wrote it since `etag` was read, so a
   * stale attempt of the copy (one the host gave up on) cannot set a finished chunk back to
   * copying. Returns the new ETag, or undefined when the record had moved on.
   */
  async replaceIfUnchanged(chunk: ChunkRecord, etag: string): Promise<string | undefined> {
    try {
      return (await this.table.updateEntity(toEntity(chunk), 'Replace', { etag })).etag;
    } catch (err) {
      if (hasStatus(err, 412)) return undefined;
      throw err;
    }
  }

  /** Removes every chunk record of the run (a query job past its retention). */
  async deleteRunChunks(runId: string): Promise<void> {
    const entities = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${runId}'`, select: ['RowKey'] } });
    const actions: TransactionAction[] = [];
    for await (const entity of entities) actions.push(['delete', { partitionKey: runId, rowKey: String(entity.rowKey) }]);
    for (let start = 0; start < actions.length; start += maxBatch) await this.table.submitTransaction(actions.slice(start, start + maxBatch));
  }
}

function toEntity(chunk: ChunkRecord) {
  const defined = Object.fromEntries(Object.entries(chunk).filter(([, value]) => value !== undefined));
  const files = JSON.stringify(chunk.files);
  const parts = Math.ceil(files.length / filesPropertyChars);
  if (parts > maxFilesProperties) {
    throw new NonRetryableError(`chunk ${chunk.index} wrote ${chunk.files.length} files, more than a chunk record can list; plan more chunks or partition by fewer values`);
  }
  const fileProperties = Object.fromEntries(Array.from({ length: Math.max(1, parts) }, (_, i) => [i === 0 ? 'files' : `files${i}`, files.slice(i * filesPropertyChars, (i + 1) * filesPropertyChars)]));
  return stampVersion('chunk', {
    ...defined,
    partitionKey: chunk.runId,
    rowKey: chunkRowKey(chunk.index),
    range: JSON.stringify(chunk.range),
    ...(chunk.attempts ? { attempts: JSON.stringify(chunk.attempts) } : {}),
    ...(chunk.timings ? { timings: JSON.stringify(chunk.timings) } : {}),
    ...(chunk.quarantine ? { quarantine: JSON.stringify(chunk.quarantine) } : {}),
    ...(chunk.rejectedByRule ? { rejectedByRule: JSON.stringify(chunk.rejectedByRule) } : {}),
    ...(chunk.reconciliation ? { reconciliation: JSON.stringify(chunk.reconciliation) } : {}),
    ...(chunk.changes ? { changes: JSON.stringify(chunk.changes) } : {}),
    ...fileProperties,
  });
}

function fromEntity(raw: Record<string, unknown>): ChunkRecord {
  const entity = migrateOnRead('chunk', raw, `Chunk ${String(raw.rowKey)} of run ${String(raw.partitionKey)}`);
  let files = String(entity.files);
  for (let i = 1; typeof entity[`files${i}`] === 'string'; i++) files += entity[`files${i}`] as string;
  return chunkRecordSchema.parse({
    ...entity,
    range: JSON.parse(String(entity.range)),
    files: JSON.parse(files),
    attempts: typeof entity.attempts === 'string' ? JSON.parse(entity.attempts) : undefined,
    timings: typeof entity.timings === 'string' ? JSON.parse(entity.timings) : undefined,
    quarantine: typeof entity.quarantine === 'string' ? JSON.parse(entity.quarantine) : undefined,
    rejectedByRule: typeof entity.rejectedByRule === 'string' ? JSON.parse(entity.rejectedByRule) : undefined,
    reconciliation: typeof entity.reconciliation === 'string' ? JSON.parse(entity.reconciliation) : undefined,
    changes: typeof entity.changes === 'string' ? JSON.parse(entity.changes) : undefined,
  });
}
