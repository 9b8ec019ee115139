import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { SourceSlotStore, type AcquireSlotOptions } from '../../src/store/sourceSlotStore.js';
import { sourceIdentityOf, sourceKeyOf } from '../../src/sources/sourceIdentity.js';

/**
 * The session semaphore of a source (source.maxSessions) against Azurite's Table Storage: slots
 * as leases (acquire, renew, release, expiry and takeover), ETag conflicts between concurrent
 * acquirers, and the queue that serves waiters in arrival order. Time is passed in, so leases
 * expire without a sleep.
 */
describe('source session semaphore', () => {
  let azurite: AzuriteHandle;
  let store: SourceSlotStore;
  let table: TableClient;
  const t0 = Date.parse('2026-12-07T10:00:00Z');
  const at = (seconds: number): Date => new Date(t0 + seconds * 1000);
  const options = (seconds: number, limit: number): AcquireSlotOptions => ({ limit, now: at(seconds), leaseInMs: 30_000, waiterTtlInMs: 20_000 });
  let partition = 0;
  const nextSource = () => `source${++partition}`;

  beforeAll(async () => {
    azurite = await startAzurite();
    table = TableClient.fromConnectionString(azurite.connectionString, 'slotsTest', { allowInsecureConnection: true });
    await table.createTable();
    store = new SourceSlotStore(table);
  });

  afterAll(async () => {
    await azurite?.stop();
  });

  it('grants up to the limit, refuses the next, and gives a released slot to it', async () => {
    const source = nextSource();
    const a = await store.tryAcquire(source, 'a', options(0, 2));
    const b = await store.tryAcquire(source, 'b', options(0, 2));
    expect([a, b].map((answer) => answer.acquired && answer.slot).sort()).toEqual([0, 1]);
    expect(await store.tryAcquire(source, 'c', options(1, 2))).toEqual({ acquired: false, ahead: 0 });
    // A first try that does not join the queue: refused behind c, and leaves no place of its own.
    expect(await store.tryAcquire(source, 'peek', { ...options(1, 2), joinQueue: false })).toEqual({ acquired: false, ahead: 1 });
    // Asking again while holding answers the same slot (an activity that runs twice).
    expect(await store.tryAcquire(source, 'a', options(1, 2))).toMatchObject({ acquired: true, slot: a.acquired ? a.slot : -1 });
    await store.release(source, a.acquired ? a.slot : -1, 'a');
    expect(await store.tryAcquire(source, 'c', options(2, 2))).toMatchObject({ acquired: true, slot: a.acquired ? a.slot : -1 });
    // A release by someone who no longer holds the slot changes nothing.
    await store.release(source, a.acquired ? a.slot : -1, 'a');
    expect((await store.holders(source, at(2))).map((held) => held.holder).sort()).toEqual(['b', 'c']);
    // Nothing of c's place in the queue is left behind.
    const rows: string[] = [];
    for await (const row of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${source}'` } })) rows.push(String(row.rowKey));
    expect(rows.filter((key) => key.startsWith('wait-'))).toEqual([]);
  });

  it('renews a lease while it is held; an expired one is taken over, and its old holder hears so', async () => {
    const source = nextSource();
    expect(await store.tryAcquire(source, 'crashed', options(0, 1))).toMatchObject({ acquired: true, slot: 0 });
    expect(await store.renew(source, 0, 'crashed', { now: at(20), leaseInMs: 30_000 })).toMatchObject({ acquired: true, expiresAt: at(50) });
    // Before the renewed expiry the slot is taken; after it, it is free for another.
    expect(await store.tryAcquire(source, 'next', options(45, 1))).toEqual({ acquired: false, ahead: 0 });
    expect(await store.tryAcquire(source, 'next', options(51, 1))).toMatchObject({ acquired: true, slot: 0 });
    expect(await store.renew(source, 0, 'crashed', { now: at(52), leaseInMs: 30_000 })).toBeUndefined();
    await store.release(source, 0, 'crashed');
    expect((await store.holders(source, at(52))).map((held) => held.holder)).toEqual(['next']);
  });

  it('gives the last slot to exactly one of many concurrent acquirers, new or expired (ETag conflicts)', async () => {
    for (const expiredFirst of [false, true]) {
      const source = nextSource();
      if (expiredFirst) await store.tryAcquire(source, 'gone', options(0, 1));
      const when = expiredFirst ? 100 : 0;
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => store.tryAcquire(source, `racer-${i}`, options(when, 1))));
      expect(answers.filter((answer) => answer.acquired), `expired first: ${expiredFirst}`).toHaveLength(1);
      expect(await store.holders(source, at(when))).toHaveLength(1);
    }
  });

  it('serves waiters in arrival order: a later one cannot jump the queue, and one that stopped asking drops out', async () => {
    const source = nextSource();
    expect(await store.tryAcquire(source, 'holder', options(0, 1))).toMatchObject({ acquired: true });
    for (const [i, waiter] of ['first', 'second', 'third'].entries()) expect(await store.tryAcquire(source, waiter, options(1 + i, 1))).toEqual({ acquired: false, ahead: i });
    await store.release(source, 0, 'holder');
    // Freed, but owed to `first`: the others (and a newcomer) ask first and are refused.
    expect(await store.tryAcquire(source, 'third', options(5, 1))).toEqual({ acquired: false, ahead: 2 });
    expect(await store.tryAcquire(source, 'newcomer', options(5, 1))).toEqual({ acquired: false, ahead: 3 });
    expect(await store.tryAcquire(source, 'second', options(5, 1))).toEqual({ acquired: false, ahead: 1 });
    expect(await store.tryAcquire(source, 'first', options(6, 1))).toMatchObject({ acquired: true });
    await store.release(source, 0, 'first');
    expect(await store.tryAcquire(source, 'third', options(7, 1))).toEqual({ acquired: false, ahead: 1 });
    expect(await store.tryAcquire(source, 'second', options(7, 1))).toMatchObject({ acquired: true });
    await store.release(source, 0, 'second');
    // `third` (last seen at 7) stops asking: it still holds `newcomer` back until its place
    // lapses (20 s unseen), then no longer: a waiter that died does not block the queue.
    expect(await store.tryAcquire(source, 'newcomer', options(20, 1))).toEqual({ acquired: false, ahead: 1 });
    expect(await store.tryAcquire(source, 'newcomer', options(28, 1))).toMatchObject({ acquired: true });
  });

  it('identifies a source by server and database, not by the setting that names it', () => {
    const env = {
      SIPHON_SOURCE_SETTING_PREFIX: 'SIPHON_SOURCE_',
      SIPHON_SOURCE_A: 'postgres://reader:secret@DB.example.com:5432/Sales',
      SIPHON_SOURCE_B: 'postgresql://other@db.example.com/sales?application_name=x',
      SIPHON_SOURCE_C: 'postgres://reader@db.example.com:5432/hr',
      SIPHON_SOURCE_M: 'mysql://u:p@db.example.com/sales',
      SIPHON_SOURCE_S: 'Server=tcp:sql.example.com,1433;Database=Sales;User Id=u;Password=p',
      SIPHON_SOURCE_T: 'Server=sql.example.com;Database=sales;User Id=v;Password=q',
    };
    const identity = (engine: 'postgres' | 'mysql' | 'sqlserver', connectionSetting: string) => sourceIdentityOf({ engine, connectionSetting } as never, env);
    expect(identity('postgres', 'SIPHON_SOURCE_A')).toBe('postgres://db.example.com:5432/sales');
    expect(identity('postgres', 'SIPHON_SOURCE_B')).toBe(identity('postgres', 'SIPHON_SOURCE_A'));
    expect(identity('postgres', 'SIPHON_SOURCE_C')).not.toBe(identity('postgres', 'SIPHON_SOURCE_A'));
    expect(identity('mysql', 'SIPHON_SOURCE_M')).toBe('mysql://db.example.com:3306/sales');
    expect(identity('sqlserver', 'SIPHON_SOURCE_S')).toBe('sqlserver://sql.example.com:1433/sales');
    expect(identity('sqlserver', 'SIPHON_SOURCE_T')).toBe(identity('sqlserver', 'SIPHON_SOURCE_S'));
    for (const name of Object.keys(env).filter((key) => key !== 'SIPHON_SOURCE_SETTING_PREFIX')) expect(identity(name === 'SIPHON_SOURCE_M' ? 'mysql' : name >= 'SIPHON_SOURCE_S' ? 'sqlserver' : 'postgres', name)).not.toMatch(/secret|reader|:p@|Password/i);
    expect(sourceKeyOf('postgres://db.example.com:5432/sales')).toMatch(/^[0-9a-f]{40}$/);
    // This machine's loopback under its three spellings is one server.
    const loopback = { SIPHON_SOURCE_SETTING_PREFIX: 'SIPHON_SOURCE_', SIPHON_SOURCE_L1: 'postgres://u@localhost:5432/sales', SIPHON_SOURCE_L2: 'postgres://v@127.0.0.1:5432/sales', SIPHON_SOURCE_L3: 'mysql://u@[::1]:3306/sales', SIPHON_SOURCE_L4: 'mysql://u@127.0.0.1:3306/sales' };
    const loop = (engine: 'postgres' | 'mysql', connectionSetting: string) => sourceIdentityOf({ engine, connectionSetting } as never, loopback);
    expect(loop('postgres', 'SIPHON_SOURCE_L1')).toBe(loop('postgres', 'SIPHON_SOURCE_L2'));
    expect(loop('mysql', 'SIPHON_SOURCE_L3')).toBe(loop('mysql', 'SIPHON_SOURCE_L4'));
  });
});
