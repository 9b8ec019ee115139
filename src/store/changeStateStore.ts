import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { deleteEntityIfAny } from './deleteEntityIfAny.js';

/**
 * A pipeline's current change state (capture/): the run that wrote it, its `_change_version`,
 * and where its index is (a path in the output container). One entity beside the watermark, a
 * point read; it moves only forward, under its ETag, after the run's manifest.
 */
export const changeStatePointerSchema = z.object({
  runId: z.string(),
  version: z.string().regex(/^\d+$/),
  container: z.string(),
  index: z.string(),
  updatedAt: z.string(),
});
export type ChangeStatePointer = z.infer<typeof changeStatePointerSchema>;

const rowKey = 'changeState';

export class ChangeStateStore {
  constructor(private readonly table: TableClient) {}

  async get(pipelineId: string): Promise<(ChangeStatePointer & { etag: string }) | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, rowKey);
    return entity && { ...changeStatePointerSchema.parse(entity), etag: entity.etag };
  }

  async delete(pipelineId: string): Promise<void> {
    await deleteEntityIfAny(this.table, pipelineId, rowKey);
  }

  /**
   * Points the pipeline at `next` unless it already points at that version or a later one, so a
   * finalize run twice (or a stale one) changes nothing. Returns what is stored afterwards.
   */
  async advance(pipelineId: string, next: ChangeStatePointer): Promise<ChangeStatePointer> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(pipelineId);
      if (current && BigInt(current.version) >= BigInt(next.version)) return current;
      const entity = { partitionKey: pipelineId, rowKey, ...next };
      try {
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return next;
      } catch (err) {
        if (!hasStatus(err, 409, 412)) throw err;
        if (attempt >= 20) throw new ConcurrencyConflictError(`Change state of pipeline ${pipelineId}: gave up after ${attempt} conflicting updates`);
      }
    }
  }
}
