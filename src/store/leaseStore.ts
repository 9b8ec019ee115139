import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';

/**
 * A pipeline's run lease: one entity per pipeline (partition = pipeline id, row key `run`), a
 * point read. It names the run (and the attempt of it) that may copy; every change goes under the
 * entity's ETag, so of two writers that read the same lease only one changes it. This store does
 * the storage half only; when a lease may be taken over is decided by its caller (jobs/runLease.ts).
 *
 * A table of its own (not a row beside the pipeline or its watermark) so a lease write never
 * changes the ETag a user's If-Match refers to, and a list of the table is the list of pipelines
 * with a run in progress.
 */
const rowKey = 'run';

export const leaseHolderSchema = z.object({
  runId: z.string(),
  /** The attempt of the run that holds the lease: a retry of a run takes it as a new attempt. */
  attempt: z.number().int().nonnegative(),
  acquiredAt: z.string(),
});

export type LeaseHolder = z.infer<typeof leaseHolderSchema>;
export type StoredLease = LeaseHolder & { pipelineId: string; etag: string };

export class LeaseStore {
  constructor(private readonly table: TableClient) {}

  async get(pipelineId: string): Promise<StoredLease | undefined> {
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, pipelineId, rowKey);
    return entity && { ...leaseHolderSchema.parse(entity), pipelineId, etag: entity.etag };
  }

  /** Creates the lease for `holder`; undefined when the pipeline has one already. */
  async create(pipelineId: string, holder: LeaseHolder): Promise<StoredLease | undefined> {
    try {
      const response = await this.table.createEntity({ partitionKey: pipelineId, rowKey, ...holder });
      return { ...holder, pipelineId, etag: response.etag ?? '' };
    } catch (err) {
      if (hasStatus(err, 409)) return undefined;
      throw err;
    }
  }

  /** Hands the lease to `holder` if it is still as read; undefined when it changed or went meanwhile. */
  async replace(current: StoredLease, holder: LeaseHolder): Promise<StoredLease | undefined> {
    try {
      const response = await this.table.updateEntity({ partitionKey: current.pipelineId, rowKey, ...holder }, 'Replace', { etag: current.etag });
      return { ...holder, pipelineId: current.pipelineId, etag: response.etag ?? '' };
    } catch (err) {
      if (hasStatus(err, 404, 412)) return undefined;
      throw err;
    }
  }

  /** Deletes the lease if it is still as read: true when it is gone, false when it changed meanwhile. */
  async delete(current: StoredLease): Promise<boolean> {
    try {
      await this.table.deleteEntity(current.pipelineId, rowKey, { etag: current.etag });
      return true;
    } catch (err) {
      if (hasStatus(err, 404)) return true;
      if (hasStatus(err, 412)) return false;
      throw err;
    }
  }
}
