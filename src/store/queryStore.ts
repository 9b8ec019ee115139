import type { TableClient } from '@azure/data-tables';
import { pipelineSpecSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { legacyPipelineGeneration } from '../jobs/pipelineGeneration.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { deleteEntityIfAny } from './deleteEntityIfAny.js';

/**
 * Query jobs (POST /api/queries) live in the pipelines table under a partition of their own: the
 * copy path finds their synthetic pipeline by id like any other (see PipelineStore.getForRun),
 * while the pipeline list, a single-partition query of `pipeline`, never shows them.
 */
const partitionKey = 'query';

/** Ids of query jobs start with this; POST /api/pipelines refuses it, so the two never meet. */
export const queryIdPrefix = 'q-';

type QueryEntity = { partitionKey: string; rowKey: string; spec: string; runId: string; createdAt: string; truncated?: boolean };

/**
 * `truncated`: the copy stopped at the spec's maxRows while the query had more rows.
 * `generation`: always the legacy one; a query id is random and never created twice, so its runs
 * can never meet a predecessor's (see PipelineStore's generations).
 */
export type StoredQuery = { spec: PipelineSpec; runId: string; createdAt: string; truncated: boolean; generation: typeof legacyPipelineGeneration };

export class QueryStore {
  constructor(private readonly table: TableClient) {}

  async create(query: Omit<StoredQuery, 'truncated' | 'generation'>): Promise<void> {
    const entity: QueryEntity = { partitionKey, rowKey: query.spec.id, spec: JSON.stringify(query.spec), runId: query.runId, createdAt: query.createdAt };
    await this.table.createEntity(entity);
  }

  async get(id: string): Promise<StoredQuery | undefined> {
    if (!id.startsWith(queryIdPrefix)) return undefined;
    const entity = await getEntityIfAny<QueryEntity>(this.table, partitionKey, id);
    return entity && toStored(entity);
  }

  async list(): Promise<StoredQuery[]> {
    const result: StoredQuery[] = [];
    const entities = this.table.listEntities<QueryEntity>({ queryOptions: { filter: `PartitionKey eq '${partitionKey}'` } });
    for await (const entity of entities) result.push(toStored(entity));
    return result;
  }

  /** Records that the copy stopped at maxRows; a no-op for a pipeline that is not a query job. */
  async markTruncated(id: string): Promise<void> {
    if (!id.startsWith(queryIdPrefix)) return;
    await this.table.updateEntity({ partitionKey, rowKey: id, truncated: true }, 'Merge');
  }

  /** Idempotent: a record already gone is fine. */
  async delete(id: string): Promise<void> {
    await deleteEntityIfAny(this.table, partitionKey, id);
  }
}

function toStored(entity: QueryEntity): StoredQuery {
  return { spec: pipelineSpecSchema.parse(JSON.parse(entity.spec)), runId: entity.runId, createdAt: entity.createdAt, truncated: entity.truncated === true, generation: legacyPipelineGeneration };
}
