import { odata, type TableClient } from '@azure/data-tables';
import { pipelineSpecSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { migrateOnRead, stampVersion } from './recordVersions.js';
import { newPipelineGeneration } from '../jobs/pipelineGeneration.js';
import { getEntityIfAny } from './getEntityIfAny.js';

/**
 * Pipelines live in one partition: a point read gets one, a single-partition query lists them.
 * Specs never hold secrets (the API refuses them), so storing them whole is safe.
 */
const partitionKey = 'pipeline';

type PipelineEntity = { partitionKey: string; rowKey: string; spec: string; generation: string; createdAt: string; updatedAt: string; schedulePaused?: boolean; scheduleChangedAt?: string };

/**
 * `schedulePaused` is state, not configuration: pausing a schedule does not change the spec.
 * `scheduleChangedAt` is when the schedule last took effect (creation, a changed schedule, a
 * resume): the scheduler fires only times after it. Pipelines stored before it existed read it
 * as their creation time. `generation` tells this life of the pipeline id from an earlier one that
 * was deleted (see jobs/pipelineGeneration.ts); it is set at creation and never changes.
 */
export type StoredPipeline = { spec: PipelineSpec; generation: string; etag: string; createdAt: string; updatedAt: string; schedulePaused: boolean; scheduleChangedAt: string };

export class PipelineStore {
  constructor(private readonly table: TableClient) {}

  /** Creates the pipeline; false when one with the same id exists. */
  async create(spec: PipelineSpec, now: Date): Promise<StoredPipeline | undefined> {
    const generation = newPipelineGeneration();
    const entity: PipelineEntity = { partitionKey, rowKey: spec.id, spec: JSON.stringify(spec), generation, createdAt: now.toISOString(), updatedAt: now.toISOString(), scheduleChangedAt: now.toISOString() };
    try {
      const response = await this.table.createEntity(stampVersion('pipeline', entity));
      return { spec, generation, etag: response.etag ?? '', createdAt: entity.createdAt, updatedAt: entity.updatedAt, schedulePaused: false, scheduleChangedAt: now.toISOString() };
    } catch (err) {
      if (hasStatus(err, 409)) return undefined;
      throw err;
    }
  }

  async get(id: string): Promise<StoredPipeline | undefined> {
    const entity = await getEntityIfAny<PipelineEntity>(this.table, partitionKey, id);
    return entity && toStored(entity);
  }

  async list(): Promise<StoredPipeline[]> {
    const result: StoredPipeline[] = [];
    const entities = this.table.listEntities<PipelineEntity>({ queryOptions: { filter: `PartitionKey eq '${partitionKey}'` } });
    for await (const entity of entities) result.push(toStored(entity));
    return result;
  }

  /**
   * One page of pipelines in id order, after `afterId` when given; `nextAfterId` (absent on the
   * last page) is where the next page starts. One more than the limit is read to know whether a
   * next page exists, so a full last page has no token.
   */
  async listPage(limit: number, afterId?: string): Promise<{ pipelines: StoredPipeline[]; nextAfterId?: string }> {
    let filter = odata`PartitionKey eq ${partitionKey}`;
    if (afterId !== undefined) filter += ` and ${odata`RowKey gt ${afterId}`}`;
    const pipelines: StoredPipeline[] = [];
    const pages = this.table.listEntities<PipelineEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(limit + 1, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        if (pipelines.length === limit) return { pipelines, nextAfterId: pipelines[pipelines.length - 1]!.spec.id };
        pipelines.push(toStored(entity));
      }
    }
    return { pipelines };
  }

  /** Replaces the spec only if it is still at `etag`. */
  async update(spec: PipelineSpec, etag: string, now: Date): Promise<StoredPipeline> {
    const existing = await this.get(spec.id);
    if (!existing) throw new ConcurrencyConflictError(`Pipeline ${spec.id} does not exist`);
    const scheduleChangedAt = sameSchedule(existing.spec, spec) ? existing.scheduleChangedAt : now.toISOString();
    return this.replace({ ...existing, spec, updatedAt: now.toISOString(), scheduleChangedAt }, etag);
  }

  /** Pauses or resumes the pipeline's schedule, only if the pipeline is still at `etag`. */
  async setSchedulePaused(id: string, paused: boolean, etag: string, now: Date): Promise<StoredPipeline> {
    const existing = await this.get(id);
    if (!existing) throw new ConcurrencyConflictError(`Pipeline ${id} does not exist`);
    // A resumed schedule starts afresh: a fire time that passed while it was paused stays unfired.
    const scheduleChangedAt = existing.schedulePaused && !paused ? now.toISOString() : existing.scheduleChangedAt;
    return this.replace({ ...existing, schedulePaused: paused, updatedAt: now.toISOString(), scheduleChangedAt }, etag);
  }

  /**
   * Deletes the pipeline only if it is still at `etag`; throws ConcurrencyConflictError when it
   * changed since (or is already gone: the caller read it, so someone else deleted it).
   */
  async delete(id: string, etag: string): Promise<void> {
    try {
      await this.table.deleteEntity(partitionKey, id, { etag });
    } catch (err) {
      if (hasStatus(err, 404, 412)) throw new ConcurrencyConflictError(`Pipeline ${id} was changed or deleted by someone else (ETag mismatch)`);
      throw err;
    }
  }

  private async replace(pipeline: Omit<StoredPipeline, 'etag'>, etag: string): Promise<StoredPipeline> {
    const { spec } = pipeline;
    const entity: PipelineEntity = { partitionKey, rowKey: spec.id, spec: JSON.stringify(spec), generation: pipeline.generation, createdAt: pipeline.createdAt, updatedAt: pipeline.updatedAt, schedulePaused: pipeline.schedulePaused, scheduleChangedAt: pipeline.scheduleChangedAt };
    try {
      const response = await this.table.updateEntity(stampVersion('pipeline', entity), 'Replace', { etag });
      return { ...pipeline, etag: response.etag ?? '' };
    } catch (err) {
      if (hasStatus(err, 412)) throw new ConcurrencyConflictError(`Pipeline ${spec.id} was changed by someone else (ETag mismatch)`);
      throw err;
    }
  }
}

function toStored(raw: PipelineEntity & { etag: string }): StoredPipeline {
  const entity = migrateOnRead('pipeline', raw, `Pipeline ${raw.rowKey}`) as PipelineEntity & { etag: string };
  return { spec: pipelineSpecSchema.parse(JSON.parse(entity.spec)), generation: String(entity.generation), etag: entity.etag, createdAt: entity.createdAt, updatedAt: entity.updatedAt, schedulePaused: entity.schedulePaused === true, scheduleChangedAt: entity.scheduleChangedAt ?? entity.createdAt };
}

function sameSchedule(before: PipelineSpec, after: PipelineSpec): boolean {
  return before.schedule?.cron === after.schedule?.cron && before.schedule?.timeZone === after.schedule?.timeZone;
}
