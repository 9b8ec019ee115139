import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { RunStore } from '../../src/store/runStore.js';
import { LeaseStore } from '../../src/store/leaseStore.js';
import { getServices } from '../../src/services.js';
import { scheduledRunId } from '../../src/jobs/runId.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readManifest } from '../../src/local/manifestReader.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Run control on the real path (PostgreSQL, Azurite, the local runtime): cancel, retry of a
 * failed run (whose files its ending deleted) copying it again, timeout, dependency skip, cycle rejection,
 * schedule pause, and a poison job message. The runtime uses a host.json with a short queue
 * visibility timeout so a failing message reaches the poison queue in a second, not a minute.
 */
let env: TestEnvironment;

/** The test's own host.json lives here; removed when the file is done. */
let hostFolder: string | undefined;

beforeAll(async () => {
  const host = JSON.parse(readFileSync(join(process.cwd(), 'host.json'), 'utf8'));
  host.extensions.queues = { ...host.extensions.queues, visibilityTimeout: '00:00:00', maxDequeueCount: 3, maxPollingInterval: '00:00:01' };
  hostFolder = mkdtempSync(join(tmpdir(), 'siphon-host-'));
  const hostJsonPath = join(hostFolder, 'host.json');
  writeFileSync(hostJsonPath, JSON.stringify(host));
  env = await startTestEnvironment('control', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, placed_at timestamptz, note text)`);
    await db.query(`INSERT INTO orders SELECT i, timestamptz '2024-01-01' + i * interval '1 minute', 'order ' || i FROM generate_series(1, 2000) i`);
    // The query check refuses pg_sleep by name; a function of the database's own is the DBA's
    // business, so the slow pipelines call this one.
    await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(seconds) IS NULL'`);
  }, { hostJsonPath });
});

afterAll(async () => {
  await env?.stop();
  if (hostFolder) rmSync(hostFolder, { recursive: true, force: true });
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };

async function createPipeline(spec: Record<string, unknown>) {
  const created = await env.api.post('/api/pipelines', { source, output: { container: 'control' }, ...spec });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created;
}

async function trigger(pipelineId: string, body?: unknown): Promise<string> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`, body);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  // RFC 9110: what runs answers 202 with where to look and when.
  expect(triggered.headers.get('retry-after')).toMatch(/^\d+$/);
  return triggered.headers.get('location')!;
}

async function blobNames(prefix: string): Promise<Map<string, string>> {
  const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('control');
  const names = new Map<string, string>();
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat({ prefix })) names.set(blob.name, blob.properties.etag ?? '');
  return names;
}

/** A query whose rows each take `seconds` to produce, so a run lasts as long as a test needs. */
const slowQuery = (seconds: number) => `SELECT id, note, slow_row(${seconds}) AS slept FROM orders WHERE id <= 40`;

/** The pipeline's run lease as stored, read with a client of the test's own: the run id holding it. */
const leases = () => TableClient.fromConnectionString(env.azurite.connectionString, 'siphonLeases', { allowInsecureConnection: true });
const leaseHolder = async (pipelineId: string) => (await leases().getEntity<{ runId: string }>(pipelineId, 'run').catch(() => undefined))?.runId;

describe('cancel', () => {
  it('ends a running run cancelled, stops its chunks, and writes no manifest', async () => {
    await createPipeline({ id: 'slow-cancel', query: slowQuery(0.05), chunking: { column: 'id', chunks: 8, maxParallel: 1 } });
    const runUrl = await trigger('slow-cancel');
    await waitFor(() => env.api.get(runUrl), (r) => r.body!.status === 'running', 'the run to start');
    const cancelled = await env.api.post(`${runUrl}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body!.status).toBe('cancelled');
    // The orchestration stops scheduling chunks: after a few seconds, far from all are done.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const run = (await env.api.get(runUrl)).body!;
    expect(run.status).toBe('cancelled');
    expect(run.progress.chunksDone).toBeLessThan(run.progress.chunksPlanned);
    expect([...(await blobNames('slow-cancel/')).keys()].filter((name) => name.endsWith('_manifest.json') || name.endsWith('_SUCCESS'))).toEqual([]);
    expect((await env.api.post(`${runUrl}/cancel`)).status).toBe(409);
    // Cancelling released the run lease; the chunks winding down did not take it back.
    expect(await leaseHolder('slow-cancel')).toBeUndefined();
  });

  it('is refused once finalize has claimed the run, which then succeeds and moves on', async () => {
    await createPipeline({ id: 'late-cancel', query: slowQuery(0.05), chunking: { column: 'id', chunks: 2, maxParallel: 1 } });
    const runUrl = await trigger('late-cancel');
    const running = (await waitFor(() => env.api.get(runUrl), (r) => r.body!.status === 'running', 'the run to start')).body!;
    // What finalize writes before its manifest: forced here so the cancel meets it every time.
    const runs = new RunStore(TableClient.fromConnectionString(env.azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true }));
    await runs.update('late-cancel', running.runId, (run) => ({ ...run, finalizingSince: new Date().toISOString() }));
    // Without the fence the cancel would end the run and free its lease while the manifest and
    // the watermark are still to be written, and the next run could read the same window again.
    const refused = await env.api.post(`${runUrl}/cancel`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/finalizing/);
    expect(await leaseHolder('late-cancel')).toBe(running.runId);
    const run = await env.api.waitForRun(runUrl);
    expect(run.status).toBe('succeeded');
    expect([...(await blobNames('late-cancel/')).keys()].some((name) => name.endsWith('_manifest.json'))).toBe(true);
    await waitFor(() => leaseHolder('late-cancel'), (holder) => holder === undefined, 'the finalized run to release its lease');
  });
});

describe('timeout', () => {
  it('ends a run past its timeout timed_out, without a manifest', async () => {
    await createPipeline({ id: 'slow-timeout', query: slowQuery(0.1), chunking: { column: 'id', chunks: 4, maxParallel: 1 }, timeoutMinutes: 0.05 });
    const run = await env.api.waitForRun(await trigger('slow-timeout'), 30_000);
    expect(run.status).toBe('timed_out');
    expect(run.error).toMatch(/timeout of 0.05 minutes/);
    expect(run.progress.chunksDone).toBeLessThan(4);
    // Released by the same activity that wrote timed_out, just after it.
    await waitFor(() => leaseHolder('slow-timeout'), (holder) => holder === undefined, 'the timed-out run to release its lease');
    expect([...(await blobNames('slow-timeout/')).keys()].some((name) => name.endsWith('_manifest.json'))).toBe(false);
  });
});

describe('retry of a failed run', () => {
  it('deletes the failed attempt\'s files at its ending, then copies every chunk again to the same names and lists them all in the manifest', async () => {
    await env.database.query(`CREATE TABLE events (id int PRIMARY KEY, at timestamptz)`);
    // One row in the last chunk holds a value no output type can hold: that chunk fails for good.
    await env.database.query(`INSERT INTO events SELECT i, CASE WHEN i = 950 THEN 'infinity'::timestamptz ELSE timestamptz '2024-01-01' + i * interval '1 hour' END FROM generate_series(1, 1000) i`);
    await createPipeline({ id: 'retry-me', table: { name: 'events' }, chunking: { column: 'id', chunks: 4, maxParallel: 1, strategy: 'equalWidth' }, retry: { maxAttempts: 1 } });
    const runUrl = await trigger('retry-me');
    const failed = await env.api.waitForRun(runUrl);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Timestamp infinity cannot be represented/);
    expect(failed.errorChunk).toBe(3);
    // The ending's cleanup: no file of the failed attempt is left (no manifest lists them), and
    // its chunks are planned again, so a retry cannot list a file that is gone.
    const cleaned = (await waitFor(() => env.api.get(runUrl), (r) => r.body!.cleanedAt !== undefined, 'the failed run to be cleaned up')).body!;
    expect(cleaned.status).toBe('failed');
    expect(cleaned.progress.chunksDone).toBe(0);
    expect(cleaned.chunks.map((chunk: { status: string; files: number }) => `${chunk.status}:${chunk.files}`)).toEqual(['planned:0', 'planned:0', 'planned:0', 'planned:0']);
    expect((await blobNames('retry-me/')).size).toBe(0);
    await waitFor(() => leaseHolder('retry-me'), (holder) => holder === undefined, 'the failed run to release its lease');

    await env.database.query(`UPDATE events SET at = timestamptz '2030-01-01' WHERE id = 950`);
    const retried = await env.api.post(`${runUrl}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(retried.body!.attempt).toBe(1);
    expect(retried.body!.cleanedAt).toBeUndefined();
    const run = await env.api.waitForRun(runUrl);
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(1000);
    const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
    expect(manifest.files.map((file) => file.chunk)).toEqual([0, 1, 2, 3]);
    // Every chunk was copied again (same plan, same names), and the folder holds exactly what the manifest lists.
    const folder = run.manifestPath.slice('control/'.length, -'/_manifest.json'.length);
    expect(manifest.files.map((file) => file.path)).toEqual([0, 1, 2, 3].map((chunk) => `${folder}/part-0000${chunk}-0000.parquet`));
    expect([...(await blobNames('retry-me/')).keys()].sort()).toEqual([...manifest.files.map((file) => file.path), `${folder}/_SUCCESS`, `${folder}/_manifest.json`].sort());
    expect((await env.api.post(`${runUrl}/retry`)).status).toBe(409);
    await waitFor(() => leaseHolder('retry-me'), (holder) => holder === undefined, 'the retried run to release its lease');
  });
});

describe('dependencies', () => {
  it('skips a run whose upstream did not succeed, naming it, and runs once it has', async () => {
    await createPipeline({ id: 'upstream', table: { name: 'orders' } });
    await createPipeline({ id: 'downstream', table: { name: 'orders' }, dependsOn: ['upstream'] });
    const skipped = await env.api.waitForRun(await trigger('downstream'));
    expect(skipped.status).toBe('skipped');
    expect(skipped.statusReason).toBe('upstream pipeline upstream has never run');
    // The trigger took the lease; the skip gives it back, so the next trigger is not refused.
    await waitFor(() => leaseHolder('downstream'), (holder) => holder === undefined, 'the skipped run to release its lease');

    expect((await env.api.waitForRun(await trigger('upstream'))).status).toBe('succeeded');
    expect((await env.api.waitForRun(await trigger('downstream'))).status).toBe('succeeded');
  });

  it('refuses a dependency cycle on update, naming it, and changes nothing', async () => {
    await createPipeline({ id: 'cycle-a', table: { name: 'orders' } });
    await createPipeline({ id: 'cycle-b', table: { name: 'orders' }, dependsOn: ['cycle-a'] });
    const a = await env.api.get('/api/pipelines/cycle-a');
    const { etag, createdAt: _c, updatedAt: _u, schedulePaused: _p, generation: _g, ...spec } = a.body!;
    const refused = await env.api.put('/api/pipelines/cycle-a', { ...spec, dependsOn: ['cycle-b'] }, { 'if-match': etag });
    expect(refused.status).toBe(400);
    expect(refused.body!.detail).toBe('dependsOn: dependency cycle cycle-a -> cycle-b -> cycle-a');
    expect((await env.api.get('/api/pipelines/cycle-a')).headers.get('etag')).toBe(etag);
    expect((await env.api.post('/api/pipelines', { id: 'cycle-c', source, table: { name: 'orders' }, output: { container: 'control' }, dependsOn: ['nope'] })).body!.detail).toBe('dependsOn: unknown pipeline nope');
  });
});

/** Fires the scheduler tick (`times` at once) as if the time were `at` (the runtime's services share this process). */
async function tickAt(at: Date, times = 1): Promise<void> {
  const services = await getServices();
  const realNow = services.now;
  services.now = () => at;
  try {
    await Promise.all(Array.from({ length: times }, () => env.runtime.fireTimer('schedulerTick')));
  } finally {
    services.now = realNow;
  }
}

/** Runs `change` with the services' clock at `at` (a PUT recorded as made then). */
async function asOf<T>(at: Date, change: () => Promise<T>): Promise<T> {
  const services = await getServices();
  const realNow = services.now;
  services.now = () => at;
  try {
    return await change();
  } finally {
    services.now = realNow;
  }
}

/** The first whole minute strictly after `time`. */
const nextMinute = (time: string | Date) => new Date(Math.floor(new Date(time).getTime() / 60_000) * 60_000 + 60_000);
const plus = (time: Date, ms: number) => new Date(time.getTime() + ms);
/** The pipeline's generation, which its scheduled run ids mix in. */
const generationOf = async (pipelineId: string) => (await env.api.get(`/api/pipelines/${pipelineId}`)).body!.generation as string;
const scheduledRuns = async (pipelineId: string) => (await env.api.get(`/api/pipelines/${pipelineId}/runs`)).body!.runs as Array<Record<string, any>>;

describe('schedule pause', () => {
  it('keeps a paused pipeline out of scheduler ticks until it is resumed', async () => {
    const created = await createPipeline({ id: 'every-minute', table: { name: 'orders' }, schedule: { cron: '0 * * * * *' } });
    const paused = await env.api.post('/api/pipelines/every-minute/schedule/pause');
    expect(paused.status).toBe(428);
    const pausedOk = await fetch(`${env.runtime.url}/api/pipelines/every-minute/schedule/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'if-match': created.headers.get('etag')! } });
    expect(pausedOk.status).toBe(200);
    await tickAt(plus(nextMinute(created.body!.createdAt), 1_000));
    expect(await scheduledRuns('every-minute')).toEqual([]);

    const etag = pausedOk.headers.get('etag')!;
    const resumed = await fetch(`${env.runtime.url}/api/pipelines/every-minute/schedule/resume`, { method: 'POST', headers: { 'content-type': 'application/json', 'if-match': etag } });
    expect(resumed.status).toBe(200);
    const fire = nextMinute(((await resumed.json()) as { updatedAt: string }).updatedAt);
    await tickAt(plus(fire, 1_000));
    expect((await scheduledRuns('every-minute')).map((run) => run.runId)).toEqual([scheduledRunId('every-minute', await generationOf('every-minute'), fire)]);
  });
});

describe('the scheduler', () => {
  it('does not fire a time before the pipeline was created, and fires the next one', async () => {
    const created = await createPipeline({ id: 'new-schedule', table: { name: 'orders' }, schedule: { cron: '0 * * * * *' } });
    const createdAt = new Date(created.body!.createdAt as string);
    // Created at, say, 10:00:30: the 10:00:00 fire time is due (within the catch-up) but predates it.
    const fire = nextMinute(createdAt);
    await tickAt(plus(createdAt, 1));
    await tickAt(plus(fire, -1));
    expect(await scheduledRuns('new-schedule')).toEqual([]);
    // Twenty hosts ticking at once with the lease free: one run, recorded once, and it runs.
    await tickAt(plus(fire, 1_000), 20);
    const runs = await scheduledRuns('new-schedule');
    expect(runs.map((run) => [run.runId, run.reason])).toEqual([[scheduledRunId('new-schedule', await generationOf('new-schedule'), fire), 'schedule']]);
    expect((await env.api.waitForRun(runs[0]!.url as string)).status).toBe('succeeded');
  });

  it('does not fire a time before its schedule was changed by PUT, but a PUT that keeps the schedule changes nothing', async () => {
    const daily = { cron: '0 0 3 * * *', timeZone: 'UTC' };
    const changed = await createPipeline({ id: 'changed-schedule', table: { name: 'orders' }, schedule: daily });
    const kept = await createPipeline({ id: 'kept-schedule', table: { name: 'orders' }, schedule: { cron: '0 * * * * *' } });
    // Both PUTs are made three minutes after creation, by the services' clock.
    const putAt = plus(new Date(changed.body!.createdAt as string), 3 * 60_000);
    const put = async (stored: Awaited<ReturnType<typeof createPipeline>>, change: Record<string, unknown>) => {
      const { etag, createdAt: _c, updatedAt: _u, schedulePaused: _p, generation: _g, ...spec } = stored.body!;
      const answer = await asOf(putAt, () => env.api.put(`/api/pipelines/${String(spec.id)}`, { ...spec, ...change }, { 'if-match': String(etag) }));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    };
    await put(changed, { schedule: { cron: '0 * * * * *', timeZone: 'UTC' } });
    await put(kept, { description: 'same schedule, new words' });

    // The fire time just before the PUT is after both creations and within the catch-up window:
    // only the pipeline whose schedule changed leaves it unfired.
    const beforePut = new Date(Math.floor(putAt.getTime() / 60_000) * 60_000);
    expect(beforePut.getTime()).toBeGreaterThan(Date.parse(kept.body!.createdAt as string));
    await tickAt(plus(putAt, 1));
    expect(await scheduledRuns('changed-schedule')).toEqual([]);
    expect((await scheduledRuns('kept-schedule')).map((run) => run.runId)).toEqual([scheduledRunId('kept-schedule', await generationOf('kept-schedule'), beforePut)]);

    const fire = nextMinute(putAt);
    await tickAt(plus(fire, 1_000));
    expect((await scheduledRuns('changed-schedule')).map((run) => run.runId)).toEqual([scheduledRunId('changed-schedule', await generationOf('changed-schedule'), fire)]);
  });
});

describe('the run lease', () => {

  it('refuses a retry while another run holds the lease (409 naming it), and lets it go once that run is cancelled', async () => {
    const fastQuery = 'SELECT id, note FROM not_there_yet';
    await createPipeline({ id: 'lease-retry', query: fastQuery });
    const failedUrl = await trigger('lease-retry');
    const failed = await env.api.waitForRun(failedUrl);
    expect(failed.status).toBe('failed');
    // Its failure released the lease.
    expect(await leaseHolder('lease-retry')).toBeUndefined();

    await env.database.query(`CREATE TABLE not_there_yet AS SELECT id, note FROM orders WHERE id <= 40`);
    const setQuery = async (query: string) => {
      const { etag, createdAt: _c, updatedAt: _u, schedulePaused: _p, generation: _g, ...spec } = (await env.api.get('/api/pipelines/lease-retry')).body!;
      expect((await env.api.put('/api/pipelines/lease-retry', { ...spec, query }, { 'if-match': String(etag) })).status).toBe(200);
    };
    await setQuery(slowQuery(0.2));
    const slowUrl = await trigger('lease-retry');
    const slowRunId = slowUrl.split('/').at(-1)!;
    expect(await leaseHolder('lease-retry')).toBe(slowRunId);

    const refused = await env.api.post(`${failedUrl}/retry`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain(slowRunId);
    expect((await env.api.get(failedUrl)).body).toMatchObject({ status: 'failed', attempt: 0 });

    expect((await env.api.post(`${slowUrl}/cancel`)).status).toBe(200);
    expect(await leaseHolder('lease-retry')).toBeUndefined();
    await setQuery(fastQuery);
    const retried = await env.api.post(`${failedUrl}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    expect((await env.api.waitForRun(failedUrl)).status).toBe('succeeded');
    // Finalize closes the record, then releases.
    await waitFor(() => leaseHolder('lease-retry'), (holder) => holder === undefined, 'the finished run to release its lease');
  });

  it('releases the lease of a queued run cancelled through the API', async () => {
    await createPipeline({ id: 'lease-cancel-queued', table: { name: 'orders' } });
    // A run recorded and holding its lease, whose job message has not been taken yet.
    const runId = '20261121T130000Z-0c0c0c0c';
    const runs = new RunStore(TableClient.fromConnectionString(env.azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true }));
    await new LeaseStore(leases()).create('lease-cancel-queued', { runId, attempt: 0, acquiredAt: new Date().toISOString() });
    await runs.create({ pipelineId: 'lease-cancel-queued', runId, status: 'queued', reason: 'manual', requestedAt: new Date().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0 });
    const refused = await env.api.post('/api/pipelines/lease-cancel-queued/runs');
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain(`run ${runId} of pipeline lease-cancel-queued is queued`);

    expect((await env.api.post(`/api/pipelines/lease-cancel-queued/runs/${runId}/cancel`)).status).toBe(200);
    expect(await leaseHolder('lease-cancel-queued')).toBeUndefined();
    expect((await env.api.waitForRun(await trigger('lease-cancel-queued'))).status).toBe('succeeded');
    // Finalize closes the record, then releases.
    await waitFor(() => leaseHolder('lease-cancel-queued'), (holder) => holder === undefined, 'the finished run to release its lease');
  });
});

describe('the job queue', () => {
  it('moves a message that keeps failing to the poison queue and marks its run failed with the reason', async () => {
    await createPipeline({ id: 'poisoned', table: { name: 'orders' } });
    // A queued run holding its lease (as a trigger leaves it) whose job message the starter
    // refuses every time (an option it does not know).
    const runId = '20261121T120000Z-0badbad0';
    const runs = new RunStore(TableClient.fromConnectionString(env.azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true }));
    await new LeaseStore(leases()).create('poisoned', { runId, attempt: 0, acquiredAt: new Date().toISOString() });
    await runs.create({ pipelineId: 'poisoned', runId, status: 'queued', reason: 'manual', requestedAt: new Date().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0 });
    const queue = new QueueClient(env.azurite.connectionString, 'siphon-jobs');
    await queue.sendMessage(Buffer.from(JSON.stringify({ runId, pipelineId: 'poisoned', reason: 'manual', options: { unknown: true } })).toString('base64'));
    const run = await env.api.waitForRun(`/api/pipelines/poisoned/runs/${runId}`, 30_000);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('The job message failed on every delivery (host.json maxDequeueCount) and was moved to the poison queue');
    await waitFor(() => leaseHolder('poisoned'), (holder) => holder === undefined, 'the poisoned run to release its lease');
  });

  it('starts nothing new for a duplicate job message', async () => {
    await createPipeline({ id: 'duplicated', table: { name: 'orders' } });
    const runUrl = await trigger('duplicated');
    const run = await env.api.waitForRun(runUrl);
    const queue = new QueueClient(env.azurite.connectionString, 'siphon-jobs');
    await queue.sendMessage(Buffer.from(JSON.stringify({ runId: run.runId, pipelineId: 'duplicated', reason: 'manual', options: {} })).toString('base64'));
    await waitFor(async () => (await queue.getProperties()).approximateMessagesCount ?? 0, (n) => n === 0, 'the duplicate to be consumed');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const again = (await env.api.get(runUrl)).body!;
    expect(again.status).toBe('succeeded');
    expect(again.endedAt).toBe(run.endedAt);
    expect((await env.api.get('/api/pipelines/duplicated/runs')).body!.runs).toHaveLength(1);
  });
});
