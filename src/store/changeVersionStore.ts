import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { ConcurrencyConflictError, hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';
import { deleteEntityIfAny } from './deleteEntityIfAny.js';

/**
 * Where a changeTracking or cdc pipeline has read its engine's change table up to: the
 * version (Change Tracking) or LSN (CDC, `0x` and 20 hex digits) the last successful run read up
 * to, the run, and for CDC the capture instance. One entity beside the watermark; it moves only
 * forward, under its ETag, after the run's manifest (finalizeRun), like the watermark.
 */
export const changeVersionSchema = z.object({
  runId: z.string(),
  mode: z.enum(['changeTracking', 'cdc']),
  version: z.string().regex(/^(\d+|0x[0-9A-F]{20})$/),
  captureInstance: z.string().optional(),
  updatedAt: z.string(),
});
export type ChangeVersion = z.infer<typeof changeVersionSchema>;

const rowKey = 'changeVersion';

/** Orders two positions of one mode: versions as integers, LSNs as fixed-width hex text. */
export function compareChangeVersions(a: string, b: string): number {
  if (a.startsWith('0x') || b.startsWith('0x')) return a < b ? -1 : a > b ? 1 : 0;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export class ChangeVersionStore {
  constructor(private readonly table: TableClient) {}

  async get(pipelineId: string): Promise<(ChangeVersion & { etag: string }) | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, rowKey);
    if (!entity) return undefined;
    const { captureInstance, ...rest } = entity;
    return { ...changeVersionSchema.parse({ ...rest, ...(typeof captureInstance === 'string' && captureInstance ? { captureInstance } : {}) }), etag: entity.etag };
  }

  async delete(pipelineId: string): Promise<void> {
    await deleteEntityIfAny(this.table, pipelineId, rowKey);
  }

  /**
   * Stores `next` unless the pipeline already stands at this run or, in the same mode and capture
   * instance, at that position or a later one: a finalize repeated (or a stale one) changes
   * nothing. A snapshot run after a mode change (or a new capture instance) replaces the old
   * position whatever its value. Returns what is stored afterwards.
   */
  async advance(pipelineId: string, next: ChangeVersion): Promise<ChangeVersion> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(pipelineId);
      const sameLine = current && current.mode === next.mode && (current.captureInstance ?? '') === (next.captureInstance ?? '');
      if (current && (current.runId === next.runId || (sameLine && compareChangeVersions(current.version, next.version) >= 0))) return current;
      const entity = { partitionKey: pipelineId, rowKey, ...next, captureInstance: next.captureInstance ?? '' };
      try {
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return next;
      } catch (err) {
        if (!hasStatus(err, 409, 412)) throw err;
        if (attempt >= 20) throw new ConcurrencyConflictError(`Change version of pipeline ${pipelineId}: gave up after ${attempt} conflicting updates`);
      }
    }
  }
}
