import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { snapshotState } from '../support/stateSnapshot.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { maxErrorChars } from '../../src/errors/capMessage.js';
import { RunStore, runRowKey } from '../../src/store/runStore.js';

/**
 * Specs and run options the API must refuse with 400 naming the field, storing nothing; and a
 * spec that passes every check but cannot run (1,000 columns the table does not have), whose run
 * must fail with a bounded reason instead of staying queued, with cancel answering throughout.
 */
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment('hostile_specs', async (db) => {
    await db.query('CREATE TABLE public.items (id bigint PRIMARY KEY, name text); INSERT INTO public.items SELECT g, \'item \' || g FROM generate_series(1, 50) g');
  });
});

afterAll(async () => {
  await env?.stop();
});

const spec = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { name: 'items' },
  output: { container: 'exports' },
  ...extra,
});

const runsTable = () => TableClient.fromConnectionString(env.azurite.connectionString, 'siphonRuns', { allowInsecureConnection: true });

/** Every table, queue, blob and the source as they are: what a refused request must leave alone. */
const snapshot = () => snapshotState(env);

describe('specs refused at create time: 400 naming the field, nothing stored', () => {
  it.each([
    ['a password URL in the description', spec('leak-description', { description: 'reads postgres://etl:hunter2@db.internal/sales nightly' }), 'description', /connection string with a credential/],
    ['libpq key=value in the description', spec('leak-libpq', { description: 'host=db.internal password=hunter2' }), 'description', /password=, pwd= or passwd=/],
    ['a password in a query comment', { ...spec('leak-comment'), table: undefined, query: 'SELECT id FROM items /* password=hunter2 */' }, 'query', /connection string with a credential/],
    ['a SAS signature in a table name', spec('leak-sas', { table: { name: 'x?sv=2022&sig=Zm9vYmFyYmF6cXV4' } }), 'table.name', /SAS token signature/],
    ['the host storage setting as the source', spec('host-setting', { source: { engine: 'postgres', connectionSetting: 'AzureWebJobsStorage' } }), 'source.connectionSetting', /starting with SIPHON_SOURCE_/],
    ["the host's secrets container", spec('host-container', { output: { container: 'azure-webjobs-secrets' } }), 'output.container', /belong to the Functions host/],
    ["the task hub's leases container", spec('hub-container', { output: { container: 'siphonhub-leases' } }), 'output.container', /Durable task hub/],
    ["another pipeline's folder", spec('intruder', { output: { container: 'exports', pathTemplate: 'victim/{runId}/part-{chunk}-{file}' } }), 'output.pathTemplate', /first folder must be exactly \{pipeline\}/],
    ['a column named twice', spec('twice', { columns: ['id', 'name', 'ID'] }), 'columns', /"id" named twice/],
    ['row groups larger than files', spec('groups', { output: { container: 'exports', maxRowsPerFile: 1_000, rowGroupRows: 5_000 } }), 'output.rowGroupRows', /more than maxRowsPerFile/],
    ['a per-second cron', spec('every-second', { schedule: { cron: '* * * * * *' } }), 'schedule.cron', /fires 60 times a minute/],
  ])('refuses %s', async (_what, body, path, message) => {
    const before = await snapshot();
    const response = await env.api.post('/api/pipelines', JSON.parse(JSON.stringify(body)));
    expect(response.status).toBe(400);
    const issues = response.body!.errors as Array<{ path: string; message: string }>;
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
    expect((await env.api.get(`/api/pipelines/${(body as { id: string }).id}`)).status).toBe(404);
    expect(await snapshot()).toEqual(before);
    expect(before.tables.siphonPipelines ?? []).toEqual([]);
  });
});

describe('run options refused at trigger time', () => {
  it('refuses backfill bounds that are empty or of two kinds, creating no run', async () => {
    expect((await env.api.post('/api/pipelines', spec('items-incremental', { incremental: { column: 'id' } }))).status).toBe(201);
    const before = await snapshot();
    const empty = await env.api.post('/api/pipelines/items-incremental/runs', { options: { backfill: { from: '200', to: '100' } } });
    expect(empty.status).toBe(400);
    expect(empty.body!.errors).toContainEqual({ path: 'options.backfill.to', message: expect.stringMatching(/^must be above from/) });
    const mixed = await env.api.post('/api/pipelines/items-incremental/runs', { options: { backfill: { from: '1', to: '2024-06-01' } } });
    expect(mixed.status).toBe(400);
    expect(mixed.body!.errors).toContainEqual({ path: 'options.backfill.to', message: expect.stringMatching(/^is a date .* but from is a whole number/) });
    expect(await snapshot()).toEqual(before);
    expect((await env.api.get('/api/pipelines/items-incremental/runs')).body!.runs).toEqual([]);
  });

  it('answers 409, not 500, to a retry of a run recorded with options today\'s rules refuse', async () => {
    // A run recorded by an earlier version, before backfill bounds were checked.
    const runId = '20260101T000000Z-0ld0pt10';
    await new RunStore(runsTable()).create({
      pipelineId: 'items-incremental', runId, status: 'failed', reason: 'manual', requestedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:00.000Z',
      rows: 0, bytes: 0, files: 0, chunksPlanned: 0, attempt: 0, options: { backfill: { from: '200', to: '100' } },
    });
    const before = await snapshot();
    const retried = await env.api.post(`/api/pipelines/items-incremental/runs/${runId}/retry`);
    expect(retried.status).toBe(409);
    expect(retried.body!.title).toMatch(/recorded with options this version refuses \(backfill\.to: must be above from/);
    expect(await snapshot()).toEqual(before);
    expect((await env.api.get(`/api/pipelines/items-incremental/runs/${runId}`)).body!).toMatchObject({ status: 'failed', attempt: 0 });
  });
});

describe('a run that cannot start', () => {
  // 1,000 columns the table lacks: the prepare error once outgrew a history event, and the run
  // stayed queued forever while a cancel never answered.
  const missing = Array.from({ length: 999 }, (_, i) => `no_such_column_${String(i).padStart(4, '0')}`);

  it('fails with its reason, capped, and cancel answers', async () => {
    expect((await env.api.post('/api/pipelines', spec('wide', { columns: ['id', ...missing] }))).status).toBe(201);
    const triggered = await env.api.post('/api/pipelines/wide/runs');
    expect(triggered.status).toBe(202);
    const runUrl = triggered.headers.get('location')!;
    const run = await env.api.waitForRun(runUrl, 60_000);
    expect(run.status).toBe('failed');
    // The connector names the first missing columns and counts the rest.
    expect(run.error).toMatch(/has no column "no_such_column_0000", .*"no_such_column_0019" and 979 more \(999 in all\)$/);
    expect(run.error.length).toBeLessThanOrEqual(maxErrorChars + 100);

    // Read back from the table, not from the API's view of it.
    const stored = await runsTable().getEntity<{ status: string; error: string }>('wide', runRowKey(run.runId));
    expect(stored.status).toBe('failed');
    expect(stored.error).toBe(run.error);

    const cancelled = await env.api.post(`${runUrl}/cancel`);
    expect(cancelled.status).toBe(409);
    expect(cancelled.body!.title).toMatch(/already failed/);
  });

  it('answers a cancel of such a run while it is still queued, and the run stays cancelled', async () => {
    const triggered = await env.api.post('/api/pipelines/wide/runs');
    const runUrl = triggered.headers.get('location')!;
    const cancelled = await env.api.post(`${runUrl}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body!.status).toBe('cancelled');
    // The job still starts the orchestration; its prepare sees the cancelled run and leaves it be.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await env.api.get(runUrl)).body!.status).toBe('cancelled');
  });
});
