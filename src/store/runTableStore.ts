import { odata, type TableClient } from '@azure/data-tables';
import { getEntityIfAny } from './getEntityIfAny.js';

/**
 * The tables of many-table runs (tables/): for each run of such a pipeline, one row per table it
 * copies, naming the table and the table's own run (the copy itself is an ordinary run, of the
 * table's pipeline: see tables/tableSpec.ts); and for each pipeline, the tables its runs have
 * seen, so a run notices a table that appeared (or went) since.
 *
 * Rows of a run are written once, at its first prepare, before any of its tables starts: a
 * prepare that runs again finds them and copies the same tables (upserts of the same values).
 */
export type RunTable = { index: number; schema: string; name: string; pipelineId: string; runId: string };

type RunTableEntity = { partitionKey: string; rowKey: string; schema: string; name: string; pipelineId: string; runId: string };
type SeenTableEntity = { partitionKey: string; rowKey: string; schema: string; name: string; firstRunId: string };

const runPartition = (runId: string) => `run-${runId}`;
const pipelinePartition = (pipelineId: string) => `pipeline-${pipelineId}`;
const indexKey = (index: number) => String(index).padStart(5, '0');
const maxBatch = 100;

export class RunTableStore {
  constructor(private readonly table: TableClient) {}

  async save(runId: string, tables: readonly RunTable[]): Promise<void> {
    const entities: RunTableEntity[] = tables.map((table) => ({ partitionKey: runPartition(runId), rowKey: indexKey(table.index), schema: table.schema, name: table.name, pipelineId: table.pipelineId, runId: table.runId }));
    for (let start = 0; start < entities.length; start += maxBatch) {
      await this.table.submitTransaction(entities.slice(start, start + maxBatch).map((entity) => ['upsert', entity, 'Replace']));
    }
  }

  /** The run's tables in index order; none for a run of one table. */
  async list(runId: string): Promise<RunTable[]> {
    const found: RunTable[] = [];
    for await (const entity of this.table.listEntities<RunTableEntity>({ queryOptions: { filter: odata`PartitionKey eq ${runPartition(runId)}` } })) {
      found.push({ index: Number(entity.rowKey), schema: entity.schema, name: entity.name, pipelineId: entity.pipelineId, runId: entity.runId });
    }
    return found.sort((a, b) => a.index - b.index);
  }

  async get(runId: string, index: number): Promise<RunTable | undefined> {
    const entity = await getEntityIfAny<RunTableEntity>(this.table, runPartition(runId), indexKey(index));
    return entity && { index, schema: entity.schema, name: entity.name, pipelineId: entity.pipelineId, runId: entity.runId };
  }

  /** The tables the pipeline's runs have seen (by its table pipeline id), with the run that saw each first. */
  async seen(pipelineId: string): Promise<Map<string, { schema: string; name: string; firstRunId: string }>> {
    const found = new Map<string, { schema: string; name: string; firstRunId: string }>();
    for await (const entity of this.table.listEntities<SeenTableEntity>({ queryOptions: { filter: odata`PartitionKey eq ${pipelinePartition(pipelineId)}` } })) {
      found.set(entity.rowKey, { schema: entity.schema, name: entity.name, firstRunId: entity.firstRunId });
    }
    return found;
  }

  /** Records tables this run saw first (the caller passes only those not seen before). */
  async markSeen(pipelineId: string, runId: string, tables: ReadonlyArray<{ pipelineId: string; schema: string; name: string }>): Promise<void> {
    const entities: SeenTableEntity[] = tables.map((table) => ({ partitionKey: pipelinePartition(pipelineId), rowKey: table.pipelineId, schema: table.schema, name: table.name, firstRunId: runId }));
    for (let start = 0; start < entities.length; start += maxBatch) {
      await this.table.submitTransaction(entities.slice(start, start + maxBatch).map((entity) => ['upsert', entity, 'Replace']));
    }
  }

  /** Forgets the pipeline's seen tables (the pipeline is deleted). */
  async forgetPipeline(pipelineId: string): Promise<void> {
    const keys: string[] = [];
    for await (const entity of this.table.listEntities<SeenTableEntity>({ queryOptions: { filter: odata`PartitionKey eq ${pipelinePartition(pipelineId)}`, select: ['RowKey'] } })) keys.push(entity.rowKey);
    for (let start = 0; start < keys.length; start += maxBatch) {
      await this.table.submitTransaction(keys.slice(start, start + maxBatch).map((rowKey) => ['delete', { partitionKey: pipelinePartition(pipelineId), rowKey }]));
    }
  }
}
