import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { getServices } from '../../src/services.js';
import { newRunId, scheduledRunId } from '../../src/jobs/runId.js';
import { acquireRunLease, releaseRunLease } from '../../src/jobs/runLease.js';
import { enqueueRun } from '../../src/jobs/enqueueRun.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { waitFor } from '../support/waitFor.js';

/**
 * DELETE /api/pipelines/{id} on the real path (PostgreSQL, Azurite, the local runtime): the
 * refusals (If-Match, a run holding the lease, a dependent), what a delete removes and keeps
 * (read back with clients of the test's own), a pipeline created again under the same id meeting
 * nothing of its predecessor, and a delete racing triggers.
 */
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment('delete', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz NOT NULL, note text)`);
    await db.query(`INSERT INTO orders SELECT i, timestamptz '2024-01-01' + i * interval '1 minute', 'order ' || i FROM generate_series(1, 500) i`);
    await db.query(`CREATE FUNCTION slow_row(seconds float8) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(seconds) IS NULL'`);
  });
});

afterAll(async () => {
  await env?.stop();
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const slowQuery = (seconds: number) => `SELECT id, note, slow_row(${seconds}) AS slept FROM orders WHERE id <= 40`;

const table = (name: string) => TableClient.fromConnectionString(env.azurite.connectionString, name, { allowInsecureConnection: true });
async function entities(name: string, partitionKey: string): Promise<Array<Record<string, unknown>>> {
  const found: Array<Record<string, unknown>> = [];
  for await (const entity of table(name).listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${partitionKey}'` } })) found.push(entity);
  return found;
}
const pointRead = (name: string, partitionKey: string, rowKey: string) => table(name).getEntity<Record<string, unknown>>(partitionKey, rowKey).catch(() => undefined);

async function createPipeline(spec: Record<string, unknown>) {
  const created = await env.api.post('/api/pipelines', { source, output: { container: 'deletes' }, ...spec });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { etag: created.headers.get('etag')!, body: created.body! };
}

async function remove(pipelineId: string, headers: Record<string, string>, query = '') {
  const response = await fetch(`${env.runtime.url}/api/pipelines/${pipelineId}${query}`, { method: 'DELETE', headers: { 'content-type': 'application/json', ...headers } });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

async function runToEnd(pipelineId: string): Promise<Record<string, any>> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return env.api.waitForRun(triggered.headers.get('location')!);
}

async function blobNames(prefix: string): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('deletes');
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

/** Fires the scheduler tick as if the time were `at` (the runtime's services share this process). */
async function tickAt(at: Date): Promise<void> {
  const services = await getServices();
  const realNow = services.now;
  services.now = () => at;
  try {
    await env.runtime.fireTimer('schedulerTick');
  } finally {
    services.now = realNow;
  }
}

describe('DELETE /api/pipelines/{id} refusals', () => {
  it('refuses a missing (428), malformed (400) or stale (412) If-Match and an unknown query parameter, changing nothing', async () => {
    const { etag } = await createPipeline({ id: 'guarded', table: { name: 'orders' } });
    const put = await env.api.put('/api/pipelines/guarded', { id: 'guarded', source, table: { name: 'orders' }, output: { container: 'deletes', format: 'csv' } }, { 'if-match': etag });
    expect(put.status).toBe(200);
    const before = await snapshotState(env);

    expect((await remove('guarded', {})).status).toBe(428);
    expect((await remove('guarded', { 'if-match': '*' })).status).toBe(428);
    const malformed = await remove('guarded', { 'if-match': '"abc"' });
    expect(malformed.status).toBe(400);
    expect(malformed.body!.detail).toMatch(/^If-Match:/);
    const stale = await remove('guarded', { 'if-match': etag });
    expect(stale.status).toBe(412);
    const unknown = await remove('guarded', { 'if-match': put.headers.get('etag')! }, '?purge=true');
    expect(unknown.status).toBe(400);
    expect(unknown.body!.errors).toEqual([{ path: 'purge', message: 'not a parameter of this endpoint; it takes purgeHistory' }]);
    const badValue = await remove('guarded', { 'if-match': put.headers.get('etag')! }, '?purgeHistory=yes');
    expect(badValue.status).toBe(400);
    expect(badValue.body!.errors[0].path).toBe('purgeHistory');
    expect((await remove('nope', { 'if-match': put.headers.get('etag')! })).status).toBe(404);

    expect(await snapshotState(env)).toEqual(before);
    expect((await remove('guarded', { 'if-match': put.headers.get('etag')! })).status).toBe(200);
  });

  it('refuses while another pipeline depends on it, naming the dependents', async () => {
    const upstream = await createPipeline({ id: 'upstream', table: { name: 'orders' } });
    await createPipeline({ id: 'downstream-a', table: { name: 'orders' }, dependsOn: ['upstream'] });
    await createPipeline({ id: 'downstream-b', table: { name: 'orders' }, dependsOn: ['upstream'] });
    const refused = await remove('upstream', { 'if-match': upstream.etag });
    expect(refused.status).toBe(409);
    expect(refused.body!.title).toBe('Pipeline upstream has dependents: downstream-a, downstream-b');
    expect(await pointRead('siphonPipelines', 'pipeline', 'upstream')).toBeDefined();
  });

  it('refuses while a run holds the run lease, and deletes once the run has ended', async () => {
    const { etag } = await createPipeline({ id: 'busy', query: slowQuery(0.05), chunking: { column: 'id', chunks: 4, maxParallel: 1 } });
    const triggered = await env.api.post('/api/pipelines/busy/runs');
    const runUrl = triggered.headers.get('location')!;
    await waitFor(() => env.api.get(runUrl), (r) => r.body!.status === 'running', 'the run to start');
    const refused = await remove('busy', { 'if-match': etag });
    expect(refused.status).toBe(409);
    expect(refused.body!.title).toBe(`Pipeline busy has a run in progress: ${triggered.body!.runId}`);
    expect(await pointRead('siphonPipelines', 'pipeline', 'busy')).toBeDefined();
    // The refused delete did not take the lease from the run.
    expect((await pointRead('siphonLeases', 'busy', 'run'))?.runId).toBe(triggered.body!.runId);

    expect((await env.api.waitForRun(runUrl)).status).toBe('succeeded');
    expect((await remove('busy', { 'if-match': etag })).status).toBe(200);
    expect(await pointRead('siphonPipelines', 'pipeline', 'busy')).toBeUndefined();
  });
});

describe('what a delete removes and keeps', () => {
  it('without purgeHistory: removes pipeline, schedule, watermark and lease; keeps runs, chunks and output files', async () => {
    const { etag } = await createPipeline({ id: 'keep-history', table: { name: 'orders' }, incremental: { column: 'updated_at' }, chunking: { column: 'id', chunks: 2 }, schedule: { cron: '0 0 * * * *' } });
    const run = await runToEnd('keep-history');
    expect(run.status).toBe('succeeded');
    expect(await pointRead('siphonWatermarks', 'keep-history', 'cursor')).toBeDefined();
    const files = await blobNames('keep-history/');
    expect(files.length).toBeGreaterThan(0);

    const deleted = await remove('keep-history', { 'if-match': etag });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: 'keep-history', deleted: true, purgedHistory: null });

    expect(await pointRead('siphonPipelines', 'pipeline', 'keep-history')).toBeUndefined();
    expect(await pointRead('siphonWatermarks', 'keep-history', 'cursor')).toBeUndefined();
    expect(await pointRead('siphonLeases', 'keep-history', 'run')).toBeUndefined();
    expect((await entities('siphonRuns', 'keep-history')).map((r) => r.runId)).toEqual([run.runId]);
    expect((await entities('siphonChunks', run.runId)).length).toBe(run.chunksPlanned);
    expect(await blobNames('keep-history/')).toEqual(files);
    expect((await env.api.get('/api/pipelines/keep-history')).status).toBe(404);
  });

  it('with purgeHistory=true: also deletes every run and its chunks, in batches', async () => {
    const { etag } = await createPipeline({ id: 'purge-history', table: { name: 'orders' }, chunking: { column: 'id', chunks: 3 } });
    const runs = [await runToEnd('purge-history'), await runToEnd('purge-history')];
    // More than one batch of runs: records as a scheduler's skips would leave them.
    const services = await getServices();
    for (let i = 0; i < 120; i++) {
      const runId = `20250101T00${String(Math.floor(i / 60)).padStart(2, '0')}${String(i % 60).padStart(2, '0')}Z-0000${String(i).padStart(4, '0')}`;
      await services.runs.create({ pipelineId: 'purge-history', runId, status: 'skipped', reason: 'schedule', requestedAt: '2025-01-01T00:00:00.000Z', rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0 });
    }
    const files = await blobNames('purge-history/');

    const deleted = await remove('purge-history', { 'if-match': etag }, '?purgeHistory=true');
    expect(deleted.status).toBe(200);
    expect(deleted.body!.purgedHistory).toEqual({ runs: 122, chunks: 6, events: expect.any(Number) });
    expect(deleted.body!.purgedHistory.events).toBeGreaterThan(0);
    expect(await entities('siphonRuns', 'purge-history')).toEqual([]);
    for (const run of runs) expect(await entities('siphonChunks', run.runId)).toEqual([]);
    // The timeline goes with its run: no event (or marker) of a purged run is left.
    for (const run of runs) expect(await entities('siphonRunEvents', run.runId)).toEqual([]);
    expect(await blobNames('purge-history/')).toEqual(files);
  });
});

describe('a pipeline created again under the same id', () => {
  it('gets a new generation: its scheduled run at the same fire time has a different id, and the old history stays the old pipeline\'s', async () => {
    const hourly = { id: 'reborn', table: { name: 'orders' }, schedule: { cron: '0 0 * * * *' } };
    const first = await createPipeline(hourly);
    const fire = new Date(Math.floor(Date.parse(first.body.createdAt) / 3_600_000) * 3_600_000 + 3_600_000);
    await tickAt(new Date(fire.getTime() + 1_000));
    const [oldRun] = (await env.api.get('/api/pipelines/reborn/runs')).body!.runs;
    expect(oldRun.runId).toBe(scheduledRunId('reborn', first.body.generation, fire));
    const ended = await env.api.waitForRun(oldRun.url);
    expect(ended.status).toBe('succeeded');
    expect(ended.pipelineGeneration).toBe(first.body.generation);

    expect((await remove('reborn', { 'if-match': first.etag })).status).toBe(200);
    // Created again before the same fire time (the next whole hour), so its tick fires it too.
    const recreated = await createPipeline(hourly);
    expect(recreated.body.generation).not.toBe(first.body.generation);
    await tickAt(new Date(fire.getTime() + 1_000));
    const runs = (await env.api.get('/api/pipelines/reborn/runs')).body!.runs as Array<Record<string, any>>;
    const newRun = runs.find((run) => run.pipelineGeneration === recreated.body.generation);
    // Without the generation in the id the tick would find the old run's record and start nothing.
    expect(newRun?.runId).toBe(scheduledRunId('reborn', recreated.body.generation, fire));
    expect(newRun!.runId).not.toBe(oldRun.runId);
    expect((await env.api.waitForRun(newRun!.url)).status).toBe('succeeded');
    // The kept run still says whose it was, and cannot be retried into the new pipeline.
    expect((await env.api.get(oldRun.url)).body!.pipelineGeneration).toBe(first.body.generation);
    await (await getServices()).runs.update('reborn', oldRun.runId, (run) => ({ ...run, status: 'failed', error: 'made failed by the test' }));
    const retry = await env.api.post(`${oldRun.url}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body!.title).toMatch(/belongs to an earlier pipeline reborn that was deleted/);
    expect((await pointRead('siphonLeases', 'reborn', 'run'))).toBeUndefined();
  });
});

describe('a delete racing triggers', () => {
  it('leaves no run of the deleted pipeline going, whichever wins', async () => {
    const outcomes: string[] = [];
    // The triggers start this many ms after the delete: from together to after it.
    const triggerDelays = [0, 0, 3, 6, 12, 25];
    for (const [round, delay] of triggerDelays.entries()) {
      const id = `racing-${round}`;
      const { etag } = await createPipeline({ id, table: { name: 'orders' } });
      const later = <T>(ms: number, action: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => action().then(resolve, reject), ms));
      const [deleted, ...triggers] = await Promise.all([
        remove(id, { 'if-match': etag }),
        ...Array.from({ length: 10 }, () => later(delay, () => env.api.post(`/api/pipelines/${id}/runs`))),
      ]);
      outcomes.push(`${deleted.status}/${triggers.map((t) => t.status).join(',')}`);
      expect([200, 409]).toContain(deleted.status);
      for (const trigger of triggers) expect([202, 404, 409]).toContain(trigger.status);
      const accepted = triggers.filter((t) => t.status === 202);
      // One run at a time: at most one trigger got through.
      expect(accepted.length).toBeLessThanOrEqual(1);
      if (deleted.status === 200) {
        // Deleted: no run record may be left queued or running, and nothing holds the lease.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const runs = await entities('siphonRuns', id);
        expect(runs.filter((run) => !['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'].includes(String(run.status)))).toEqual([]);
        expect(await pointRead('siphonLeases', id, 'run')).toBeUndefined();
      } else {
        // Refused because a trigger held the lease: that run goes on and ends, the pipeline stays.
        expect(deleted.body!.title).toMatch(/has a run in progress/);
        expect(accepted.length).toBe(1);
        expect((await env.api.waitForRun(accepted[0]!.headers.get('location')!)).status).toBe('succeeded');
        expect((await env.api.get(`/api/pipelines/${id}`)).status).toBe(200);
      }
    }
    // Seen here: a trigger first (delete 409), the delete holding the lease (triggers 409), and after it (404).
    expect(outcomes.length).toBe(triggerDelays.length);
  });

  it('refuses a trigger while the delete holds the lease, and records nothing for one that read the pipeline before the delete', async () => {
    const { etag, body } = await createPipeline({ id: 'interleaved', table: { name: 'orders' } });
    const services = await getServices();
    // The delete's holder, as it is between taking the lease and freeing it.
    expect(await acquireRunLease(services, 'interleaved', { runId: 'deleting-000000000000', attempt: 0 })).toEqual({ acquired: true });
    const refused = await env.api.post('/api/pipelines/interleaved/runs');
    expect(refused.status).toBe(409);
    expect(refused.body!.detail).toMatch(/^pipeline interleaved is being deleted/);
    expect((await remove('interleaved', { 'if-match': etag })).status).toBe(409);
    await releaseRunLease(services, 'interleaved', 'deleting-000000000000');

    expect((await remove('interleaved', { 'if-match': etag })).status).toBe(200);
    // A trigger that read the pipeline (its generation) before the delete and takes the lease after it.
    const late = await enqueueRun(services, { runId: newRunId(new Date()), pipelineId: 'interleaved', reason: 'manual', options: {}, attempt: 0 }, body.generation);
    expect(late).toEqual({ pipelineGone: true });
    // And one that read it before a delete and a new creation under the same id.
    const again = await createPipeline({ id: 'interleaved', table: { name: 'orders' } });
    expect(await enqueueRun(services, { runId: newRunId(new Date()), pipelineId: 'interleaved', reason: 'manual', options: {}, attempt: 0 }, body.generation)).toEqual({ pipelineGone: true });
    expect(await entities('siphonRuns', 'interleaved')).toEqual([]);
    expect(await pointRead('siphonLeases', 'interleaved', 'run')).toBeUndefined();
    expect((await remove('interleaved', { 'if-match': again.etag })).status).toBe(200);
  });
});
