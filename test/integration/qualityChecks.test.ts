import { parseRunEvent, RunEvent } from '../../src/observability/runEvents.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readBackRows, runPipeline } from '../support/readBack.js';
import { getServices } from '../../src/services.js';
import { runCli } from '../../src/cli/program.js';
import { finalizeRun } from '../../src/orchestration/finalizeRun.js';
import { waitFor } from '../support/waitFor.js';

/**
 * Quality checks (issue 19, point 1) on real PostgreSQL data: 200 orders, a tenth of them without
 * an email, one `ref` planted twice, the newest `at` an hour old. Each kind passes and fails on
 * those rows; `warn` results are stored and the run succeeds with its manifest; a `fail` fails the
 * run with no manifest in the container; results read back through a fresh GET.
 */
let env: TestEnvironment;

const orders = (id: string, checks: unknown[], extra: Record<string, unknown> = {}) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'orders' },
  chunking: { column: 'id', chunks: 2, maxParallel: 2, strategy: 'equalWidth' },
  output: { container: 'quality' },
  quality: { checks },
  ...extra,
});

type Result = { name: string; kind: string; severity: string; outcome: string; measured: number | null; bound: string; message: string };
const byName = (results: Result[]) => Object.fromEntries(results.map((result) => [result.name, result]));

/** The runtime's log, for the telemetry events (`SiphonEvent <name> {json}` lines). */
const logLines: string[] = [];

beforeAll(async () => {
  env = await startTestEnvironment('quality', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, email text, ref int, at timestamptz(6) NOT NULL)`);
    // The newest `at` is an hour (and a second) before now; ref 7 is on ids 7 and 150.
    await db.query(`INSERT INTO orders SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'u' || g || '@example.com' END,
      CASE WHEN g = 150 THEN 7 ELSE g END, now() - interval '1 hour' - g * interval '1 second' FROM generate_series(1, 200) g`);
  }, { log: (level, ...args) => logLines.push(args.map(String).join(' ')) });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

async function containerNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('quality');
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

async function trigger(id: string): Promise<{ url: string; run: Record<string, any> }> {
  const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
  expect(triggered.status).toBe(202);
  const url = triggered.headers.get('location')!;
  return { url, run: await env.api.waitForRun(url) };
}

describe('quality checks', () => {
  it('refuses checks that do not parse, and columns the source does not have, naming the field', async () => {
    const bad = await env.api.post('/api/pipelines', orders('qa-bad', [
      { kind: 'rowCount', severity: 'fail' },
      { kind: 'freshness', severity: 'warn', maxAge: 'P1M' },
      { kind: 'volume', severity: 'loud', percent: 10 },
    ]));
    expect(bad.status).toBe(400);
    const paths = (bad.body!.errors as Array<{ path: string }>).map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['quality.checks.0.min', 'quality.checks.1.maxAge', 'quality.checks.2.severity']));

    const misfit = await env.api.post('/api/pipelines?validateSource=true', orders('qa-misfit', [
      { kind: 'notNullRate', severity: 'warn', column: 'nope', min: 0.5 },
      { kind: 'unique', severity: 'fail', columns: ['id', 'missing'] },
      { kind: 'freshness', severity: 'warn', column: 'email', maxAge: 'PT1H' },
    ]));
    expect(misfit.status).toBe(400);
    expect(misfit.body!.errors).toEqual(expect.arrayContaining([
      { path: 'quality.checks.0.column', message: 'quality.checks.0.column names "nope", which Table public.orders does not read' },
      { path: 'quality.checks.1.columns.1', message: 'quality.checks.1.columns.1 names "missing", which Table public.orders does not read' },
      { path: 'quality.checks.2.column', message: expect.stringContaining('freshness needs a date or timestamp column') },
    ]));
    expect((await env.api.get('/api/pipelines/qa-misfit')).status).toBe(404);
  });

  it('records warn outcomes with what was measured and the bound, and the run succeeds with its manifest', async () => {
    // Incremental on `at`: the checks at the source read the run's window, freshness defaults to the cursor.
    const { run, manifest } = await runPipeline(env, orders('qa-warn', [
      { kind: 'rowCount', severity: 'warn', max: 10 },
      { kind: 'notNullRate', severity: 'warn', column: 'email', min: 0.95 },
      { kind: 'unique', severity: 'warn', columns: ['ref'] },
      { kind: 'freshness', severity: 'warn', maxAge: 'PT1M' },
      { kind: 'volume', severity: 'warn', percent: 10 },
    ], { incremental: { column: 'at' } }));
    expect(manifest.rows).toBe(200);
    expect((await readBackRows(env, { run, manifest }, 'id')).length).toBe(200);

    // A fresh GET of the run, and of its quality alone.
    const fetched = (await env.api.get(`/api/pipelines/qa-warn/runs/${run.runId}`)).body!;
    expect(fetched.status).toBe('succeeded');
    const results = byName(fetched.quality.checks);
    expect(Object.keys(results)).toEqual(['rowCount', 'notNullRate(email)', 'unique(ref)', 'freshness', 'volume']);
    expect(results.rowCount).toMatchObject({ kind: 'rowCount', severity: 'warn', outcome: 'warn', measured: 200, bound: 'at most 10 rows' });
    expect(results['notNullRate(email)']).toMatchObject({ outcome: 'warn', measured: 0.9, bound: 'at least 0.95 of the rows' });
    expect(results['notNullRate(email)']!.message).toContain('180 of 200 rows are not NULL');
    expect(results['unique(ref)']).toMatchObject({ outcome: 'warn', measured: 1 });
    expect(results['unique(ref)']!.message).toContain('(ref=7) on 2 rows');
    expect(results.freshness).toMatchObject({ outcome: 'warn', bound: "at most 60 s old (PT1M) at the run's start" });
    expect(results.freshness!.measured).toBeGreaterThan(3_600);
    expect(results.freshness!.measured).toBeLessThan(3_700);
    expect(results.volume).toMatchObject({ outcome: 'pass', measured: 200 });
    expect(results.volume!.message).toContain('not enough history: 0 successful runs of the at least 3 needed');

    // One SiphonQualityChecked telemetry event per check, with its dimensions and measured value.
    const checked = logLines.map(parseRunEvent).filter((event) => event?.event === RunEvent.qualityChecked && event.runId === run.runId);
    expect(checked.map((event) => [event!.pipelineId, event!.check, event!.column, event!.severity, event!.outcome, event!.measured, event!.lowerBound, event!.upperBound])).toEqual([
      ['qa-warn', 'rowCount', undefined, 'warn', 'warn', 200, undefined, 10],
      ['qa-warn', 'notNullRate(email)', 'email', 'warn', 'warn', 0.9, 0.95, undefined],
      ['qa-warn', 'unique(ref)', 'ref', 'warn', 'warn', 1, undefined, 0],
      ['qa-warn', 'freshness', undefined, 'warn', 'warn', results.freshness!.measured, undefined, 60],
      ['qa-warn', 'volume', undefined, 'warn', 'pass', 200, undefined, undefined],
    ]);
    const quality = (await env.api.get(`/api/pipelines/qa-warn/runs/${run.runId}/quality`)).body!;
    expect(quality).toEqual({ pipelineId: 'qa-warn', runId: run.runId, status: 'succeeded', quality: fetched.quality });
    // finalize appends `finished` just after it records the status the run was seen with.
    const events = await waitFor(
      async () => (await env.api.get(`/api/pipelines/qa-warn/runs/${run.runId}/events`)).body!.events as Array<Record<string, unknown>>,
      (list) => list.some((entry) => entry.type === 'finished'),
      'the run\'s finished event',
    );
    const event = events.find((entry) => entry.type === 'quality')!;
    expect(event).toMatchObject({ passed: 1, warned: 4, failed: 0 });
    expect(JSON.parse(String(event.checks))).toEqual(fetched.quality.checks);
    // The CLI shows each check, what it measured and the bound.
    const printed: string[] = [];
    const io = { stdout: { isTTY: false, write: (text: string) => printed.push(text) }, stderr: { isTTY: false, write: () => undefined }, env: { SIPHON_URL: env.runtime.url }, readFile: async () => '{}' };
    expect(await runCli(['runs', 'get', `qa-warn/${run.runId}`, '-o', 'table'], io)).toBe(0);
    const text = printed.join('');
    expect(text).toMatch(/quality\s+1 pass, 4 warn, 0 fail/);
    expect(text).toMatch(/unique\(ref\)\s+unique\s+warn\s+warn\s+1\s+no key value on more than one row/);
    expect(text).toMatch(/notNullRate\(email\)\s+notNullRate\s+warn\s+warn\s+0\.9\s+at least 0\.95 of the rows/);
    // The timeline has the checks before the run finished.
    expect(events.findIndex((entry) => entry.type === 'quality')).toBeLessThan(events.findIndex((entry) => entry.type === 'finished'));

    // Finalize again (a crash and a replay) after the source changed: the stored verdict stands,
    // nothing is measured again, and the timeline keeps one quality event.
    await env.database.query(`INSERT INTO orders VALUES (999, 'x@example.com', 7, now() - interval '2 hours')`);
    try {
      await finalizeRun(await getServices(), { pipelineId: 'qa-warn', runId: run.runId });
    } finally {
      await env.database.query('DELETE FROM orders WHERE id = 999');
    }
    const again = (await env.api.get(`/api/pipelines/qa-warn/runs/${run.runId}`)).body!;
    expect(again.quality).toEqual(fetched.quality);
    expect(again.status).toBe('succeeded');
    const eventsAgain = (await env.api.get(`/api/pipelines/qa-warn/runs/${run.runId}/events`)).body!.events as Array<Record<string, unknown>>;
    expect(eventsAgain.filter((entry) => entry.type === 'quality').length).toBe(1);
  });

  it('passes every kind on good data, judges volume and duration by the last successful runs, and fails a run before its manifest', async () => {
    const checks = [
      { kind: 'rowCount', severity: 'fail', min: 100, max: 300 },
      { kind: 'notNullRate', severity: 'fail', column: 'email', min: 0.85 },
      { kind: 'unique', severity: 'fail', columns: ['id'] },
      { kind: 'freshness', severity: 'fail', column: 'at', maxAge: 'PT2H' },
      { kind: 'volume', severity: 'fail', percent: 50, lastRuns: 3, minRuns: 1 },
      { name: 'duration-loose', kind: 'duration', severity: 'warn', percent: 10_000, minRuns: 1 },
      { name: 'duration-tight', kind: 'duration', severity: 'warn', percent: 50, minRuns: 2 },
    ];
    const first = await runPipeline(env, orders('qa-pass', checks));
    const firstResults = byName(first.run.quality.checks);
    expect(Object.values(firstResults).map((result) => result.outcome)).toEqual(Array(7).fill('pass'));
    expect(firstResults.volume!.message).toContain('not enough history: 0 successful runs');

    const second = await trigger('qa-pass');
    expect(second.run.status).toBe('succeeded');
    const secondResults = byName(second.run.quality.checks);
    expect(secondResults.volume).toMatchObject({ outcome: 'pass', measured: 200, bound: '100..300 rows (±50% of 200, the mean of the last 1 successful runs)' });
    expect(secondResults['duration-loose']!.outcome).toBe('pass');
    expect(secondResults['duration-loose']!.bound).toContain('the mean of the last 1 successful runs');
    expect(secondResults['duration-tight']!.message).toContain('not enough history: 1 successful run of the at least 2 needed');

    // History planted: both earlier runs took 1,000 s. And the source doubles, with new rows
    // that have no email: volume, rowCount and notNullRate now fail, freshness and unique still pass.
    const services = await getServices();
    for (const runId of [first.run.runId, second.run.runId]) {
      await services.runs.update('qa-pass', runId, (stored) => ({ ...stored, endedAt: new Date(Date.parse(stored.startedAt!) + 1_000_000).toISOString() }));
    }
    await env.database.query(`INSERT INTO orders SELECT g, NULL, g, now() - interval '90 minutes' FROM generate_series(201, 400) g`);
    const third = await trigger('qa-pass');
    expect(third.run.status).toBe('failed');
    expect(third.run.manifestPath).toBeUndefined();
    expect(third.run.error).toContain('quality checks failed: ');
    expect(third.run.error).toContain('rowCount (rowCount, fail): measured 400, bound between 100 and 300 rows');
    expect(third.run.error).toContain('notNullRate(email) (notNullRate, fail): measured 0.45, bound at least 0.85 of the rows');
    expect(third.run.error).toContain('volume (volume, fail): measured 400, bound 100..300 rows (±50% of 200, the mean of the last 2 successful runs)');
    expect(third.run.error).toContain('no manifest was written');
    expect(third.run.error).not.toContain('unique(id) (');
    // Nothing in the container says the failed run's files are complete.
    const names = await containerNames('qa-pass/');
    expect(names.filter((name) => name.includes(third.run.runId) && (name.endsWith('_manifest.json') || name.endsWith('_SUCCESS')))).toEqual([]);
    expect(names.filter((name) => name.includes(second.run.runId) && name.endsWith('_manifest.json')).length).toBe(1);

    const thirdResults = byName((await env.api.get(third.url)).body!.quality.checks);
    expect(thirdResults['unique(id)']).toMatchObject({ outcome: 'pass', measured: 0 });
    expect(thirdResults['freshness(at)']!.outcome).toBe('pass');
    expect(thirdResults['duration-loose']!.outcome).toBe('pass');
    expect(thirdResults['duration-tight']).toMatchObject({ outcome: 'warn', bound: '500..1500 s (±50% of 1000, the mean of the last 2 successful runs)' });
    expect(thirdResults['duration-tight']!.measured).toBeLessThan(500);
    expect(Object.values(thirdResults).filter((result) => result.outcome === 'fail').map((result) => result.name)).toEqual(['rowCount', 'notNullRate(email)', 'volume']);
  });
});
