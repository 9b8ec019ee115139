import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { LocalDurableEngine, type ActivityHandler } from '../../src/local/durable/localDurableEngine.js';
import { InstanceStore, maxEventChars, type InstanceRecord, type InstanceStatus } from '../../src/local/durable/instanceStore.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import { EventType, type HistoryEvent } from '../../src/local/durable/historyEvents.js';

/**
 * The local durable engine against Azurite's Table service: sub-orchestrations (fan-out, failure,
 * retry), crash and resume at the awkward points between a parent and its children, external
 * events and termination. Orchestrators and activities are small and registered here.
 */
let azurite: AzuriteHandle;
let instances: TableClient;
let history: TableClient;
let store: InstanceStore;

beforeAll(async () => {
  azurite = await startAzurite();
  instances = TableClient.fromConnectionString(azurite.connectionString, 'engineTestInstances', { allowInsecureConnection: true });
  history = TableClient.fromConnectionString(azurite.connectionString, 'engineTestHistory', { allowInsecureConnection: true });
  store = new InstanceStore(instances, history);
  await store.ensureTables();
});

afterAll(async () => {
  await azurite?.stop();
});

// ---- activities, with execution counts per key and a concurrency high-water mark ----

const executions = new Map<string, number>();
const running = new Set<string>();
const overlapping: string[] = [];
let concurrent = 0;
let maxConcurrent = 0;
/** Runs inside `work` for a given tag, e.g. to crash the engine at the n-th execution. */
const onWork = new Map<string, (key: string, total: number) => void>();
/** Gates the `gate` activity waits on, and which of them it entered. */
const gates = new Map<string, { open: () => void; opened: Promise<void> }>();
const entered = new Set<string>();

function gate(key: string): void {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gates.set(key, { open, opened });
}

const count = (key: string) => executions.get(key) ?? 0;
const countTag = (tag: string) => [...executions].filter(([key]) => key.startsWith(`${tag}:`)).reduce((sum, [, n]) => sum + n, 0);

const activities = new Map<string, ActivityHandler>([
  ['work', async (input) => {
    const { tag, child, step } = input as { tag: string; child: number; step: number };
    const key = `${tag}:${child}:${step}`;
    executions.set(key, count(key) + 1);
    if (running.has(key)) overlapping.push(key);
    running.add(key);
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      onWork.get(tag)?.(key, countTag(tag));
      return child * 100 + step;
    } finally {
      concurrent--;
      running.delete(key);
    }
  }],
  ['flaky', async (input) => {
    const { tag, failures } = input as { tag: string; failures: number };
    const key = `${tag}:flaky:0`;
    executions.set(key, count(key) + 1);
    if (count(key) <= failures) throw new Error(`flaky attempt ${count(key)} failed`);
    return `ok after ${count(key)}`;
  }],
  ['explode', async () => {
    throw new Error('disk on fire');
  }],
  ['huge', async (input) => {
    const { chars, fail } = input as { chars: number; fail: boolean };
    if (fail) throw new NonRetryableError(`bad columns: ${'x'.repeat(chars)}`);
    return 'y'.repeat(chars);
  }],
  ['gate', async (input) => {
    const key = String(input);
    entered.add(key);
    await gates.get(key)?.opened;
    return `passed ${key}`;
  }],
]);

// ---- orchestrators ----

type FanOutInput = { tag: string; children: number; steps: number };

const orchestrations = new Map<string, OrchestrationHandler>([
  ['fanOutParent', function* (context: OrchestrationContext) {
    const { tag, children, steps } = context.df.getInput<FanOutInput>();
    const tasks = Array.from({ length: children }, (_, child) => context.df.callSubOrchestrator('stepsChild', { tag, child, steps }));
    const totals = (yield context.df.Task.all(tasks)) as number[];
    return { children: totals.length, total: totals.reduce((sum, n) => sum + n, 0) };
  }],
  ['stepsChild', function* (context: OrchestrationContext) {
    const { tag, child, steps } = context.df.getInput<{ tag: string; child: number; steps: number }>();
    let total = 0;
    for (let step = 0; step < steps; step++) total += (yield context.df.callActivity('work', { tag, child, step })) as number;
    return total;
  }],
  ['catchingParent', function* (context: OrchestrationContext) {
    try {
      yield context.df.callSubOrchestrator('explodingChild', null);
      return { caught: null };
    } catch (err) {
      return { caught: (err as Error).message };
    }
  }],
  ['explodingChild', function* (context: OrchestrationContext) {
    yield context.df.callActivity('explode', null);
  }],
  ['retryingParent', function* (context: OrchestrationContext) {
    const { tag, failures, childId } = context.df.getInput<{ tag: string; failures: number; childId?: string }>();
    return yield context.df.callSubOrchestratorWithRetry('flakyChild', new df.RetryOptions(20, 3), { tag, failures }, childId);
  }],
  ['flakyChild', function* (context: OrchestrationContext) {
    return yield context.df.callActivity('flaky', context.df.getInput());
  }],
  ['eventWaiter', function* (context: OrchestrationContext) {
    const { gateKey } = context.df.getInput<{ gateKey?: string }>();
    if (gateKey) yield context.df.callActivity('gate', gateKey);
    const approval: unknown = yield context.df.waitForExternalEvent('approve');
    return { approval, parent: context.df.parentInstanceId || null };
  }],
  ['eventParent', function* (context: OrchestrationContext) {
    return yield context.df.callSubOrchestrator('eventWaiter', {}, context.df.getInput<string>());
  }],
  ['hugeCaller', function* (context: OrchestrationContext) {
    try {
      const result = (yield context.df.callActivity('huge', context.df.getInput())) as string;
      return { length: result.length };
    } catch (err) {
      return { caught: (err as Error).message };
    }
  }],
  ['hugeInput', function* (context: OrchestrationContext) {
    yield context.df.callActivity('huge', { chars: 1, fail: false, padding: 'z'.repeat(context.df.getInput<number>()) });
    return 'scheduled';
  }],
  ['gatedParent', function* (context: OrchestrationContext) {
    const { tag, children } = context.df.getInput<{ tag: string; children: number }>();
    const tasks = Array.from({ length: children }, (_, child) => context.df.callSubOrchestrator('gatedChild', { tag, child }));
    const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 3_600_000));
    yield context.df.Task.all([...tasks, timer]);
    return 'not terminated';
  }],
  ['gatedChild', function* (context: OrchestrationContext) {
    const { tag, child } = context.df.getInput<{ tag: string; child: number }>();
    yield context.df.callActivity('gate', `${tag}:${child}`);
    return yield context.df.callActivity('work', { tag, child, step: 0 });
  }],
]);

// ---- helpers ----

const errors: string[] = [];
const expectedError = /simulated crash|engine (is )?stopped/;

function newEngine(engineStore: InstanceStore = store, maxConcurrentActivities = 4): LocalDurableEngine {
  return new LocalDurableEngine({
    store: engineStore,
    orchestrations,
    activities,
    maxConcurrentActivities,
    log: (level, ...args) => {
      const line = args.map(String).join(' ');
      if (level === 'error' && !expectedError.test(line)) errors.push(line);
    },
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 15))) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
  }
}

function waitForStatus(instanceId: string, ...statuses: InstanceStatus[]): Promise<InstanceRecord> {
  return waitFor(async () => {
    const record = await store.get(instanceId);
    return record && statuses.includes(record.status) ? record : undefined;
  }, `${instanceId} to be ${statuses.join('/')}`);
}

const ofType = (events: HistoryEvent[], type: number) => events.filter((event) => event.EventType === type);

/** The output of fanOutParent: each child sums child * 100 + step over its steps. */
const fanOutTotal = (children: number, steps: number) => {
  let total = 0;
  for (let child = 0; child < children; child++) for (let step = 0; step < steps; step++) total += child * 100 + step;
  return total;
};

/** A store that "crashes" (stops its engine, writes nothing) at the first write a predicate picks. */
class CrashingStore extends InstanceStore {
  crashed = false;
  constructor(private readonly crashAt: (op: 'create' | 'save' | 'append', instanceId: string, payload: InstanceRecord | HistoryEvent[]) => boolean, private readonly crash: () => void) {
    super(instances, history);
  }

  private check(op: 'create' | 'save' | 'append', instanceId: string, payload: InstanceRecord | HistoryEvent[]): void {
    if (this.crashed) throw new Error('simulated crash: store is gone');
    if (!this.crashAt(op, instanceId, payload)) return;
    this.crashed = true;
    this.crash();
    throw new Error('simulated crash');
  }

  override async create(record: InstanceRecord): Promise<boolean> {
    this.check('create', record.instanceId, record);
    return super.create(record);
  }

  override async save(record: InstanceRecord): Promise<void> {
    this.check('save', record.instanceId, record);
    return super.save(record);
  }

  override async appendHistory(instanceId: string, offset: number, events: HistoryEvent[]): Promise<void> {
    this.check('append', instanceId, events);
    return super.appendHistory(instanceId, offset, events);
  }
}

// ---- tests ----

describe('sub-orchestrations', () => {
  it('fans out to 20 children of 5 activities each; the parent history holds the 20 children, not 100 activities', async () => {
    maxConcurrent = 0;
    const engine = newEngine(store, 4);
    try {
      await engine.startIfAbsent('fanOutParent', 'fan20', { tag: 'fan20', children: 20, steps: 5 });
      const done = await waitForStatus('fan20', 'Completed', 'Failed');
      expect(done).toMatchObject({ status: 'Completed', output: { children: 20, total: fanOutTotal(20, 5) } });

      const parentHistory = await store.loadHistory('fan20');
      expect(ofType(parentHistory, EventType.SubOrchestrationInstanceCreated)).toHaveLength(20);
      expect(ofType(parentHistory, EventType.SubOrchestrationInstanceCompleted)).toHaveLength(20);
      expect(ofType(parentHistory, EventType.TaskScheduled)).toHaveLength(0);
      expect(parentHistory.length).toBeLessThan(70);
      // Children get the deterministic ids of the Durable Task framework and point back at their parent task.
      const created = ofType(parentHistory, EventType.SubOrchestrationInstanceCreated);
      expect(created.map((event) => event.InstanceId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `fan20:${i}`).sort());
      const child = await store.get('fan20:7');
      expect(child).toMatchObject({ status: 'Completed', parentInstanceId: 'fan20', parentTaskId: 7, output: fanOutTotal(8, 5) - fanOutTotal(7, 5) });
      expect(ofType(await store.loadHistory('fan20:7'), EventType.TaskScheduled)).toHaveLength(5);

      // 100 activities, each once, never more than the shared limit at a time.
      expect(countTag('fan20')).toBe(100);
      expect(maxConcurrent).toBeLessThanOrEqual(4);
      expect(maxConcurrent).toBeGreaterThan(1);
    } finally {
      await engine.stop();
    }
  });

  it("faults the parent's task with the child's error when a child fails", async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('catchingParent', 'catching', null);
      const done = await waitForStatus('catching', 'Completed', 'Failed');
      expect(done.status).toBe('Completed');
      expect((done.output as { caught: string }).caught).toContain('disk on fire');
      expect(await store.get('catching:0')).toMatchObject({ status: 'Failed', parentInstanceId: 'catching' });
      expect((await store.get('catching:0'))!.error).toContain('disk on fire');
      expect(ofType(await store.loadHistory('catching'), EventType.SubOrchestrationInstanceFailed)).toHaveLength(1);
    } finally {
      await engine.stop();
    }
  });

  it('retries a failing child with callSubOrchestratorWithRetry, with generated and with explicit instance ids', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('retryingParent', 'retrying', { tag: 'retry1', failures: 2 });
      expect(await waitForStatus('retrying', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: 'ok after 3' });
      expect(count('retry1:flaky:0')).toBe(3);
      // Attempts are tasks 0, 2 and 4 (1 and 3 are the backoff timers), each its own child instance.
      expect((await store.get('retrying:0'))!.status).toBe('Failed');
      expect((await store.get('retrying:2'))!.status).toBe('Failed');
      expect((await store.get('retrying:4'))!.status).toBe('Completed');
      const parentHistory = await store.loadHistory('retrying');
      expect(ofType(parentHistory, EventType.SubOrchestrationInstanceFailed)).toHaveLength(2);
      expect(ofType(parentHistory, EventType.TimerFired)).toHaveLength(2);

      // With an explicit id, every attempt starts that instance afresh.
      await engine.startIfAbsent('retryingParent', 'retrying2', { tag: 'retry2', failures: 1, childId: 'retry2-child' });
      expect(await waitForStatus('retrying2', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: 'ok after 2' });
      expect(await store.get('retry2-child')).toMatchObject({ status: 'Completed', parentInstanceId: 'retrying2', parentTaskId: 2 });
      expect(ofType(await store.loadHistory('retry2-child'), EventType.TaskScheduled)).toHaveLength(1);

      // Out of attempts: the parent fails with the child's error.
      await engine.startIfAbsent('retryingParent', 'retrying3', { tag: 'retry3', failures: 5 });
      const failed = await waitForStatus('retrying3', 'Completed', 'Failed');
      expect(failed.status).toBe('Failed');
      expect(failed.error).toContain('flaky attempt 3 failed');
      expect(count('retry3:flaky:0')).toBe(3);
    } finally {
      await engine.stop();
    }
  });
});

describe('crash and resume with sub-orchestrations', () => {
  const children = 8;
  const steps = 5;

  type CrashPoint = (op: 'create' | 'save' | 'append', instanceId: string, payload: InstanceRecord | HistoryEvent[], tag: string) => boolean;
  const isChildOf = (instanceId: string, tag: string) => instanceId.startsWith(`${tag}:`);
  const events = (payload: InstanceRecord | HistoryEvent[]) => (Array.isArray(payload) ? payload : []);

  const crashPoints: Array<[string, CrashPoint | 'activity']> = [
    ['mid-children (at the 17th activity)', 'activity'],
    ['after the parent persisted its children but before the 4th child instance exists', (op, id, _payload, tag) => op === 'create' && id === `${tag}:3`],
    ['after a child completed but before the parent saw it', (op, id, payload, tag) => op === 'append' && id === tag && ofType(events(payload), EventType.SubOrchestrationInstanceCompleted).length > 0],
    ['while a child records its completion', (op, id, payload, tag) => op === 'save' && isChildOf(id, tag) && (payload as InstanceRecord).status === 'Completed'],
  ];

  it.each(crashPoints)('finishes parent and children after a crash %s', async (_label, crashAt) => {
    const tag = `crash${crashPoints.findIndex(([label]) => label === _label)}`;
    let first: LocalDurableEngine | undefined;
    let stopping: Promise<void> | undefined;
    const crash = () => (stopping ??= first!.stop());
    const crashingStore = new CrashingStore((op, id, payload) => crashAt !== 'activity' && crashAt(op, id, payload, tag), crash);
    first = newEngine(crashingStore);
    if (crashAt === 'activity') onWork.set(tag, (_key, total) => total >= 17 && crash());

    await first.startIfAbsent('fanOutParent', tag, { tag, children, steps });
    await waitFor(async () => (stopping ? true : undefined), 'the crash');
    await stopping;
    onWork.delete(tag);
    expect((await store.get(tag))!.status).toBe('Running');
    if (_label.startsWith('after a child completed')) {
      // The point of this case: a child has ended while its parent's history does not say so.
      const ended = await Promise.all(Array.from({ length: children }, (_, i) => store.get(`${tag}:${i}`)));
      expect(ended.some((record) => record?.status === 'Completed')).toBe(true);
      expect(ofType(await store.loadHistory(tag), EventType.SubOrchestrationInstanceCompleted)).toHaveLength(0);
    }
    const before = new Map([...executions].filter(([key]) => key.startsWith(`${tag}:`)));

    const second = newEngine();
    try {
      expect(await second.resumeAll()).toBeGreaterThan(0);
      const done = await waitForStatus(tag, 'Completed', 'Failed');
      expect(done).toMatchObject({ status: 'Completed', output: { children, total: fanOutTotal(children, steps) } });
      for (let child = 0; child < children; child++) {
        expect((await store.get(`${tag}:${child}`))!.status).toBe('Completed');
        for (let step = 0; step < steps; step++) {
          const key = `${tag}:${child}:${step}`;
          // At least once, at most once more than needed, and at most once by the second engine.
          expect(count(key)).toBeGreaterThanOrEqual(1);
          expect(count(key)).toBeLessThanOrEqual(2);
          expect(count(key) - (before.get(key) ?? 0)).toBeLessThanOrEqual(1);
        }
      }
      const parentHistory = await store.loadHistory(tag);
      expect(ofType(parentHistory, EventType.SubOrchestrationInstanceCreated)).toHaveLength(children);
      expect(ofType(parentHistory, EventType.SubOrchestrationInstanceCompleted)).toHaveLength(children);
      expect(overlapping).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe('external events', () => {
  it('delivers an event raised before the orchestrator waits for it (buffered in the history)', async () => {
    const engine = newEngine();
    try {
      gate('early');
      await engine.startIfAbsent('eventWaiter', 'early-event', { gateKey: 'early' });
      await waitFor(async () => (entered.has('early') ? true : undefined), 'the gate activity');
      await engine.raiseEvent('early-event', 'approve', { by: 'alice' });
      expect(ofType(await store.loadHistory('early-event'), EventType.EventRaised)).toHaveLength(1);
      expect((await store.get('early-event'))!.status).toBe('Running');
      gates.get('early')!.open();
      expect(await waitForStatus('early-event', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { approval: { by: 'alice' }, parent: null } });
    } finally {
      await engine.stop();
    }
  });

  it('delivers an event raised while the orchestrator waits; unknown ids are an error, ended instances are left alone', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('eventWaiter', 'late-event', {});
      await waitForStatus('late-event', 'Running');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await store.get('late-event'))!.status).toBe('Running');
      await engine.raiseEvent('late-event', 'approve', 42);
      expect(await waitForStatus('late-event', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { approval: 42 } });

      await expect(engine.raiseEvent('no-such-instance', 'approve', 1)).rejects.toThrow(/No instance with ID 'no-such-instance' found/);
      await engine.raiseEvent('late-event', 'approve', 43);
      expect(ofType(await store.loadHistory('late-event'), EventType.EventRaised)).toHaveLength(1);
    } finally {
      await engine.stop();
    }
  });

  it('delivers an event to a sub-orchestration started with an explicit id', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('eventParent', 'evt-parent', 'evt-child');
      await waitForStatus('evt-child', 'Running');
      await engine.raiseEvent('evt-child', 'approve', 'yes');
      expect(await waitForStatus('evt-parent', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { approval: 'yes', parent: 'evt-parent' } });
      expect(await store.get('evt-child')).toMatchObject({ status: 'Completed', parentInstanceId: 'evt-parent', parentTaskId: 0 });
    } finally {
      await engine.stop();
    }
  });

  it('survives a restart between the event and the wait', async () => {
    const first = newEngine();
    gate('restart');
    await first.startIfAbsent('eventWaiter', 'restart-event', { gateKey: 'restart' });
    await waitFor(async () => (entered.has('restart') ? true : undefined), 'the gate activity');
    await first.raiseEvent('restart-event', 'approve', 'persisted');
    await first.stop();
    gates.get('restart')!.open();

    const second = newEngine();
    try {
      await second.resumeAll();
      expect(await waitForStatus('restart-event', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { approval: 'persisted' } });
    } finally {
      await second.stop();
    }
  });
});

describe('termination', () => {
  it('terminates a parent with running children: all end Terminated, nothing more starts, late results are ignored', async () => {
    // Two activity slots for three children: two gates run, the third waits for a slot.
    const engine = newEngine(store, 2);
    const tag = 'term';
    for (let child = 0; child < 3; child++) gate(`${tag}:${child}`);
    try {
      await engine.startIfAbsent('gatedParent', tag, { tag, children: 3 });
      await waitFor(async () => ([0, 1, 2].filter((child) => entered.has(`${tag}:${child}`)).length === 2 ? true : undefined), 'two gates entered');
      await waitFor(async () => ((await Promise.all([0, 1, 2].map((child) => store.get(`${tag}:${child}`)))).every((record) => record?.status === 'Running') ? true : undefined), 'three running children');

      await engine.terminate(tag, 'user cancelled');
      expect(await store.get(tag)).toMatchObject({ status: 'Terminated', output: 'user cancelled' });
      for (let child = 0; child < 3; child++) expect(await store.get(`${tag}:${child}`)).toMatchObject({ status: 'Terminated', output: 'user cancelled' });
      // The parent's one-hour timer is no longer armed.
      expect((engine as unknown as { timers: Set<unknown> }).timers.size).toBe(0);
      expect(ofType(await store.loadHistory(tag), EventType.ExecutionTerminated)).toHaveLength(1);

      const lengths = await Promise.all([0, 1, 2].map(async (child) => (await store.loadHistory(`${tag}:${child}`)).length));
      for (let child = 0; child < 3; child++) gates.get(`${tag}:${child}`)!.open();
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The waiting activity never started, the finished ones were not recorded, and no next step ran.
      expect([0, 1, 2].filter((child) => entered.has(`${tag}:${child}`))).toHaveLength(2);
      expect(await Promise.all([0, 1, 2].map(async (child) => (await store.loadHistory(`${tag}:${child}`)).length))).toEqual(lengths);
      expect(countTag(tag)).toBe(0);
      expect((await store.get(tag))!.status).toBe('Terminated');

      await engine.terminate(tag, 'again');
      expect((await store.get(tag))!.output).toBe('user cancelled');
      await expect(engine.terminate('no-such-instance', 'x')).rejects.toThrow(/No instance with ID/);
    } finally {
      await engine.stop();
    }
  });

  it('ends the children of a parent terminated just before a crash when the engine resumes', async () => {
    const tag = 'termcrash';
    gate(`${tag}:0`);
    let first: LocalDurableEngine | undefined;
    let stopping: Promise<void> | undefined;
    // Crash as soon as the parent's Terminated record is written, before its children hear of it.
    const crashingStore = new CrashingStore(() => false, () => (stopping ??= first!.stop()));
    const realSave = crashingStore.save.bind(crashingStore);
    crashingStore.save = async (record) => {
      await realSave(record);
      if (record.instanceId === tag && record.status === 'Terminated') stopping ??= first!.stop();
    };
    first = newEngine(crashingStore);
    await first.startIfAbsent('gatedParent', tag, { tag, children: 1 });
    await waitFor(async () => (entered.has(`${tag}:0`) ? true : undefined), 'the gate');
    await first.terminate(tag, 'stop it').catch(() => undefined);
    await stopping;
    expect((await store.get(tag))!.status).toBe('Terminated');
    expect((await store.get(`${tag}:0`))!.status).toBe('Running');

    const second = newEngine();
    try {
      await second.resumeAll();
      expect(await waitForStatus(`${tag}:0`, 'Terminated', 'Completed', 'Failed')).toMatchObject({ status: 'Terminated', output: 'stop it' });
      gates.get(`${tag}:0`)!.open();
    } finally {
      await second.stop();
    }
  });
});

describe('oversize payloads never leave an instance hanging', () => {
  it('caps an activity error of a megabyte; the orchestrator gets the start of it', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('hugeCaller', 'huge-error', { chars: 1_000_000, fail: true });
      const record = await waitForStatus('huge-error', 'Completed', 'Failed');
      const caught = (record.output as { caught: string }).caught;
      // The replay executor prefixes the error's type.
      expect(caught.startsWith('NonRetryableError: bad columns: xxx')).toBe(true);
      expect(caught).toMatch(/… \[[\d,]+ more characters cut\]$/);
      expect(caught.length).toBeLessThan(20_000);
    } finally {
      await engine.stop();
    }
  });

  it('fails the task of an activity whose result is too large for a history event, with the reason', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('hugeCaller', 'huge-result', { chars: maxEventChars + 1, fail: false });
      const record = await waitForStatus('huge-result', 'Completed', 'Failed');
      expect(record.output).toEqual({ caught: expect.stringMatching(/^OversizeEventError: Activity huge returned [\d,]+ characters; the local runtime keeps at most [\d,]+ per history event/) });
    } finally {
      await engine.stop();
    }
  });

  it('stores a result larger than one table property across several, and reads it back after a restart', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('hugeCaller', 'big-result', { chars: 100_000, fail: false });
      expect(await waitForStatus('big-result', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { length: 100_000 } });
    } finally {
      await engine.stop();
    }
    const completed = ofType(await store.loadHistory('big-result'), EventType.TaskCompleted);
    expect(completed).toHaveLength(1);
    expect(JSON.parse(String(completed[0]!.Result))).toBe('y'.repeat(100_000));
  });

  it('fails an instance whose own action is too large to store, instead of replaying it forever', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('hugeInput', 'huge-input', maxEventChars);
      const record = await waitForStatus('huge-input', 'Completed', 'Failed');
      expect(record).toMatchObject({ status: 'Failed', errorType: 'OversizeEventError', error: expect.stringMatching(/a history event \(TaskScheduled huge\) of [\d,]+ characters exceeds/) });
    } finally {
      await engine.stop();
    }
  });

  it('refuses a raised event too large to store, and the instance still takes the next one', async () => {
    const engine = newEngine();
    try {
      await engine.startIfAbsent('eventWaiter', 'huge-event', {});
      await waitForStatus('huge-event', 'Running');
      await expect(engine.raiseEvent('huge-event', 'approve', 'a'.repeat(maxEventChars))).rejects.toThrow(/Event approve for huge-event is \d+ characters/);
      await engine.raiseEvent('huge-event', 'approve', 'small');
      expect(await waitForStatus('huge-event', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { approval: 'small' } });
    } finally {
      await engine.stop();
    }
  });

  // cancelRun awaits raiseEvent: a history write that failed once left the caller waiting forever.
  it('answers a raiser whose event could not be stored, and stores it with the next episode', async () => {
    let failNext = true;
    const failingStore = new InstanceStore(instances, history);
    const realAppend = failingStore.appendHistory.bind(failingStore);
    failingStore.appendHistory = async (instanceId, offset, events) => {
      if (instanceId === 'unstored-event' && failNext && events.some((event) => event.EventType === EventType.EventRaised)) {
        failNext = false;
        throw new Error('storage is having a moment');
      }
      return realAppend(instanceId, offset, events);
    };
    const engine = new LocalDurableEngine({ store: failingStore, orchestrations, activities, maxConcurrentActivities: 2, log: () => undefined });
    try {
      await engine.startIfAbsent('eventWaiter', 'unstored-event', {});
      await waitForStatus('unstored-event', 'Running');
      await expect(engine.raiseEvent('unstored-event', 'approve', 'first')).rejects.toThrow('storage is having a moment');
      await engine.raiseEvent('unstored-event', 'approve', 'second');
      // The first event waited in the inbox and went in with the second: the orchestrator took the first.
      expect(await waitForStatus('unstored-event', 'Completed', 'Failed')).toMatchObject({ status: 'Completed', output: { approval: 'first' } });
    } finally {
      await engine.stop();
    }
  });
});

describe('engine log', () => {
  it('logged no unexpected errors', () => {
    expect(errors).toEqual([]);
  });
});
