import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';

/**
 * Notification state in one table, three kinds of rows:
 * - a delivery per (pipeline, subject, event, target) (`delivery:<pipeline>`): claimed by a
 *   conditional insert before the first post, so a redelivered or duplicated queue message sends
 *   nothing twice; it carries the attempt it is at, fencing messages of older attempts;
 * - an occurrence per fired `late` fire time or alert window (`fired:<pipeline>`): inserted only
 *   if absent, so the scheduler tick raises each once however often it sees it;
 * - a status per target (`target`): when it last took a notification and when one last failed.
 */
export const DeliveryState = { sending: 'sending', retrying: 'retrying', sent: 'sent', failed: 'failed' } as const;
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState];

export type DeliveryKey = { pipelineId: string; subject: string; event: string; targetId: string };

export type Claim = { claimed: true; etag: string } | { claimed: false; why: 'done' | 'busy' | 'stale' | 'requeue' };

export const targetStatusSchema = z.object({
  targetId: z.string(),
  kind: z.string(),
  /** failing: the latest delivery that ended, ended failed after every try. */
  state: z.enum(['ok', 'failing']),
  lastSuccessAt: z.string().optional(),
  lastFailureAt: z.string().optional(),
  /** The last failure's reason, with every setting value hidden. */
  lastError: z.string().optional(),
  lastPipelineId: z.string().optional(),
  lastRunId: z.string().optional(),
});
export type TargetStatus = z.infer<typeof targetStatusSchema>;

const targetPartition = 'target';

/** Row keys may not hold / \ # ? or control characters, and are at most 1 KiB. */
function rowKey(text: string): string {
  return text.replace(/[/\\#?\u0000-\u001f\u007f]/g, '_').slice(0, 900);
}

export class NotificationStore {
  constructor(private readonly table: TableClient) {}

  private deliveryAddress(key: DeliveryKey) {
    return { partitionKey: `delivery:${key.pipelineId}`, rowKey: rowKey(`${key.subject}|${key.event}|${key.targetId}`) };
  }

  /**
   * Takes the right to post try `attempt` of a delivery:
   * - no row yet: a conditional insert, which one message wins;
   * - `retrying` at this attempt (the retry the previous try queued): an ETag update;
   * - `sending` whose claim is older than `leaseInMs` (its sender died mid-post): taken over by a
   *   message of that attempt or a later one;
   * otherwise not claimed: `done` (sent, or failed for good), `busy` (another sender holds a
   * fresh claim: the message should come back later), `requeue` (the row waits for the try after
   * this message's: this one is back because its sender stopped before it queued that try, or it
   * was delivered twice; queueing the next try again is harmless, its claim is won once), `stale`
   * (a message of an older try).
   */
  async claimDelivery(key: DeliveryKey, attempt: number, now: Date, leaseInMs: number): Promise<Claim> {
    const address = this.deliveryAddress(key);
    const claim = { ...address, state: DeliveryState.sending, attempt, claimedAt: now.toISOString() };
    try {
      const created = await this.table.createEntity(claim);
      return { claimed: true, etag: created.etag ?? '' };
    } catch (err) {
      if (!hasStatus(err, 409)) throw err;
    }
    const current = await this.table.getEntity<Record<string, unknown>>(address.partitionKey, address.rowKey);
    const state = String(current.state) as DeliveryState;
    const currentAttempt = Number(current.attempt);
    if (state === DeliveryState.sent || state === DeliveryState.failed) return { claimed: false, why: 'done' };
    const lapsed = state === DeliveryState.sending && now.getTime() - Date.parse(String(current.claimedAt)) > leaseInMs && attempt >= currentAttempt;
    const due = state === DeliveryState.retrying && attempt === currentAttempt;
    if (state === DeliveryState.retrying && attempt === currentAttempt - 1) return { claimed: false, why: 'requeue' };
    if (!lapsed && !due) return { claimed: false, why: attempt < currentAttempt ? 'stale' : 'busy' };
    try {
      const updated = await this.table.updateEntity(claim, 'Replace', { etag: String(current.etag) });
      return { claimed: true, etag: updated.etag ?? '' };
    } catch (err) {
      if (hasStatus(err, 412)) return { claimed: false, why: 'busy' };
      throw err;
    }
  }

  /**
   * Records how a claimed try ended, under the claim's ETag: a sender whose claim was taken over
   * (it outlived its lease) leaves the row to the one that took it. False when that happened.
   */
  async settleDelivery(key: DeliveryKey, etag: string, outcome: { state: DeliveryState; attempt: number; at: Date; error?: string }): Promise<boolean> {
    const entity = { ...this.deliveryAddress(key), state: outcome.state, attempt: outcome.attempt, settledAt: outcome.at.toISOString(), ...(outcome.error ? { lastError: outcome.error } : {}) };
    try {
      await this.table.updateEntity(entity, 'Replace', { etag });
      return true;
    } catch (err) {
      if (hasStatus(err, 412)) return false;
      throw err;
    }
  }

  /** The delivery's row as stored, for tests and diagnosis. */
  async getDelivery(key: DeliveryKey): Promise<{ state: DeliveryState; attempt: number; lastError?: string } | undefined> {
    const address = this.deliveryAddress(key);
    const entity = await getEntityIfAny<Record<string, unknown>>(this.table, address.partitionKey, address.rowKey);
    return entity && { state: String(entity.state) as DeliveryState, attempt: Number(entity.attempt), ...(typeof entity.lastError === 'string' ? { lastError: entity.lastError } : {}) };
  }

  /** Whether an occurrence (a late fire time, an alert's window) has fired already. */
  async hasFired(pipelineId: string, occurrence: string): Promise<boolean> {
    try {
      await this.table.getEntity(`fired:${pipelineId}`, rowKey(occurrence));
      return true;
    } catch (err) {
      if (hasStatus(err, 404)) return false;
      throw err;
    }
  }

  /** Records that an occurrence (a late fire time, an alert's window) fired; false when it had already. */
  async markFired(pipelineId: string, occurrence: string, at: Date): Promise<boolean> {
    try {
      await this.table.createEntity({ partitionKey: `fired:${pipelineId}`, rowKey: rowKey(occurrence), firedAt: at.toISOString() });
      return true;
    } catch (err) {
      if (hasStatus(err, 409)) return false;
      throw err;
    }
  }

  /** Merges one delivery's ending into the target's status (last writer wins: it is a status, not a ledger). */
  async recordTargetOutcome(status: { targetId: string; kind: string; at: Date; pipelineId: string; runId?: string; error?: string }): Promise<void> {
    await this.table.upsertEntity(
      {
        partitionKey: targetPartition,
        rowKey: rowKey(status.targetId),
        targetId: status.targetId,
        kind: status.kind,
        lastPipelineId: status.pipelineId,
        ...(status.runId ? { lastRunId: status.runId } : {}),
        ...(status.error === undefined ? { lastSuccessAt: status.at.toISOString() } : { lastFailureAt: status.at.toISOString(), lastError: status.error }),
      },
      'Merge',
    );
  }

  /** Every target that has taken or failed a notification, by id. */
  async listTargets(): Promise<TargetStatus[]> {
    const targets: TargetStatus[] = [];
    for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${targetPartition}` } })) {
      const lastSuccessAt = typeof entity.lastSuccessAt === 'string' ? entity.lastSuccessAt : undefined;
      const lastFailureAt = typeof entity.lastFailureAt === 'string' ? entity.lastFailureAt : undefined;
      targets.push(
        targetStatusSchema.parse({
          targetId: entity.targetId,
          kind: entity.kind,
          state: lastFailureAt && (!lastSuccessAt || lastFailureAt > lastSuccessAt) ? 'failing' : 'ok',
          lastSuccessAt,
          lastFailureAt,
          lastError: typeof entity.lastError === 'string' ? entity.lastError : undefined,
          lastPipelineId: typeof entity.lastPipelineId === 'string' ? entity.lastPipelineId : undefined,
          lastRunId: typeof entity.lastRunId === 'string' ? entity.lastRunId : undefined,
        }),
      );
    }
    return targets.sort((a, b) => a.targetId.localeCompare(b.targetId));
  }
}
