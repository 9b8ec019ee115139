import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { pipelineSpecSchema } from '../spec/pipelineSpec.js';
import { columnSchema } from '../spec/columns.js';
import { RunStatus } from '../spec/runStatus.js';
import { runOptionsSchema, runReasonSchema } from '../spec/jobMessage.js';
import { cursorWindowSchema, keyKindSchema } from '../spec/cursorWindow.js';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { migrateOnRead, stampVersion } from './recordVersions.js';

export const runRecordSchema = z.object({
  pipelineId: z.string(),
  runId: z.string(),
  status: z.enum(Object.values(RunStatus) as [RunStatus, ...RunStatus[]]),
  reason: runReasonSchema,
  requestedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  rows: z.number(),
  bytes: z.number(),
  files: z.number(),
  chunksPlanned: z.number(),
  rowsEstimate: z.number().optional(),
  outputFolder: z.string().optional(),
  manifestPath: z.string().optional(),
  error: z.string().optional(),
  errorChunk: z.number().optional(),
  spec: pipelineSpecSchema.optional(),
  columns: z.array(columnSchema).optional(),
  keyKind: keyKindSchema.optional(),
  orderBy: z.array(z.string()).optional(),
  /** How the chunk boundaries were found: from statistics, a sample, equal widths, or one chunk for everything. */
  planMethod: z.enum(['single', 'equalWidth', 'statistics', 'sample']).optional(),
  options: runOptionsSchema.optional(),
  /** Which try of the run this is: 0, then one more for each retry through the API. */
  attempt: z.number().int().nonnegative().default(0),
  /** The cursor range an incremental run reads, fixed at prepare. */
  window: cursorWindowSchema.optional(),
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

type JsonColumns = 'spec' | 'columns' | 'orderBy' | 'options' | 'window' | 'previousAttempts';
const jsonColumns: JsonColumns[] = ['spec', 'columns', 'orderBy', 'options', 'window', 'previousAttempts'];

export class RunStore {
  constructor(private readonly table: TableClient) {}

  /** Creates the run; false when it exists already (a scheduler tick that fired twice). */
  async create(run: RunRecord): Promise<boolean> {
    try {
      await this.table.createEntity(toEntity(run));
      return true;
    } catch (err) {
      if (hasStatus(err, 409)) return false;
      throw err;
    }
  }

  async get(pipelineId: string, runId: string): Promise<StoredRun | undefined> {
    try {
      return fromEntity(await this.table.getEntity<Record<string, unknown>>(pipelineId, runRowKey(runId)));
    } catch (err) {
      if (hasStatus(err, 404)) return undefined;
      throw err;
    }
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
      try {
        const response = await this.table.updateEntity(toEntity(next), 'Replace', { etag });
        return { ...next, etag: response.etag ?? '' };
      } catch (err) {
        if (!hasStatus(err, 412)) throw err;
        if (attempt >= 20) throw new ConcurrencyConflictError(`Run ${runId} of pipeline ${pipelineId}: gave up after ${attempt} conflicting updates`);
      }
    }
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
    if (['partitionKey', 'rowKey', 'timestamp', 'etag', 'odata.etag', 'schemaVersion'].includes(key)) continue;
    plain[key] = jsonColumns.includes(key as JsonColumns) && typeof value === 'string' ? JSON.parse(value) : value;
  }
  return { ...runRecordSchema.parse(plain), etag: String(entity.etag ?? '') };
}
