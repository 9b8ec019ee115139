import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import type { OrchestrationHandler } from 'durable-functions';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { replay, type OpenTask } from '../../src/local/durable/durableInternals.js';
import { EventType, reviveEvent, scheduledIds, type HistoryEvent } from '../../src/local/durable/historyEvents.js';
import { InstanceStore, type InstanceRecord, type InstanceStatus } from '../../src/local/durable/instanceStore.js';
import { LocalDurableEngine, type ActivityHandler } from '../../src/local/durable/localDurableEngine.js';
import { copyRunOrchestrator } from '../../src/orchestration/copyRunOrchestrator.js';
import { copyChunksOrchestrator } from '../../src/orchestration/copyChunksOrchestrator.js';
import { Activities, Orchestrations, cancelEventName } from '../../src/orchestration/functionNames.js';
import { orchestrationVersions } from '../../src/orchestration/activityContracts.js';

/**
 * A deploy replays instances that the previous code started. These histories were recorded from
 * copyRunOrchestrator version 1 (test/fixtures/orchestrationV1, made by recordHistories.ts there
 * before versions existed); the current code must replay each of them, episode by episode,
 * yielding exactly the actions version 1 yielded, and a version 1 instance resumed half-way by the
 * current code must run to its end in the version 1 shape.
 */
type RecordedInstance = { instanceId: string; name: string; status: InstanceStatus; input: unknown; output?: unknown; parentInstanceId?: string; parentTaskId?: number; history: unknown[] };

const fixtureFolder = join(process.cwd(), 'test/fixtures/orchestrationV1');
const fixtureNames = ['succeeded', 'failed', 'timedOut', 'cancelled', 'cancelledSlices'] as const;

function loadFixture(name: string): RecordedInstance[] {
  return (JSON.parse(readFileSync(join(fixtureFolder, `${name}.json`), 'utf8')) as { instances: RecordedInstance[] }).instances;
}

const revive = (events: unknown[]): HistoryEvent[] => events.map((event) => reviveEvent(JSON.stringify(event)));

const handlers = new Map<string, OrchestrationHandler>([
  [Orchestrations.copyRun, copyRunOrchestrator],
  [Orchestrations.copyChunks, copyChunksOrchestrator],
]);

const quiet = () => undefined;
const schedulingTypes: ReadonlySet<number> = new Set([EventType.TaskScheduled, EventType.TimerCreated, EventType.SubOrchestrationInstanceCreated]);

/** A scheduled action as the history records it and as a replay reports it, comparable. */
type Action = { id: number; kind: string; name?: string; input?: unknown; fireAt?: string };

function recordedAction(event: HistoryEvent): Action {
  switch (event.EventType) {
    case EventType.TaskScheduled:
      return { id: event.EventId, kind: 'activity', name: String(event.Name), input: JSON.parse(String(event.Input)) };
    case EventType.SubOrchestrationInstanceCreated:
      return { id: event.EventId, kind: 'subOrchestration', name: String(event.Name), input: JSON.parse(String(event.Input)) };
    default:
      return { id: event.EventId, kind: 'timer', fireAt: new Date(event.FireAt as Date).toISOString() };
  }
}

function replayedAction(id: number, task: OpenTask): Action {
  switch (task.kind) {
    case 'activity':
    case 'subOrchestration':
      return { id, kind: task.kind, name: task.functionName, input: task.input };
    case 'timer':
      return { id, kind: 'timer', fireAt: task.fireAt.toISOString() };
    default:
      return { id, kind: task.kind };
  }
}

/** The actions a replay of `history` yields that the history has not scheduled yet. */
async function newActions(instance: RecordedInstance, history: HistoryEvent[], input: unknown = instance.input) {
  const result = await replay(handlers.get(instance.name)!, instance.name, instance.instanceId, history, input, quiet, instance.parentInstanceId);
  const scheduled = scheduledIds(history);
  const actions = [...result.openTasks].filter(([id, task]) => id >= 0 && task.kind !== 'externalEvent' && !scheduled.has(id)).map(([id, task]) => replayedAction(id, task));
  return { result, actions: actions.sort((a, b) => a.id - b.id) };
}

/**
 * The episodes of a recorded history: each starts at an OrchestratorStarted event; what the
 * orchestrator was replayed over is everything before the episode's own scheduling events, which
 * the engine appended after that replay.
 */
function episodes(history: HistoryEvent[]): Array<{ replayedOver: HistoryEvent[]; scheduled: Action[] }> {
  const starts = history.flatMap((event, index) => (event.EventType === EventType.OrchestratorStarted ? [index] : []));
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? history.length;
    const segment = history.slice(start, end);
    const firstScheduling = segment.findIndex((event) => schedulingTypes.has(event.EventType));
    const cut = firstScheduling < 0 ? end : start + firstScheduling;
    return { replayedOver: history.slice(0, cut), scheduled: history.slice(cut, end).map(recordedAction) };
  });
}

describe('replaying histories recorded by version 1', () => {
  for (const name of fixtureNames) {
    it(`replays the ${name} run episode by episode with exactly the version 1 actions`, async () => {
      const instances = loadFixture(name);
      expect(instances.length).toBeGreaterThan(0);
      for (const instance of instances) {
        // Recorded before versions existed: the input has none.
        expect(instance.input).not.toHaveProperty('version');
        const history = revive(instance.history);
        for (const [index, episode] of episodes(history).entries()) {
          const { result, actions } = await newActions(instance, episode.replayedOver);
          expect(result.outcome, `${instance.instanceId} episode ${index}: ${result.outcome === 'failed' ? result.error : ''}`).not.toBe('failed');
          expect(actions, `${instance.instanceId} episode ${index}`).toEqual(episode.scheduled);
        }
        const whole = await newActions(instance, history);
        expect(whole.result.outcome, instance.instanceId).toBe('completed');
        expect(whole.actions).toEqual([]);
      }
    });
  }

  // The check above must be able to fail: the same histories under version 2 take the new path.
  it('yields the cleanup call at the endings when the same history carries version 2', async () => {
    for (const name of ['failed', 'timedOut', 'cancelled'] as const) {
      const [parent] = loadFixture(name);
      const { result, actions } = await newActions(parent!, revive(parent!.history), { ...(parent!.input as object), version: 2 });
      expect(result.outcome, name).toBe('running');
      expect(actions.map((action) => action.name), name).toEqual([Activities.cleanupRun]);
      expect(actions[0]!.input).toEqual(parent!.input);
    }
    const [succeeded] = loadFixture('succeeded');
    expect((await newActions(succeeded!, revive(succeeded!.history), { ...(succeeded!.input as object), version: 2 })).result.outcome).toBe('completed');
  });

  // And under version 3 each chunk's copy takes a slot of its source's session semaphore.
  it('copies with a source session slot when the same history carries version 3', async () => {
    const [succeeded] = loadFixture('succeeded');
    const afterPrepare = episodes(revive(succeeded!.history))[1]!;
    const input = { ...(succeeded!.input as object), version: orchestrationVersions.sourceSlots };
    const copies = async (version: number) => (await newActions(succeeded!, afterPrepare.replayedOver, { ...input, version })).actions.filter((action) => action.kind === 'activity');
    const v2 = await copies(orchestrationVersions.cleanupAtEnding);
    const v3 = await copies(orchestrationVersions.sourceSlots);
    expect(v2.map((action) => [action.name, (action.input as { sourceSlot?: unknown }).sourceSlot])).toEqual([[Activities.copyChunk, undefined], [Activities.copyChunk, undefined]]);
    expect(v3.map((action) => [action.name, (action.input as { sourceSlot?: unknown }).sourceSlot])).toEqual([[Activities.copyChunk, 'try'], [Activities.copyChunk, 'try']]);
  });
});

describe('a version 1 instance resumed by the current code', () => {
  let azurite: AzuriteHandle;
  let store: InstanceStore;
  const calls: Array<{ name: string; input: unknown }> = [];
  let releaseChunks!: () => void;
  let chunksReleased = new Promise<void>((resolve) => (releaseChunks = resolve));

  /** Activities that answer as the real ones would, without a database: the shape is what is tested. */
  const activity = (name: string, answer: (input: unknown) => Promise<unknown>): [string, ActivityHandler] => [name, async (input) => {
    calls.push({ name, input });
    return answer(input);
  }];
  const activities = new Map<string, ActivityHandler>([
    activity(Activities.prepareRun, async () => ({ skipped: false, chunkCount: 3, maxParallel: 1, retry: { maxAttempts: 1, firstDelaySeconds: 1, backoffCoefficient: 2, maxDelaySeconds: 60 }, timeoutMinutes: 60 })),
    activity(Activities.copyChunk, async (input) => {
      const { chunk, pipelineId } = input as { chunk: number; pipelineId: string };
      // The cancelled run's chunks hold on until the test has cancelled it, then stop as a real copy would.
      if (pipelineId === 'rec-cancel') {
        await chunksReleased;
        return { outcome: 'stopped', chunk, status: 'cancelled' };
      }
      return { outcome: 'done', chunk, rows: 100, bytes: 1000, files: 1, durationInMs: 5 };
    }),
    activity(Activities.finalizeRun, async () => ({ rows: 300, files: 3, bytes: 3000 })),
    activity(Activities.failRun, async () => undefined),
    activity(Activities.cleanupRun, async () => ({ cleaned: true, status: 'cancelled', deleted: 0, chunksReset: 0 })),
  ]);

  let engine: LocalDurableEngine;

  beforeAll(async () => {
    azurite = await startAzurite();
    const table = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
    store = new InstanceStore(table('versionsInstances'), table('versionsHistory'));
    await store.ensureTables();
  });

  afterAll(async () => {
    await engine?.stop();
    await azurite?.stop();
  });

  /** Stores the instance as the previous deploy left it: its record and the first `events` events of its history. */
  async function seed(instance: RecordedInstance, events: number, instanceId = instance.instanceId, input: unknown = instance.input): Promise<void> {
    const now = new Date().toISOString();
    const record: InstanceRecord = { instanceId, name: instance.name, status: 'Running', input, createdAt: now, updatedAt: now };
    expect(await store.create(record)).toBe(true);
    await store.appendHistory(instanceId, 0, revive(instance.history.slice(0, events)));
  }

  async function waitForStatus(instanceId: string, status: InstanceStatus): Promise<InstanceRecord> {
    for (const deadline = Date.now() + 20_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
      const record = await store.get(instanceId);
      if (record?.status === status) return record;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${instanceId} to be ${status}: ${record?.status}`);
    }
  }

  const scheduledNames = async (instanceId: string) => (await store.loadHistory(instanceId)).filter((event) => event.EventType === EventType.TaskScheduled).map((event) => String(event.Name));

  it('finishes a succeeded-to-be run and a cancelled one in the version 1 shape, and a version 2 one with its cleanup', async () => {
    const [succeeded] = loadFixture('succeeded');
    const [cancelled] = loadFixture('cancelled');
    // Cut where a deploy could find them: the succeeded run after its first chunk completed (two
    // chunks still to run), the cancelled run with a chunk in flight, before the cancel arrived.
    const succeededCut = episodes(revive(succeeded!.history))[2]!.replayedOver.length;
    const cancelledEpisodes = episodes(revive(cancelled!.history));
    const cancelledCut = cancelledEpisodes.at(-2)!.replayedOver.length + cancelledEpisodes.at(-2)!.scheduled.length;
    await seed(succeeded!, succeededCut);
    await seed(cancelled!, cancelledCut);
    await seed(cancelled!, cancelledCut, 'v2-cancelled', { ...(cancelled!.input as object), version: orchestrationVersions.cleanupAtEnding });

    engine = new LocalDurableEngine({ store, orchestrations: handlers, activities, maxConcurrentActivities: 4, log: quiet });
    expect(await engine.resumeAll()).toBe(3);

    const done = await waitForStatus(succeeded!.instanceId, 'Completed');
    expect(done.error).toBeUndefined();
    expect(await scheduledNames(succeeded!.instanceId)).toEqual([Activities.prepareRun, Activities.copyChunk, Activities.copyChunk, Activities.copyChunk, Activities.finalizeRun]);

    await engine.raiseEvent(cancelled!.instanceId, cancelEventName, {});
    await engine.raiseEvent('v2-cancelled', cancelEventName, {});
    releaseChunks();
    await waitForStatus(cancelled!.instanceId, 'Completed');
    await waitForStatus('v2-cancelled', 'Completed');
    // Version 1 ended at the cancel, as it did when it was recorded; version 2 cleans up after it.
    expect((await scheduledNames(cancelled!.instanceId)).at(-1)).toBe(Activities.copyChunk);
    expect((await scheduledNames('v2-cancelled')).at(-1)).toBe(Activities.cleanupRun);
    expect(calls.filter((call) => call.name === Activities.cleanupRun).map((call) => call.input)).toEqual([cancelled!.input]);
    // Nothing was prepared again: the resumed instances replayed their recorded prepare.
    expect(calls.filter((call) => call.name === Activities.prepareRun)).toEqual([]);
    chunksReleased = Promise.resolve();
  });
});
