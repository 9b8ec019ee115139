import { randomUUID } from 'node:crypto';
import type { Services } from '../services.js';
import type { SourceSpec } from '../spec/pipelineSpec.js';
import type { SlotAnswer } from '../store/sourceSlotStore.js';
import type { SourceConnector } from './sourceConnector.js';
import { sourceIdentityOf, sourceKeyOf } from './sourceIdentity.js';

/**
 * source.maxSessions: how many sessions Siphon holds on one source (one server and database) at
 * once, across every run, pipeline and kind of session. Each session holds a slot of the source's
 * semaphore (store/sourceSlotStore.ts) while it is open; a slot is a lease its holder renews while
 * it works, so the slot of a holder that died comes back when its lease runs out.
 *
 * Chunks wait for their slot in the orchestrator (orchestration/acquireSourceSlotActivity.ts, a
 * durable timer between tries); the rest (prepare, plan and validate, quality checks) wait here,
 * for a bounded time, and then give up with a SourceBusyError.
 */
export const defaultMaxSessions = 8;

/** No slot came within the wait: the source has maxSessions sessions of Siphon's open. Retryable. */
export class SourceBusyError extends Error {
  override readonly name = 'SourceBusyError';
  constructor(readonly source: string, readonly maxSessions: number, readonly retryAfterSeconds: number) {
    super(`the source ${source} has all of its ${maxSessions} sessions (source.maxSessions) in use by Siphon; try again in ${retryAfterSeconds} s`);
  }
}

/** A slot held: which source (its partition key), which slot, by whom; `etag` of the holder's last write of it, when known. */
export type SlotClaim = { key: string; slot: number; holder: string; etag?: string };

/** How long a lease lasts, how often a waiter asks again, how long a waiter that stopped asking keeps its place. */
export function slotTimings(services: Pick<Services, 'settings'>) {
  const leaseInMs = services.settings.SIPHON_SESSION_LEASE_SECONDS * 1000;
  const pollInMs = Math.min(10_000, Math.max(1_000, Math.floor(leaseInMs / 6)));
  return { leaseInMs, pollInMs, renewInMs: Math.max(250, Math.floor(leaseInMs / 3)), waiterTtlInMs: Math.max(leaseInMs, 4 * pollInMs) };
}

export function maxSessionsOf(source: SourceSpec): number {
  return source.maxSessions ?? defaultMaxSessions;
}

/** The source's key in the semaphore table, and its identity for messages (no secrets: host, port, database). */
export function sourceSlotKey(source: SourceSpec): { key: string; identity: string } {
  const identity = sourceIdentityOf(source);
  return { key: sourceKeyOf(identity), identity };
}

/** One try for a slot; a refusal leaves `holder` in the source's queue (unless joinQueue is false), `ahead` waiters before it. */
export async function tryAcquireSourceSlot(services: Pick<Services, 'settings' | 'sourceSlots' | 'now'>, source: SourceSpec, holder: string, joinQueue = true): Promise<SlotAnswer & { key: string }> {
  const { key } = sourceSlotKey(source);
  const { leaseInMs, waiterTtlInMs } = slotTimings(services);
  const answer = await services.sourceSlots.tryAcquire(key, holder, { limit: maxSessionsOf(source), now: services.now(), leaseInMs, waiterTtlInMs, joinQueue });
  return { ...answer, key };
}

/** A slot within `waitSeconds` (asking again every poll interval), or a SourceBusyError; the caller releases it. */
export async function acquireSourceSlot(services: Pick<Services, 'settings' | 'sourceSlots' | 'now'>, source: SourceSpec, holder: string, waitSeconds: number): Promise<SlotClaim> {
  // Every second, not every poll interval: asking costs this process a read, not a history
  // event, and a slot owed to this waiter stays idle until it asks.
  const pollInMs = Math.min(1_000, slotTimings(services).pollInMs);
  const giveUpAt = Date.now() + waitSeconds * 1000;
  for (;;) {
    const answer = await tryAcquireSourceSlot(services, source, holder);
    if (answer.acquired) return { key: answer.key, slot: answer.slot, holder, etag: answer.etag };
    const left = giveUpAt - Date.now();
    if (left <= 0) {
      await services.sourceSlots.withdraw(answer.key, holder).catch(() => undefined);
      throw new SourceBusyError(sourceSlotKey(source).identity, maxSessionsOf(source), Math.ceil(slotTimings(services).pollInMs / 1000));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollInMs, left)));
  }
}

/**
 * Keeps a claimed slot while its session works: renews the lease every third of its length, and
 * calls onLost if the slot was taken over meanwhile (this process stalled past its lease), so the
 * work stops rather than run over the limit. `release` stops renewing and frees the slot.
 */
export function holdSourceSlot(services: Pick<Services, 'settings' | 'sourceSlots' | 'now'>, claim: SlotClaim, onLost: () => void = () => undefined): { release: () => Promise<void>; renew: () => Promise<boolean> } {
  const { leaseInMs, renewInMs } = slotTimings(services);
  let etag = claim.etag;
  const renew = async () => {
    const renewed = await services.sourceSlots.renew(claim.key, claim.slot, claim.holder, { now: services.now(), leaseInMs });
    etag = renewed?.etag;
    return renewed !== undefined;
  };
  const timer = setInterval(() => {
    renew().then((held) => {
      if (!held) {
        clearInterval(timer);
        onLost();
      }
    }, () => undefined); // a failed renewal is tried again at the next tick; the lease outlasts two of them
  }, renewInMs);
  timer.unref();
  return {
    renew,
    release: async () => {
      clearInterval(timer);
      await services.sourceSlots.release(claim.key, claim.slot, claim.holder, etag);
    },
  };
}

export type OpenSourceSessionOptions = {
  /** What the session is for, in its holder id (`plan`, `prepare:<run>`, `quality:<run>`). */
  purpose: string;
  /** The longest to wait for a slot; the SIPHON_SESSION_WAIT_SECONDS setting when absent. */
  waitSeconds?: number;
};

/**
 * A session on the source that holds a slot of its semaphore until it is closed: waits for the
 * slot (bounded), opens the connector (services.openSource), and frees the slot on close.
 */
export async function openSourceSession(services: Services, source: SourceSpec, options: OpenSourceSessionOptions): Promise<SourceConnector> {
  const claim = await acquireSourceSlot(services, source, `${options.purpose}:${randomUUID()}`, options.waitSeconds ?? services.settings.SIPHON_SESSION_WAIT_SECONDS);
  return openWithSlot(services, source, claim);
}

/** Opens the connector for a slot already claimed; its close frees the slot. Frees it also when the open fails. */
export async function openWithSlot(services: Services, source: SourceSpec, claim: SlotClaim, onLost?: () => void): Promise<SourceConnector> {
  const hold = holdSourceSlot(services, claim, onLost);
  let connector: SourceConnector;
  try {
    connector = await services.openSource(source);
  } catch (err) {
    await hold.release().catch(() => undefined);
    throw err;
  }
  return withCloseHook(connector, async () => {
    await hold.release();
  });
}

/** The connector, with `after` run once its close has (closed or failed). */
function withCloseHook(connector: SourceConnector, after: () => Promise<void>): SourceConnector {
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        await connector.close();
      } finally {
        await after();
      }
    })();
    return closing;
  };
  return new Proxy(connector, {
    get(target, property) {
      if (property === 'close') return close;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
