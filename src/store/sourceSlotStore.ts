import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { hasStatus } from './tableErrors.js';
import { getEntityIfAny } from './getEntityIfAny.js';

/**
 * A counting semaphore per source, in Table Storage, so that every process of the app (and the
 * local runtime, which has no Durable entities) shares one count of the sessions Siphon holds on a
 * source. One partition per source (sources/sourceIdentity.ts: its key names the server and
 * database, not the app setting), holding:
 *
 * - slot rows `slot-000` .. `slot-<limit-1>`: a lease each, {holder, expiresAt}. A slot is free when
 *   its row is absent or its lease has expired (a crashed holder: its lease runs out and the slot
 *   is taken over). Every take is a create (409 if someone created it first) or a replace under the
 *   ETag read (412 if someone changed it first), so two acquirers never both get the last slot.
 * - waiter rows `wait-<arrival ms>-<holder>`: a queue in arrival order, so waiters are served
 *   roughly first come, first served (the row key orders them) and nobody starves: a newcomer may
 *   take a slot only when more are free than waiters are ahead of it. A waiter renews its row each
 *   time it asks; one that stops asking (its run ended, its process died) drops out after seenUntil.
 *
 * A partition read per attempt: a source has at most a few dozen rows, and acquiring is far rarer
 * than reading rows. This store does the storage half; sources/sourceSessions.ts decides how long
 * to wait and renews.
 */
/** `etag`: the slot row's as this holder last wrote it, so a release needs no read first. */
export type SlotGrant = { acquired: true; slot: number; expiresAt: Date; etag: string };
export type SlotRefusal = { acquired: false; ahead: number };
export type SlotAnswer = SlotGrant | SlotRefusal;

export type AcquireSlotOptions = {
  /** Slots this caller may use (its source's maxSessions): it takes only slots below it. */
  limit: number;
  now: Date;
  leaseInMs: number;
  /** How long a waiter row stays in the queue without being renewed. */
  waiterTtlInMs: number;
  /**
   * False: a refusal leaves no place in the queue (a first try that will be followed by asking
   * from the orchestrator, whose queue of a run's chunks then holds one place, its head's).
   */
  joinQueue?: boolean;
};

type SlotRow = { partitionKey: string; rowKey: string; holder: string; expiresAt: string };
type WaiterRow = { partitionKey: string; rowKey: string; holder: string; seenUntil: string };
type Row = TableEntityResult<Record<string, unknown>>;

const slotPrefix = 'slot-';
const waiterPrefix = 'wait-';
const slotRowKey = (slot: number) => `${slotPrefix}${String(slot).padStart(3, '0')}`;
/** Row keys refuse / \ # ? and control characters; a holder is ours (run ids, chunk numbers, uuids), this only keeps it safe. */
const rowKeySafe = (holder: string) => holder.replace(/[^A-Za-z0-9_.:-]/g, '_');

export class SourceSlotStore {
  constructor(private readonly table: TableClient) {}

  /**
   * A slot for `holder` if one is free and no earlier waiter is owed it; otherwise `holder` joins
   * (or stays in) the queue and hears how many waiters are ahead. Asking again as the same holder
   * while holding a slot answers that slot (an activity may run twice).
   */
  async tryAcquire(source: string, holder: string, options: AcquireSlotOptions): Promise<SlotAnswer> {
    const { limit, now, leaseInMs } = options;
    const rows = await this.readPartition(source);
    const slots = new Map<number, Row>();
    const waiters: Row[] = [];
    for (const row of rows) {
      if (row.rowKey?.startsWith(slotPrefix)) slots.set(Number(row.rowKey.slice(slotPrefix.length)), row);
      else if (row.rowKey?.startsWith(waiterPrefix)) waiters.push(row);
    }
    const live = (row: Row | undefined) => row !== undefined && Date.parse(String(row.expiresAt)) > now.getTime();
    for (const [slot, row] of slots) {
      if (row.holder === holder && live(row)) return this.renewRow(source, slot, holder, row, options).then((grant) => grant ?? { acquired: false, ahead: 0 });
    }
    const liveWaiters = waiters.filter((row) => Date.parse(String(row.seenUntil)) > now.getTime()).sort((a, b) => (a.rowKey! < b.rowKey! ? -1 : 1));
    // Waiters that stopped asking: gone from the queue (best effort; a conflict means someone else did it).
    await Promise.all(waiters.filter((row) => !liveWaiters.includes(row)).map((row) => this.table.deleteEntity(source, row.rowKey!, { etag: row.etag }).catch(() => undefined)));
    const mine = liveWaiters.find((row) => row.holder === holder);
    const ahead = mine ? liveWaiters.indexOf(mine) : liveWaiters.length;
    const liveHolders = [...slots.values()].filter(live).length;
    if (limit - liveHolders > ahead) {
      for (let slot = 0; slot < limit; slot++) {
        const row = slots.get(slot);
        if (live(row)) continue;
        const taken = await this.take(source, slot, holder, row, now, leaseInMs);
        if (!taken) continue;
        if (mine) await this.table.deleteEntity(source, mine.rowKey!).catch(() => undefined);
        return taken;
      }
    }
    if (options.joinQueue !== false || mine) await this.queue(source, holder, mine, options);
    return { acquired: false, ahead };
  }

  /** Extends `holder`'s lease on `slot`; undefined when the slot is no longer its (taken over after it expired). */
  async renew(source: string, slot: number, holder: string, options: Pick<AcquireSlotOptions, 'now' | 'leaseInMs'>): Promise<SlotGrant | undefined> {
    const row = await this.getSlot(source, slot);
    if (!row || row.holder !== holder) return undefined;
    return this.renewRow(source, slot, holder, row, options);
  }

  /**
   * Frees `holder`'s slot (nothing when it is no longer its). With the ETag of its last write, one
   * conditional delete; without it, or when the row changed since, a read first.
   */
  async release(source: string, slot: number, holder: string, etag?: string): Promise<void> {
    if (etag) {
      try {
        await this.table.deleteEntity(source, slotRowKey(slot), { etag });
        return;
      } catch (err) {
        if (hasStatus(err, 404)) return;
        if (!hasStatus(err, 412)) throw err;
      }
    }
    const row = await this.getSlot(source, slot);
    if (!row || row.holder !== holder) return;
    await this.table.deleteEntity(source, row.rowKey!, { etag: row.etag }).catch((err: unknown) => {
      if (!hasStatus(err, 404, 412)) throw err;
    });
  }

  /** Leaves the queue: a caller that gave up waiting must not hold back the ones behind it. */
  async withdraw(source: string, holder: string): Promise<void> {
    for (const row of await this.readPartition(source)) {
      if (row.rowKey?.startsWith(waiterPrefix) && row.holder === holder) await this.table.deleteEntity(source, row.rowKey).catch(() => undefined);
    }
  }

  /** The slots held now (live leases), for tests and views. */
  async holders(source: string, now: Date): Promise<Array<{ slot: number; holder: string; expiresAt: string }>> {
    return (await this.readPartition(source))
      .filter((row) => row.rowKey?.startsWith(slotPrefix) && Date.parse(String(row.expiresAt)) > now.getTime())
      .map((row) => ({ slot: Number(row.rowKey!.slice(slotPrefix.length)), holder: String(row.holder), expiresAt: String(row.expiresAt) }));
  }

  private async readPartition(source: string): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${source}'` } })) rows.push(row);
    return rows;
  }

  private async getSlot(source: string, slot: number): Promise<Row | undefined> {
    return getEntityIfAny<Record<string, unknown>>(this.table, source, slotRowKey(slot));
  }

  /** Takes a free slot: create when it never existed, replace under the ETag read when its lease expired. Undefined when someone else was first. */
  private async take(source: string, slot: number, holder: string, current: Row | undefined, now: Date, leaseInMs: number): Promise<SlotGrant | undefined> {
    const expiresAt = new Date(now.getTime() + leaseInMs);
    const entity: SlotRow = { partitionKey: source, rowKey: slotRowKey(slot), holder, expiresAt: expiresAt.toISOString() };
    try {
      const written = current ? await this.table.updateEntity(entity, 'Replace', { etag: current.etag }) : await this.table.createEntity(entity);
      return { acquired: true, slot, expiresAt, etag: written.etag ?? '' };
    } catch (err) {
      if (hasStatus(err, 404, 409, 412)) return undefined;
      throw err;
    }
  }

  private async renewRow(source: string, slot: number, holder: string, row: Row, options: Pick<AcquireSlotOptions, 'now' | 'leaseInMs'>): Promise<SlotGrant | undefined> {
    const expiresAt = new Date(options.now.getTime() + options.leaseInMs);
    try {
      const written = await this.table.updateEntity<SlotRow>({ partitionKey: source, rowKey: slotRowKey(slot), holder, expiresAt: expiresAt.toISOString() }, 'Replace', { etag: row.etag });
      return { acquired: true, slot, expiresAt, etag: written.etag ?? '' };
    } catch (err) {
      // Changed meanwhile: taken over (the lease had expired), or released.
      if (hasStatus(err, 404, 412)) return undefined;
      throw err;
    }
  }

  /** Joins the queue at the back (a new row keyed by the arrival time), or renews the place already held. */
  private async queue(source: string, holder: string, mine: Row | undefined, options: AcquireSlotOptions): Promise<void> {
    const seenUntil = new Date(options.now.getTime() + options.waiterTtlInMs).toISOString();
    const rowKey = mine?.rowKey ?? `${waiterPrefix}${String(options.now.getTime()).padStart(15, '0')}-${rowKeySafe(holder)}`;
    const entity: WaiterRow = { partitionKey: source, rowKey, holder, seenUntil };
    await this.table.upsertEntity(entity, 'Replace');
  }
}
