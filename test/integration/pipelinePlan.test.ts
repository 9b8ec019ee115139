import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { snapshotState } from '../support/stateSnapshot.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Plans and validation against a real PostgreSQL through the HTTP layer: every refusal at once,
 * each at its field; the chunk plan with typed bounds and the incremental window; and a create
 * with ?validateSource=true that the source refuses storing nothing.
 */
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment('plan', async (db) => {
    await db.query(`CREATE TABLE odd (id int PRIMARY KEY, at_tz timetz, span interval, loose numeric, label text, price numeric(10,2), seen timestamptz)`);
    await db.query(`CREATE TABLE events (id int PRIMARY KEY, updated_at timestamptz NOT NULL, note text)`);
    await db.query(`INSERT INTO events SELECT i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute', 'e' || i FROM generate_series(1, 1000) i`);
    await db.query(`ANALYZE events`);
    // Ten rows each, with the planner's estimate of the table's rows (pg_class.reltuples, what the
    // connector reads) set as if they were large: 10^9 and 10^12 rows. Autovacuum leaves a table
    // alone that no write changed since its ANALYZE, so the figures stay.
    // The keys of `huge` are 1 to 10, so its plan has ten ranges however many chunks it asks for.
    for (const [name, rows, step] of [['big', 1e9, 100_000], ['huge', 1e12, 1]] as const) {
      await db.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, note text)`);
      await db.query(`INSERT INTO ${name} SELECT i * ${step}, 'n' || i FROM generate_series(1, 10) i`);
      await db.query(`ANALYZE ${name}`);
      await db.query(`UPDATE pg_class SET reltuples = ${rows} WHERE oid = '${name}'::regclass`);
    }
  });
});

afterAll(async () => {
  await env?.stop();
});

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const output = { container: 'plans' };

describe('GET /api/pipelines/{id}/plan', () => {
  it('lists every unmappable column at once, beside the columns that map with their form in each format', async () => {
    expect((await env.api.post('/api/pipelines', { id: 'odd-types', source, table: { name: 'odd' }, output })).status).toBe(201);
    const before = await snapshotState(env);
    const plan = await env.api.get('/api/pipelines/odd-types/plan');
    expect(plan.status).toBe(200);
    expect(plan.body!.valid).toBe(false);
    // Without the collecting describe, the first of these would be the only one named.
    expect(plan.body!.refusals.map((refusal: { column: string }) => refusal.column)).toEqual(['at_tz', 'span', 'loose']);
    for (const refusal of plan.body!.refusals) expect(refusal.path).toBe('columns');
    expect(plan.body!.refusals[1].reason).toMatch(/column "span" \(interval\): type interval has no faithful output type/);
    expect(plan.body!.columns.map((column: { name: string }) => column.name)).toEqual(['id', 'label', 'price', 'seen']);
    expect(plan.body!.columns[2]).toEqual({
      name: 'price', sourceType: 'numeric(10,2)', nullable: true, outputType: { kind: 'decimal', precision: 10, scale: 2 },
      forms: { parquet: { physical: 'INT64', logical: 'DECIMAL(10,2)' }, csv: 'plain digits with 2 decimals', jsonl: 'string of plain digits', delta: 'decimal(10,2)' },
    });
    expect(plan.body!.columns[3].forms.parquet.logical).toBe('TIMESTAMP(MICROS, isAdjustedToUTC=true)');
    expect(plan.body!.chunks).toMatchObject({ method: 'single', ranges: [{ index: 0, kind: 'all' }] });
    // A plan copies nothing and records nothing.
    expect(await snapshotState(env)).toEqual(before);
  });

  it('shows the chunk bounds as typed text and the incremental window a run would read', async () => {
    expect((await env.api.post('/api/pipelines', {
      id: 'events-plan', source, table: { name: 'events' }, output,
      chunking: { column: 'updated_at', chunks: 4, strategy: 'equalWidth' },
      incremental: { column: 'updated_at', lookbackSeconds: 60 },
    })).status).toBe(201);
    const plan = (await env.api.get('/api/pipelines/events-plan/plan')).body!;
    expect(plan.valid).toBe(true);
    expect(plan.refusals).toEqual([]);
    // No watermark yet: the first run reads everything up to the newest row.
    expect(plan.window).toMatchObject({ column: 'updated_at', kind: 'timestamptz', mode: 'incremental', afterText: null, upToText: '2024-01-01T16:40:00.000000Z' });
    expect(plan.chunks.method).toBe('equalWidth');
    expect(plan.chunks.keyKind).toBe('timestamptz');
    const ranges = plan.chunks.ranges.filter((range: { kind: string }) => range.kind === 'range');
    expect(ranges).toHaveLength(4);
    expect(ranges[0].lowerText).toBe('2024-01-01T00:01:00.000000Z');
    expect(ranges.at(-1).upperText).toBe('2024-01-01T16:40:00.000000Z');
    expect(ranges.at(-1).upperInclusive).toBe(true);
    expect(plan.chunks.estimatedRowsPerChunk).toBe(Math.ceil(plan.chunks.rowsEstimate / 4));
    expect(plan.chunks.rowsEstimate).toBe(1000);
  });

  it('answers 404 for a pipeline that does not exist', async () => {
    expect((await env.api.get('/api/pipelines/no-such/plan')).status).toBe(404);
  });

  it('refuses a query parameter it does not take, naming it, for plan and validate', async () => {
    const plan = await env.api.get('/api/pipelines/events-plan/plan?verbose=1');
    expect(plan.status).toBe(400);
    expect(plan.body!.errors).toEqual([{ path: 'verbose', message: expect.stringMatching(/^not a parameter of this endpoint/) }]);
    const validate = await env.api.post('/api/pipelines:validate?dryRun=true', { id: 'checked', source, output, table: { name: 'events' } });
    expect(validate.status).toBe(400);
    expect(validate.body!.errors).toEqual([{ path: 'dryRun', message: expect.stringMatching(/^not a parameter of this endpoint/) }]);
  });
});

describe('the time budget of a chunk', () => {
  const chunking = { column: 'id', chunks: 8, strategy: 'equalWidth' };

  it('raises the chunks of a large table so each fits half the function timeout, without a warning', async () => {
    expect((await env.api.post('/api/pipelines', { id: 'big-table', source, output, table: { name: 'big' }, chunking })).status).toBe(201);
    const plan = (await env.api.get('/api/pipelines/big-table/plan')).body!;
    // 10^9 rows at the default 10,000 rows/s: 100,000 s, in chunks of at most 27.5 minutes.
    expect(plan.chunks.timeBudget).toEqual({
      budgetMinutes: 27.5, rowsEstimate: 1e9, rowsPerSecond: 10_000, throughputFrom: 'default', throughputRunId: null,
      expectedChunkMinutes: 27.3, specChunks: 8, plannedChunks: 61,
    });
    expect(plan.chunks.ranges).toHaveLength(61);
    expect(plan.warnings).toEqual([]);
  });

  it('warns in the plan and the validate answers, and on the run timeline, when even 10,000 chunks would not fit', async () => {
    const spec = { id: 'huge-table', source, output, table: { name: 'huge' }, chunking };
    const validated = (await env.api.post('/api/pipelines:validate', spec)).body!;
    expect(validated.valid).toBe(true);
    expect(validated.warnings).toEqual([expect.stringMatching(/^Even 10,000 chunks leave about 166\.7 minutes per chunk .*the budget is 27\.5 minutes/)]);
    expect((await env.api.post('/api/pipelines', spec)).status).toBe(201);
    const plan = (await env.api.get('/api/pipelines/huge-table/plan')).body!;
    expect(plan.warnings).toEqual(validated.warnings);
    expect(plan.chunks.timeBudget).toMatchObject({ plannedChunks: 10_000, throughputFrom: 'default' });

    // The run goes ahead (ten rows), its timeline saying what the plan warned.
    const triggered = await env.api.post('/api/pipelines/huge-table/runs');
    expect(triggered.status).toBe(202);
    const runUrl = triggered.headers.get('location')!;
    const run = await waitFor(async () => (await env.api.get(runUrl)).body!, (body) => ['succeeded', 'failed'].includes(body.status), 'the huge-table run ended');
    expect(run.status, run.error).toBe('succeeded');
    const events = (await env.api.get(`${runUrl}/events`)).body!.events as Array<{ type: string; message?: string }>;
    expect(events.filter((event) => event.type === 'planWarning').map((event) => event.message)).toEqual(validated.warnings);

    // The next plan measures the throughput of that run's chunks instead of assuming the default.
    const next = (await env.api.get('/api/pipelines/huge-table/plan')).body!;
    expect(next.chunks.timeBudget).toMatchObject({ throughputFrom: 'lastSuccessfulRun', throughputRunId: run.runId });
    expect(next.warnings).toEqual([expect.stringMatching(/as the last successful run copied/)]);
  });
});

describe('POST /api/pipelines:validate', () => {
  const refusalsOf = async (path: string, spec: Record<string, unknown>) => {
    const answer = await env.api.post(path, { id: 'checked', source, output, ...spec });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body!.valid).toBe(false);
    return answer.body!.refusals as Array<{ path: string; column?: string; reason: string }>;
  };

  it('names a missing app setting, table or column, under both spellings of the route, storing nothing', async () => {
    const before = await snapshotState(env);
    for (const route of ['/api/pipelines:validate', '/api/pipelines/validate']) {
      expect(await refusalsOf(route, { source: { ...source, connectionSetting: 'SIPHON_SOURCE_NOT_SET' }, table: { name: 'events' } })).toEqual([
        { path: 'source.connectionSetting', reason: "App setting SIPHON_SOURCE_NOT_SET, named by the pipeline's source.connectionSetting, is not set" },
      ]);
      const table = await refusalsOf(route, { table: { name: 'no_such_table' } });
      expect(table.map((refusal) => refusal.path)).toEqual(['table']);
      expect(table[0]!.reason).toMatch(/no_such_table/);
      expect(await refusalsOf(route, { table: { name: 'events' }, columns: ['id', 'nope', 'also_nope'] })).toEqual([
        { path: 'columns', column: 'nope', reason: 'Table events has no column "nope"' },
        { path: 'columns', column: 'also_nope', reason: 'Table events has no column "also_nope"' },
      ]);
    }
    const fine = await env.api.post('/api/pipelines:validate', { id: 'checked', source, output, table: { name: 'events' } });
    expect(fine.body).toMatchObject({ valid: true, refusals: [] });
    // A spec the API refuses without a source is 400, as on create.
    expect((await env.api.post('/api/pipelines:validate', { id: 'Bad Id', source, output, table: { name: 'events' } })).status).toBe(400);
    expect(await snapshotState(env)).toEqual(before);
  });
});

describe('POST /api/pipelines?validateSource=true', () => {
  it('refuses with 400 naming each field the source refuses, and stores nothing', async () => {
    const before = await snapshotState(env);
    const refused = await env.api.post('/api/pipelines?validateSource=true', { id: 'strict', source, output, table: { name: 'odd' }, columns: ['id', 'span', 'gone'] });
    expect(refused.status).toBe(400);
    expect(refused.body!.errors.map((error: { path: string }) => error.path)).toEqual(['columns', 'columns']);
    expect(refused.body!.detail).toMatch(/no column "gone".*type interval/);
    expect((await env.api.post('/api/pipelines?validateSource=yes', { id: 'strict', source, output, table: { name: 'events' } })).status).toBe(400);
    expect((await env.api.post('/api/pipelines?validate=true', { id: 'strict', source, output, table: { name: 'events' } })).body!.errors).toEqual([{ path: 'validate', message: 'not a parameter of this endpoint; it takes validateSource' }]);
    expect(await snapshotState(env)).toEqual(before);
    // Accepted when the source agrees; without the flag the source is not consulted.
    expect((await env.api.post('/api/pipelines?validateSource=true', { id: 'strict', source, output, table: { name: 'events' } })).status).toBe(201);
    expect((await env.api.post('/api/pipelines', { id: 'lenient', source, output, table: { name: 'no_such_table' } })).status).toBe(201);
  });
});
