import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { createTableIfNotExists } from '../../src/store/tableErrors.js';
import { LeaseStore } from '../../src/store/leaseStore.js';
import { RunStore, type RunRecord } from '../../src/store/runStore.js';
import { acquireRunLease, releaseRunLease, unrecordedLeaseGraceInMs, type LeaseServices } from '../../src/jobs/runLease.js';
import type { RunStatus } from '../../src/spec/runStatus.js';

/**
 * The run lease against Azurite's Table service, each contender with its own TableClient as two
 * hosts would have. Interleavings that matter are forced (another writer runs between one's read
 * and its write), and what is stored is read back with a fresh client.
 */
let azurite: AzuriteHandle;
let table = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

const client = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

type World = {
  /** A contender's services: its own clients, and a clock (real unless given). */
  services: (now?: () => Date) => LeaseServices;
  record: (runId: string, status: RunStatus, attempt?: number) => Promise<void>;
  setStatus: (runId: string, status: RunStatus) => Promise<void>;
  /** The lease as stored, read with a fresh client. */
  stored: () => Promise<{ runId: string; attempt: number } | undefined>;
};

const pipelineId = 'orders';
const runA = '20261121T163000Z-aaaaaaaa';
const runB = '20261121T163100Z-bbbbbbbb';
const runC = '20261121T163200Z-cccccccc';

async function world(): Promise<World & { leaseTable: string }> {
  table++;
  const leaseTable = `leaseLeases${table}`;
  const runTable = `leaseRuns${table}`;
  await Promise.all([createTableIfNotExists(client(leaseTable)), createTableIfNotExists(client(runTable))]);
  const runs = new RunStore(client(runTable));
  return {
    leaseTable,
    services: (now = () => new Date()) => ({ leases: new LeaseStore(client(leaseTable)), runs: new RunStore(client(runTable)), now }),
    record: async (runId, status, attempt = 0) => {
      const run: RunRecord = { pipelineId, runId, status, reason: 'manual', requestedAt: new Date().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt };
      expect(await runs.create(run)).toBe(true);
    },
    setStatus: async (runId, status) => {
      await runs.update(pipelineId, runId, (run) => ({ ...run, status }));
    },
    stored: async () => {
      const lease = await new LeaseStore(client(leaseTable)).get(pipelineId);
      return lease && { runId: lease.runId, attempt: lease.attempt };
    },
  };
}

describe('acquireRunLease', () => {
  it('gives the lease to exactly one of twenty runs asking at once, and names it to the others', async () => {
    const w = await world();
    const runIds = Array.from({ length: 20 }, (_, i) => `20261121T1630${String(i).padStart(2, '0')}Z-${String(i).padStart(8, '0')}`);
    const outcomes = await Promise.all(runIds.map((runId) => acquireRunLease(w.services(), pipelineId, { runId, attempt: 0 })));
    const winners = runIds.filter((_, i) => outcomes[i]!.acquired);
    expect(winners).toHaveLength(1);
    expect(await w.stored()).toEqual({ runId: winners[0], attempt: 0 });
    for (const outcome of outcomes) {
      if (outcome.acquired) continue;
      // Not recorded yet (the trigger records after the lease), so "being queued", but named.
      expect(outcome.holder).toEqual({ runId: winners[0], attempt: 0, status: undefined });
    }
  });

  it('is idempotent for the same run and attempt: twenty ticks naming one run all hold it, one entity', async () => {
    const w = await world();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 })));
    expect(outcomes.every((outcome) => outcome.acquired)).toBe(true);
    await w.record(runA, 'running');
    // Prepare confirming it later (after a crash, a replay) still holds it, and writes nothing.
    const before = (await new LeaseStore(client(w.leaseTable)).get(pipelineId))!.etag;
    expect(await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 })).toEqual({ acquired: true });
    expect((await new LeaseStore(client(w.leaseTable)).get(pipelineId))!.etag).toBe(before);
    const entities = [];
    for await (const entity of client(w.leaseTable).listEntities()) entities.push(entity);
    expect(entities).toHaveLength(1);
  });

  it('refuses while the holder is queued or running, however old the lease, and takes over once it is terminal', async () => {
    for (const ended of ['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'] as const) {
      const w = await world();
      await w.record(runA, 'queued');
      expect(await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 })).toEqual({ acquired: true });
      // A durable run resumes hours or days later: its lease never lapses on a timer.
      const muchLater = () => new Date(Date.now() + 30 * 24 * 3_600_000);
      expect(await acquireRunLease(w.services(muchLater), pipelineId, { runId: runB, attempt: 0 })).toEqual({ acquired: false, holder: { runId: runA, attempt: 0, status: 'queued' } });
      await w.setStatus(runA, 'running');
      expect(await acquireRunLease(w.services(muchLater), pipelineId, { runId: runB, attempt: 0 })).toEqual({ acquired: false, holder: { runId: runA, attempt: 0, status: 'running' } });
      expect(await w.stored()).toEqual({ runId: runA, attempt: 0 });

      // The holder ended without releasing (a crash between its last two writes): taken over.
      await w.setStatus(runA, ended);
      expect(await acquireRunLease(w.services(), pipelineId, { runId: runB, attempt: 0 }), ended).toEqual({ acquired: true });
      expect(await w.stored()).toEqual({ runId: runB, attempt: 0 });
    }
  });

  it('lets one of many contenders take over an ended holder, under its ETag', async () => {
    const w = await world();
    await w.record(runA, 'running');
    await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 });
    await w.setStatus(runA, 'failed');
    const contenders = Array.from({ length: 10 }, (_, i) => `20261121T1640${String(i).padStart(2, '0')}Z-${String(i).padStart(8, '0')}`);
    const outcomes = await Promise.all(contenders.map((runId) => acquireRunLease(w.services(), pipelineId, { runId, attempt: 0 })));
    const winners = contenders.filter((_, i) => outcomes[i]!.acquired);
    // Without the ETag on the takeover each contender would see the failed holder and win.
    expect(winners).toHaveLength(1);
    expect(await w.stored()).toEqual({ runId: winners[0], attempt: 0 });
  });

  it('takes over a lease whose run was never recorded only after the grace period', async () => {
    const w = await world();
    // A trigger took the lease, then its process died before recording the run.
    await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 });
    const soon = () => new Date(Date.now() + unrecordedLeaseGraceInMs - 60_000);
    expect(await acquireRunLease(w.services(soon), pipelineId, { runId: runB, attempt: 0 })).toEqual({ acquired: false, holder: { runId: runA, attempt: 0, status: undefined } });
    const later = () => new Date(Date.now() + unrecordedLeaseGraceInMs + 1_000);
    expect(await acquireRunLease(w.services(later), pipelineId, { runId: runB, attempt: 0 })).toEqual({ acquired: true });
    expect(await w.stored()).toEqual({ runId: runB, attempt: 0 });
  });

  it('lets a retry (a later attempt) supersede the ended attempt, protects it while it is being recorded, and refuses the stale attempt', async () => {
    const w = await world();
    await w.record(runA, 'failed', 0);
    // The failed attempt never released (a crash): the retry's attempt 1 takes it over.
    await new LeaseStore(client(w.leaseTable)).create(pipelineId, { runId: runA, attempt: 0, acquiredAt: new Date().toISOString() });
    expect(await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 1 })).toEqual({ acquired: true });
    expect(await w.stored()).toEqual({ runId: runA, attempt: 1 });
    // The record still says attempt 0, failed, until the retry writes it: another run must wait.
    expect(await acquireRunLease(w.services(), pipelineId, { runId: runB, attempt: 0 })).toEqual({ acquired: false, holder: { runId: runA, attempt: 1, status: undefined } });
    // The old attempt asking again (a late replay) does not take it back.
    expect(await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 })).toEqual({ acquired: false, holder: { runId: runA, attempt: 1, status: 'failed' } });
    expect(await w.stored()).toEqual({ runId: runA, attempt: 1 });
  });
});

describe('releaseRunLease', () => {
  it('releases only the holder, and is safe to repeat', async () => {
    const w = await world();
    await w.record(runA, 'running');
    await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 });
    await releaseRunLease(w.services(), pipelineId, runB);
    expect(await w.stored()).toEqual({ runId: runA, attempt: 0 });
    await releaseRunLease(w.services(), pipelineId, runA);
    expect(await w.stored()).toBeUndefined();
    await releaseRunLease(w.services(), pipelineId, runA);
    expect(await w.stored()).toBeUndefined();
    // Free again: the next run takes it at once.
    expect(await acquireRunLease(w.services(), pipelineId, { runId: runB, attempt: 0 })).toEqual({ acquired: true });
  });

  it('never lets a stale run release the lease a newer run took over between its read and its delete', async () => {
    const w = await world();
    await w.record(runA, 'running');
    await acquireRunLease(w.services(), pipelineId, { runId: runA, attempt: 0 });
    await w.setStatus(runA, 'failed');
    // The stale run reads the lease (still its own), then run C takes it over before the delete.
    let deletes = 0;
    const staleClient = new Proxy(client(w.leaseTable), {
      get(target, property, receiver) {
        if (property === 'deleteEntity') {
          return async (...args: Parameters<TableClient['deleteEntity']>) => {
            if (deletes++ === 0) expect(await acquireRunLease(w.services(), pipelineId, { runId: runC, attempt: 0 })).toEqual({ acquired: true });
            return target.deleteEntity(...args);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await releaseRunLease({ leases: new LeaseStore(staleClient) }, pipelineId, runA);
    expect(deletes).toBe(1); // refused by the ETag; the re-read found run C holding it
    expect(await w.stored()).toEqual({ runId: runC, attempt: 0 });
  });
});
