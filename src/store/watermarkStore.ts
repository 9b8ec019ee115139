import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { keyKindSchema } from '../spec/cursorWindow.js';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { deleteEntityIfAny } from './deleteEntityIfAny.js';

/**
 * A pipeline's incremental watermark: the highest cursor value its output is known to hold, as
 * integer digits (the source's full precision). One entity per pipeline, a point read.
 */
export const watermarkSchema = z.object({
  column: z.string(),
  kind: keyKindSchema,
  value: z.string().regex(/^-?\d+$/),
  runId: z.string(),
  updatedAt: z.string(),
  /** Set when an operator reset the value through the API (runId then names the run that set it before); the next advance clears it. */
  resetAt: z.string().optional(),
});

export type Watermark = z.infer<typeof watermarkSchema>;

const rowKey = 'cursor';

export class WatermarkStore {
  constructor(private readonly table: TableClient) {}

  async get(pipelineId: string): Promise<(Watermark & { etag: string }) | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, rowKey);
    return entity && { ...watermarkSchema.parse(entity), etag: entity.etag };
  }

  /** Deletes the watermark (its pipeline is being deleted); a no-op when there is none. */
  async delete(pipelineId: string): Promise<void> {
    await deleteEntityIfAny(this.table, pipelineId, rowKey);
  }

  /**
   * Sets the watermark to `next` whatever it held, up or down, if it is still the version
   * `etag` names (ConcurrencyConflictError otherwise). Only an operator's reset does this, and
   * only while no run holds the pipeline's lease (see api/watermarkHandlers.ts). Returns the new ETag.
   */
  async reset(pipelineId: string, next: Watermark, etag: string): Promise<string> {
    try {
      const response = await this.table.updateEntity({ partitionKey: pipelineId, rowKey, ...next }, 'Replace', { etag });
      return response.etag ?? '';
    } catch (err) {
      if (hasStatus(err, 404, 412)) throw new ConcurrencyConflictError(`Watermark of pipeline ${pipelineId} changed since it was read`);
      throw err;
    }
  }

  /**
   * Moves the watermark up to `next.value`, never down: under the entity's ETag, re-read on
   * conflict, so a stale or repeated finalize can never set an older value over a newer one.
   * Returns what is stored afterwards.
   */
  async advance(pipelineId: string, next: Watermark): Promise<Watermark> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(pipelineId);
      if (current && current.column === next.column && BigInt(current.value) >= BigInt(next.value)) return current;
      const entity = { partitionKey: pipelineId, rowKey, ...next };
      try {
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return next;
      } catch (err) {
        if (!hasStatus(err, 409, 412)) throw err;
        if (attempt >= 20) throw new ConcurrencyConflictError(`Watermark of pipeline ${pipelineId}: gave up after ${attempt} conflicting updates`);
      }
    }
  }
}
