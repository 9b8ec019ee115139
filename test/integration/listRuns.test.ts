import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { RunStore, type RunRecord } from '../../src/store/runStore.js';
import { RunIndexStore, runIndexRowKey } from '../../src/store/runIndexStore.js';
import { listRunsAcrossPipelines, type IndexPosition } from '../../src/store/listRunsAcrossPipelines.js';
import type { RunStatus } from '../../src/spec/runStatus.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { backfillRunIndex } from '../../src/jobs/backfillRunIndex.js';

/**
 * Run lists through the real HTTP layer of the local runtime: `GET /api/runs` across pipelines
 * from the run index, `GET /api/pipelines/{id}/runs` with `?status=`, `GET /api/pipelines`, their
 * continuation tokens, the index's repair of lost writes, and bad query parameters. Run records
 * are made through RunStore (the one place runs are written) with chosen ids, on days in the
 * past, so the listing crosses day boundaries; what a listing should answer is computed from the
 * list of runs the test made, and the index is read back with a fresh table client.
 */
let env: TestEnvironment;
const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const client = (table: string) => TableClient.fromConnectionString(env.azurite.connectionString, table, { allowInsecureConnection: true });
const indexedRuns = () => new RunStore(client('siphonRuns'), new RunIndexStore(client('siphonRunIndex')));

/** Every run the test made, as the listing should show it. */
const made: RunRecord[] = [];
const dayInMs = 24 * 60 * 60 * 1000;
/** Days in the past, so nothing the runtime does today mixes in. */
const base = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 20 * dayInMs;

function runId(time: number, suffix: string): string {
  return `${new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}-${suffix}`;
}

function record(pipelineId: string, time: number, suffix: string, status: RunStatus): RunRecord {
  const ended = status === 'queued' || status === 'running' ? {} : { endedAt: new Date(time + 60_000).toISOString() };
  return { pipelineId, runId: runId(time, suffix), status, reason: 'manual', requestedAt: new Date(time).toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0, ...ended };
}

async function make(runs: RunRecord[]): Promise<void> {
  const store = indexedRuns();
  for (let i = 0; i < runs.length; i += 25) await Promise.all(runs.slice(i, i + 25).map((run) => store.create(run)));
  made.push(...runs);
}

/** Newest first, as the index orders them. */
const expected = (keep: (run: RunRecord) => boolean) =>
  made
    .filter(keep)
    .sort((a, b) => (runIndexRowKey(a.pipelineId, a.runId) < runIndexRowKey(b.pipelineId, b.runId) ? -1 : 1))
    .map((run) => `${run.pipelineId}/${run.runId}`);

/** Follows the tokens to the end; every page but the last is full. */
async function listAll(path: string, limit: number): Promise<{ ids: string[]; pages: number; statuses: Map<string, string> }> {
  const ids: string[] = [];
  const statuses = new Map<string, string>();
  let token: string | undefined;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const answer = await env.api.get(`${path}${separator}limit=${limit}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    pages++;
    const runs = answer.body!.runs as Array<{ pipelineId: string; runId: string; status: string; url: string; spec?: unknown }>;
    token = answer.body!.continuationToken;
    // A filter never answers with a short page while more matches exist.
    if (token) expect(runs.length, `page ${pages} of ${path}`).toBe(limit);
    for (const run of runs) {
      ids.push(`${run.pipelineId}/${run.runId}`);
      statuses.set(`${run.pipelineId}/${run.runId}`, run.status);
      expect(run.url).toBe(`/api/pipelines/${run.pipelineId}/runs/${run.runId}`);
      expect(run).not.toHaveProperty('spec');
    }
    expect(pages).toBeLessThan(500);
  } while (token);
  return { ids, pages, statuses };
}

const statusCycle: RunStatus[] = ['succeeded', 'succeeded', 'failed', 'succeeded', 'cancelled', 'timed_out', 'succeeded', 'skipped'];

beforeAll(async () => {
  env = await startTestEnvironment('listruns', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY)`);
  });
  for (const id of ['alpha', 'bravo', 'charlie', 'noisy', 'delta']) {
    const created = await env.api.post('/api/pipelines', { id, source, table: { name: 'orders' }, output: { container: 'lists' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
  // Three pipelines, 15 runs each, interleaved over four days (every 97 minutes).
  const runs: RunRecord[] = [];
  for (let n = 0; n < 45; n++) {
    const pipeline = ['alpha', 'bravo', 'charlie'][n % 3]!;
    runs.push(record(pipeline, base + n * 97 * 60_000, `a${String(n).padStart(7, '0')}`, statusCycle[n % statusCycle.length]!));
  }
  // A noisy pipeline: 300 succeeded runs on one day (every 4 minutes) with 3 failed ones among them.
  const noisyDay = base - 3 * dayInMs;
  for (let n = 0; n < 300; n++) runs.push(record('noisy', noisyDay + n * 4 * 60_000 + 1000, `b${String(n).padStart(7, '0')}`, [17, 150, 299].includes(n) ? 'failed' : 'succeeded'));
  await make(runs);
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('GET /api/runs', () => {
  it('lists every run of every pipeline exactly once, newest first, page by page across days', async () => {
    const all = expected(() => true);
    const listed = await listAll('/api/runs', 40);
    expect(listed.ids).toEqual(all);
    expect(new Set(listed.ids).size).toBe(made.length);
    expect(listed.pages).toBe(Math.ceil(made.length / 40));
    // The runs span four UTC days (index partitions) and nine pages, so pages cross day boundaries.
    expect(new Set(made.map((run) => run.runId.slice(0, 8))).size).toBe(4);
  });

  it('filters by one status or several, by pipeline, and by time, also combined', async () => {
    expect((await listAll('/api/runs?status=failed', 4)).ids).toEqual(expected((run) => run.status === 'failed'));
    expect((await listAll('/api/runs?status=cancelled,timed_out', 3)).ids).toEqual(expected((run) => run.status === 'cancelled' || run.status === 'timed_out'));
    expect((await listAll('/api/runs?pipeline=bravo', 4)).ids).toEqual(expected((run) => run.pipelineId === 'bravo'));
    const since = new Date(base + dayInMs).toISOString();
    const until = new Date(base + 2 * dayInMs + 3_600_000).toISOString();
    const inWindow = (run: RunRecord) => run.requestedAt >= since && run.requestedAt < until;
    expect((await listAll(`/api/runs?since=${since}&until=${until}`, 5)).ids).toEqual(expected(inWindow));
    expect((await listAll(`/api/runs?since=${since}&until=${until}&pipeline=alpha&status=succeeded`, 2)).ids).toEqual(expected((run) => inWindow(run) && run.pipelineId === 'alpha' && run.status === 'succeeded'));
    // A date is midnight UTC; since is inclusive, until exclusive.
    const day = new Date(base + dayInMs).toISOString().slice(0, 10);
    const nextDay = new Date(base + 2 * dayInMs).toISOString().slice(0, 10);
    expect((await listAll(`/api/runs?since=${day}&until=${nextDay}`, 10)).ids).toEqual(expected((run) => run.requestedAt.slice(0, 10) === day));
    expect((await listAll('/api/runs?pipeline=delta', 10)).ids).toEqual([]);
  });

  it('fills every page of a sparse filter over hundreds of runs that do not match', async () => {
    const failedNoisy = expected((run) => run.pipelineId === 'noisy' && run.status === 'failed');
    expect(failedNoisy).toHaveLength(3);
    const listed = await listAll('/api/runs?pipeline=noisy&status=failed', 2);
    expect(listed.ids).toEqual(failedNoisy);
    expect(listed.pages).toBe(2);
    // A full last page whose run is the last match of the range has no token.
    const first = await env.api.get('/api/runs?pipeline=noisy&status=failed&limit=3');
    expect(first.body!.runs.map((run: RunRecord) => `${run.pipelineId}/${run.runId}`)).toEqual(failedNoisy);
  });

  it('answers a page within a bounded amount of work, and every token it hands out moves forward', async () => {
    // A budget of a few entries per request: pages come back short or empty, never stuck.
    const stores = { runs: indexedRuns(), index: new RunIndexStore(client('siphonRunIndex')), now: () => new Date() };
    const filters = { pipelineId: 'noisy', statuses: ['failed'] as RunStatus[], since: new Date(base - 10 * dayInMs) };
    const found: string[] = [];
    let after: IndexPosition | undefined;
    let requests = 0;
    let emptyPagesWithToken = 0;
    for (;;) {
      const page = await listRunsAcrossPipelines(stores, filters, 2, after, { queries: 3, entries: 40 });
      if (page.busy) throw new Error('no progress');
      requests++;
      if (page.next && page.runs.length === 0) emptyPagesWithToken++;
      found.push(...page.runs.map((run) => `${run.pipelineId}/${run.runId}`));
      if (!page.next) break;
      // Strictly past where this request began.
      if (after) expect(page.next.day < after.day || (page.next.day === after.day && (after.rowKey === undefined ? false : page.next.rowKey === undefined || page.next.rowKey > after.rowKey))).toBe(true);
      after = page.next;
      expect(requests).toBeLessThan(100);
    }
    expect(found).toEqual(expected((run) => run.pipelineId === 'noisy' && run.status === 'failed'));
    expect(emptyPagesWithToken).toBeGreaterThan(0);
  });
});

describe('the run index', () => {
  it('notices a lost index write: the listing shows the record and rewrites the stale entry', async () => {
    const run = record('charlie', base + 3 * dayInMs + 7_000, 'c0000001', 'running');
    await make([run]);
    // The record ends failed, but the index write beside it is lost (a store without the index).
    await new RunStore(client('siphonRuns')).update('charlie', run.runId, (current) => ({ ...current, status: 'failed', endedAt: new Date(base + 3 * dayInMs + 60_000).toISOString(), error: 'boom' }));
    run.status = 'failed';
    const index = client('siphonRunIndex');
    const key = [run.runId.slice(0, 8), runIndexRowKey('charlie', run.runId)] as const;
    expect((await index.getEntity(...key)).status).toBe('running');

    const listed = await listAll('/api/runs?status=failed&pipeline=charlie', 50);
    expect(listed.ids).toContain(`charlie/${run.runId}`);
    expect(listed.statuses.get(`charlie/${run.runId}`)).toBe('failed');
    expect((await index.getEntity(...key)).status).toBe('failed');
    expect((await listAll('/api/runs?status=running&pipeline=charlie', 50)).ids).not.toContain(`charlie/${run.runId}`);
  });

  it('writes a missing entry at the run’s next write', async () => {
    // A run whose create wrote no entry (written before the index existed).
    const run = record('alpha', base + 3 * dayInMs + 9_000, 'c0000002', 'queued');
    await new RunStore(client('siphonRuns')).create(run);
    expect((await listAll('/api/runs?pipeline=alpha', 100)).ids).not.toContain(`alpha/${run.runId}`);
    await indexedRuns().update('alpha', run.runId, (current) => ({ ...current, status: 'running' }));
    run.status = 'running';
    made.push(run);
    const listed = await listAll('/api/runs?pipeline=alpha', 100);
    expect(listed.ids).toEqual(expected((r) => r.pipelineId === 'alpha'));
    expect(listed.statuses.get(`alpha/${run.runId}`)).toBe('running');
  });

  it('backfills runs recorded before the index existed, batch by batch, without replacing an entry', async () => {
    const legacy = ['succeeded', 'failed', 'skipped'].map((status, n) => record('charlie', base + 3 * dayInMs + (20 + n) * 1000, `d000000${n}`, status as RunStatus));
    for (const run of legacy) await new RunStore(client('siphonRuns')).create(run);
    expect((await listAll('/api/runs?pipeline=charlie', 100)).ids).toEqual(expected((run) => run.pipelineId === 'charlie'));
    const raw = client('siphonRunIndex');
    const existing = made.find((run) => run.pipelineId === 'alpha')!;
    const existingKey = [existing.runId.slice(0, 8), runIndexRowKey('alpha', existing.runId)] as const;
    const etagBefore = (await raw.getEntity(...existingKey)).etag;

    const services = { runs: indexedRuns(), runIndex: new RunIndexStore(client('siphonRunIndex')) };
    let written = 0;
    let calls = 0;
    for (let done = false; !done; calls++) {
      const result = await backfillRunIndex(services, 100);
      written += result.written;
      done = result.done;
      expect(calls).toBeLessThan(10);
    }
    // Every record scanned in batches of 100; only the three without an entry were written.
    expect(calls).toBe(Math.ceil((made.length + legacy.length) / 100));
    expect(written).toBe(3);
    expect((await raw.getEntity(...existingKey)).etag).toBe(etagBefore);
    made.push(...legacy);
    expect((await listAll('/api/runs?pipeline=charlie', 100)).ids).toEqual(expected((run) => run.pipelineId === 'charlie'));
    expect((await listAll('/api/runs?pipeline=charlie&status=skipped', 100)).ids).toEqual(expected((run) => run.pipelineId === 'charlie' && run.status === 'skipped'));
    // Once done, a sweep's call costs one read.
    expect(await backfillRunIndex(services, 100)).toEqual({ written: 0, scanned: 0, done: true });
  });

  it('skips an entry whose record was never created, and drops it once it is old', async () => {
    const index = new RunIndexStore(client('siphonRunIndex'));
    const old = record('bravo', base + 3 * dayInMs + 11_000, 'c0000003', 'queued');
    const recent = record('bravo', Date.now() - 60_000, 'c0000004', 'queued');
    await index.write(old);
    await index.write(recent);
    const listed = await listAll('/api/runs?pipeline=bravo', 100);
    expect(listed.ids).toEqual(expected((run) => run.pipelineId === 'bravo'));
    const raw = client('siphonRunIndex');
    await expect(raw.getEntity(old.runId.slice(0, 8), runIndexRowKey('bravo', old.runId))).rejects.toMatchObject({ statusCode: 404 });
    // A create in progress writes its entry moments before its record: a recent one stays.
    expect((await raw.getEntity(recent.runId.slice(0, 8), runIndexRowKey('bravo', recent.runId))).status).toBe('queued');
    await index.remove('bravo', recent.runId);
  });
});

describe('GET /api/pipelines/{id}/runs and GET /api/pipelines', () => {
  it('pages a pipeline’s runs with tokens and filters them by status', async () => {
    const noisy = await listAll('/api/pipelines/noisy/runs', 70);
    expect(noisy.ids).toEqual(expected((run) => run.pipelineId === 'noisy'));
    expect(noisy.pages).toBe(5);
    expect((await listAll('/api/pipelines/noisy/runs?status=failed', 2)).ids).toEqual(expected((run) => run.pipelineId === 'noisy' && run.status === 'failed'));
    expect((await listAll('/api/pipelines/alpha/runs?status=succeeded,skipped', 3)).ids).toEqual(expected((run) => run.pipelineId === 'alpha' && (run.status === 'succeeded' || run.status === 'skipped')));
  });

  it('pages pipelines in id order', async () => {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const answer = await env.api.get(`/api/pipelines?limit=2${token ? `&continuationToken=${token}` : ''}`);
      expect(answer.status).toBe(200);
      ids.push(...answer.body!.pipelines.map((pipeline: { id: string }) => pipeline.id));
      token = answer.body!.continuationToken;
    } while (token);
    expect(ids).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'noisy']);
    expect((await env.api.get('/api/pipelines')).body!.continuationToken).toBeUndefined();
  });
});

describe('bad query parameters', () => {
  it('are refused with 400 naming the parameter, and change nothing', async () => {
    const runsToken = (await env.api.get('/api/runs?limit=1')).body!.continuationToken as string;
    const pipelinesToken = (await env.api.get('/api/pipelines?limit=1')).body!.continuationToken as string;
    const alphaToken = (await env.api.get('/api/pipelines/alpha/runs?limit=1')).body!.continuationToken as string;
    const tamper = (token: string, change: (position: Record<string, unknown>) => Record<string, unknown>) =>
      Buffer.from(JSON.stringify(change(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')))), 'utf8').toString('base64url');
    const before = await snapshotState(env);
    const refused: Array<[string, string]> = [
      ['/api/runs?stauts=failed', 'stauts'],
      ['/api/runs?status=failed&pipelines=alpha', 'pipelines'],
      ['/api/runs?status=done', 'status'],
      ['/api/runs?status=failed,', 'status'],
      ['/api/runs?status=', 'status'],
      ['/api/runs?status=failed&status=succeeded', 'status'],
      ['/api/runs?pipeline=Not_An_Id', 'pipeline'],
      ['/api/runs?since=yesterday', 'since'],
      ['/api/runs?until=2026-13-01', 'until'],
      ['/api/runs?since=2026-12-01T00:00:00Z&until=2026-12-01T00:00:00Z', 'since'],
      ['/api/runs?since=2026-12-02&until=2026-12-01', 'since'],
      ['/api/runs?since=2020-01-01&until=2026-01-01', 'since'],
      ['/api/runs?limit=0', 'limit'],
      ['/api/runs?limit=1001', 'limit'],
      ['/api/runs?limit=1e2', 'limit'],
      ['/api/runs?limit=', 'limit'],
      ['/api/runs?continuationToken=', 'continuationToken'],
      ['/api/runs?continuationToken=not-a-token', 'continuationToken'],
      ['/api/runs?continuationToken=%7B%22v%22%3A1%7D', 'continuationToken'],
      [`/api/runs?continuationToken=${Buffer.from('[1,2]').toString('base64url')}`, 'continuationToken'],
      [`/api/runs?continuationToken=${pipelinesToken}`, 'continuationToken'],
      [`/api/runs?status=failed&continuationToken=${runsToken}`, 'continuationToken'],
      [`/api/runs?continuationToken=${tamper(runsToken, (p) => ({ ...p, rowKey: `${String(p.rowKey).slice(0, 14)}'or'1'eq'1` }))}`, 'continuationToken'],
      [`/api/runs?continuationToken=${tamper(runsToken, (p) => ({ ...p, day: '20991231' }))}`, 'continuationToken'],
      [`/api/runs?continuationToken=${tamper(runsToken, (p) => ({ ...p, extra: 1 }))}`, 'continuationToken'],
      [`/api/runs?continuationToken=${'A'.repeat(5000)}`, 'continuationToken'],
      ['/api/pipelines?limit=0', 'limit'],
      ['/api/pipelines?offset=5', 'offset'],
      [`/api/pipelines?continuationToken=${runsToken}`, 'continuationToken'],
      [`/api/pipelines?continuationToken=${tamper(pipelinesToken, (p) => ({ ...p, afterId: "x' or PartitionKey ne '" }))}`, 'continuationToken'],
      ['/api/pipelines/alpha/runs?status=nope', 'status'],
      ['/api/pipelines/alpha/runs?pipeline=alpha', 'pipeline'],
      ['/api/pipelines/alpha/runs?limit=1001', 'limit'],
      [`/api/pipelines/bravo/runs?continuationToken=${alphaToken}`, 'continuationToken'],
      [`/api/pipelines/alpha/runs?status=failed&continuationToken=${alphaToken}`, 'continuationToken'],
    ];
    for (const [path, name] of refused) {
      const answer = await env.api.get(path);
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body!.detail, path).toMatch(new RegExp(`^${name}: `));
      expect(answer.body!.errors[0].path, path).toBe(name);
    }
    expect(await snapshotState(env)).toEqual(before);
  });
});

describe('runs the API creates', () => {
  // Last in this file: the run changes state on its own while it goes, and the snapshots above need quiet.
  it('are in the index from the moment they are queued to the end', async () => {
    const triggered = await env.api.post('/api/pipelines/delta/runs');
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
    const queued = await env.api.get('/api/runs?pipeline=delta&limit=5');
    expect(queued.body!.runs.map((run: { runId: string }) => run.runId)).toEqual([triggered.body!.runId]);
    const ended = await env.api.waitForRun(triggered.headers.get('location')!);
    expect(ended.status).toBe('succeeded');
    const index = client('siphonRunIndex');
    const entry = await index.getEntity(String(ended.runId).slice(0, 8), runIndexRowKey('delta', ended.runId));
    expect(entry).toMatchObject({ status: 'succeeded', endedAt: ended.endedAt });
    expect((await env.api.get('/api/runs?pipeline=delta&status=succeeded')).body!.runs).toHaveLength(1);
  });
});
