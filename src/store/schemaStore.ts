import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { schemaColumnSchema } from '../orchestration/schemaDrift.js';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { deleteEntityIfAny } from './deleteEntityIfAny.js';

/**
 * A pipeline's output schema as of its last successful run, and every earlier one: entities
 * beside the watermark (same table, partition = pipeline id), `schema` the current one and
 * `schema:<runId>` one per change, named by the run that first wrote it.
 */
export const storedSchemaSchema = z.object({
  runId: z.string(),
  version: z.string(),
  /** When the run that stored it started: stable, so a repeated finalize writes the same entity. */
  runStartedAt: z.string(),
  columns: z.array(schemaColumnSchema),
});
export type StoredSchema = z.infer<typeof storedSchemaSchema>;

const currentKey = 'schema';
const historyPrefix = 'schema:';

export class SchemaStore {
  constructor(private readonly table: TableClient) {}

  async current(pipelineId: string): Promise<(StoredSchema & { etag: string }) | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, currentKey);
    return entity && { ...toSchema(entity), etag: entity.etag };
  }

  /** Every schema stored, oldest first (the last is the current one). */
  async history(pipelineId: string): Promise<StoredSchema[]> {
    const filter = `PartitionKey eq '${pipelineId.replace(/'/g, "''")}' and RowKey gt '${historyPrefix}' and RowKey lt 'schema;'`;
    const found: StoredSchema[] = [];
    for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) found.push(toSchema(entity));
    return found.sort((a, b) => a.runStartedAt.localeCompare(b.runStartedAt) || a.runId.localeCompare(b.runId));
  }

  /**
   * Makes `next` the current schema. A schema that differs from the current one (or the first)
   * also gets its history entry, written first (an upsert: the same entity when finalize runs
   * twice); then the current entity is replaced under its ETag. Finalize calls this while it
   * holds the pipeline's run lease, so no other run of the pipeline stores a schema meanwhile.
   */
  async record(pipelineId: string, next: StoredSchema): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.current(pipelineId);
      if (current?.runId === next.runId) return;
      if (!current || JSON.stringify(current.columns) !== JSON.stringify(next.columns)) {
        await this.table.upsertEntity({ partitionKey: pipelineId, rowKey: historyPrefix + next.runId, ...toEntity(next) }, 'Replace');
      }
      const entity = { partitionKey: pipelineId, rowKey: currentKey, ...toEntity(next) };
      try {
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return;
      } catch (err) {
        if (!hasStatus(err, 409, 412)) throw err;
        if (attempt >= 20) throw new ConcurrencyConflictError(`Schema of pipeline ${pipelineId}: gave up after ${attempt} conflicting updates`);
      }
    }
  }

  /** Deletes the current schema and its history (the pipeline is deleted, or created anew under an old id). */
  async deleteAll(pipelineId: string): Promise<void> {
    const filter = `PartitionKey eq '${pipelineId.replace(/'/g, "''")}' and RowKey ge '${currentKey}' and RowKey lt 'schema;'`;
    for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey'] } })) {
      await deleteEntityIfAny(this.table, pipelineId, String(entity.rowKey));
    }
  }
}

function toEntity(schema: StoredSchema): Record<string, string> {
  return { runId: schema.runId, version: schema.version, runStartedAt: schema.runStartedAt, columns: JSON.stringify(schema.columns) };
}

function toSchema(entity: Record<string, unknown>): StoredSchema {
  return storedSchemaSchema.parse({ ...entity, columns: JSON.parse(String(entity.columns)) as unknown });
}

