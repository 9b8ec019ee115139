import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readManifest } from '../../src/local/manifestReader.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The built `siphon` binary (dist/src/cli/main.js, from `npm run build`), spawned as a user
 * would run it, against a local runtime with a PostgreSQL source. Its output is checked, and
 * what it changed is read back through the API and the manifest, not through the CLI.
 */
const binary = join(process.cwd(), 'dist/src/cli/main.js');
let env: TestEnvironment;
let folder: string;

type Result = { code: number; stdout: string; stderr: string };

/** Runs the binary with no terminal (pipes), as in a script or CI. */
function siphon(args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const { CI: _ci, ...parentEnv } = process.env;
    execFile(process.execPath, [binary, ...args], { env: { ...parentEnv, SIPHON_URL: env.runtime.url, ...extraEnv }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function specFile(name: string, spec: Record<string, unknown>): string {
  const path = join(folder, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

const source = { engine: 'postgres', connectionSetting: testSourceSetting };
const ordersSpec = {
  id: 'cli-orders',
  description: 'orders through the CLI',
  source,
  table: { name: 'orders' },
  chunking: { column: 'id', chunks: 4, maxParallel: 2, strategy: 'equalWidth' },
  output: { container: 'cli' },
  schedule: { cron: '0 0 3 * * *', timeZone: 'UTC' },
};

beforeAll(async () => {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm run build first (npm test does)`);
  folder = mkdtempSync(join(tmpdir(), 'siphon-cli-'));
  env = await startTestEnvironment('cli', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, amount numeric(12,2), note text)`);
    await db.query(`INSERT INTO orders SELECT i, i * 1.25, 'order ' || i FROM generate_series(1, 3000) i`);
    // One row holds a value no output type can hold: a run of this table fails for good.
    await db.query(`CREATE TABLE events (id int PRIMARY KEY, at timestamptz)`);
    await db.query(`INSERT INTO events SELECT i, CASE WHEN i = 90 THEN 'infinity'::timestamptz ELSE timestamptz '2024-01-01' + i * interval '1 hour' END FROM generate_series(1, 100) i`);
  });
});

afterAll(async () => {
  await env?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('siphon pipelines', () => {
  it('apply creates a pipeline, and applied again updates it with the ETag it read', async () => {
    const created = await siphon(['pipelines', 'apply', '-f', specFile('orders', ordersSpec), '-o', 'json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'cli-orders', description: 'orders through the CLI' });
    const before = await env.api.get('/api/pipelines/cli-orders');
    expect(before.status).toBe(200);

    const updated = await siphon(['pipelines', 'apply', '-f', specFile('orders2', { ...ordersSpec, description: 'changed by apply' }), '-o', 'json']);
    expect(updated.code, updated.stderr).toBe(0);
    const after = await env.api.get('/api/pipelines/cli-orders');
    expect(after.body!.description).toBe('changed by apply');
    // A real update through If-Match, not a create that happened to succeed: the ETag moved.
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(after.body!.createdAt).toBe(before.body!.createdAt);

    // What `pipelines get -o json` prints applies as is, the fields the server keeps included
    // (the README promises it; a field the spec does not know would be a 400).
    const saved = await siphon(['pipelines', 'get', 'cli-orders', '-o', 'json']);
    expect(saved.code, saved.stderr).toBe(0);
    const roundTrip = await siphon(['pipelines', 'apply', '-f', specFile('orders3', JSON.parse(saved.stdout)), '-o', 'json']);
    expect(roundTrip.code, roundTrip.stderr).toBe(0);
    expect((await env.api.get('/api/pipelines/cli-orders')).body!.description).toBe('changed by apply');
  });

  it('list prints JSON with -o json and one object a line with -o jsonl', async () => {
    const json = await siphon(['pipelines', 'list', '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const pipelines = JSON.parse(json.stdout) as Array<{ id: string }>;
    expect(pipelines.map((p) => p.id)).toContain('cli-orders');

    const jsonl = await siphon(['-o', 'jsonl', 'pipelines', 'list']);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const lines = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string });
    expect(lines.map((p) => p.id)).toEqual(pipelines.map((p) => p.id));
  });

  it('defaults to JSON when stdout is not a terminal, and prints a table with -o table', async () => {
    const plain = await siphon(['pipelines', 'get', 'cli-orders']);
    expect(JSON.parse(plain.stdout).id).toBe('cli-orders');
    const table = await siphon(['pipelines', 'list', '-o', 'table']);
    expect(table.stdout).toMatch(/^ID\s+SOURCE\s+READS/);
    expect(table.stdout).toMatch(/cli-orders\s+postgres\s+orders/);
  });

  it('pause and resume change the schedule, reading the ETag first', async () => {
    const paused = await siphon(['pipelines', 'pause', 'cli-orders']);
    expect(paused.code, paused.stderr).toBe(0);
    expect((await env.api.get('/api/pipelines/cli-orders')).body!.schedulePaused).toBe(true);
    const resumed = await siphon(['pipelines', 'resume', 'cli-orders']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await env.api.get('/api/pipelines/cli-orders')).body!.schedulePaused).toBe(false);
  });

  it('an API error exits 1 with the problem title and detail', async () => {
    const missing = await siphon(['pipelines', 'get', 'no-such-pipeline']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Pipeline no-such-pipeline does not exist/);
    expect(missing.stderr).toMatch(/answered 404/);

    const invalid = await siphon(['pipelines', 'apply', '-f', specFile('bad', { ...ordersSpec, id: 'cli-bad', chunking: { column: 'id', chunks: 0 } })]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/The request body is invalid/);
    expect(invalid.stderr).toMatch(/chunking\.chunks/);
    expect((await env.api.get('/api/pipelines/cli-bad')).status).toBe(404);
  });
});

describe('siphon run --wait', () => {
  it('follows a run with plain progress lines to succeeded and exits 0', async () => {
    const result = await siphon(['run', 'cli-orders', '--wait']);
    expect(result.code, result.stderr).toBe(0);
    // No terminal: lines, never a redraw.
    expect(result.stderr).not.toMatch(/\r|\u001b\[/);
    const progressLines = result.stderr.split('\n').filter((line) => /cli-orders\/\S+ (queued|running|succeeded): /.test(line));
    expect(progressLines.length).toBeGreaterThan(0);
    expect(progressLines.at(-1)).toMatch(/succeeded: 3,000(\/[\d,]+)? rows, [\d,]+ rows\/s, chunks 4\/4, retries 0, ETA/);
    expect(result.stderr).toMatch(/rows +3,000/);
    const run = JSON.parse(result.stdout) as { pipelineId: string; runId: string; status: string; manifestPath: string };
    expect(run.status).toBe('succeeded');
    // Read back independently: the API's run record and the manifest in blob storage.
    const stored = (await env.api.get(`/api/pipelines/cli-orders/runs/${run.runId}`)).body!;
    expect(stored.status).toBe('succeeded');
    const manifest = await readManifest(env.azurite.connectionString, stored.manifestPath);
    expect(manifest.files.reduce((sum, file) => sum + file.rows, 0)).toBe(3000);
  });

  it('exits 1 when the run fails, with its error in the summary; runs retry --wait then succeeds', async () => {
    const spec = specFile('events', { id: 'cli-fails', source, table: { name: 'events' }, output: { container: 'cli' }, retry: { maxAttempts: 1 } });
    expect((await siphon(['pipelines', 'apply', '-f', spec])).code).toBe(0);
    const result = await siphon(['run', 'cli-fails', '--wait', '-o', 'table']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Run cli-fails\/\S+ failed/);
    expect(result.stdout).toMatch(/error +.*infinity/);
    expect(result.stderr).toMatch(/ended failed/);
    const runs = (await env.api.get('/api/pipelines/cli-fails/runs')).body!.runs as Array<{ runId: string; status: string }>;
    expect(runs.map((run) => run.status)).toEqual(['failed']);

    // The row fixed, `runs retry --wait` copies the run again as its next attempt, to succeeded.
    await env.database.query(`UPDATE events SET at = timestamptz '2030-01-01' WHERE id = 90`);
    const runUrl = `/api/pipelines/cli-fails/runs/${runs[0]!.runId}`;
    await waitFor(() => env.api.get(runUrl), (r) => r.body!.cleanedAt !== undefined, 'the failed run to be cleaned up');
    const retried = await siphon(['runs', 'retry', `cli-fails/${runs[0]!.runId}`, '--wait']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ status: 'succeeded', attempt: 1, rows: 100 });
    expect((await env.api.get(runUrl)).body!).toMatchObject({ status: 'succeeded', attempt: 1, rows: 100 });
  });
});

describe('siphon runs', () => {
  it('get takes <pipeline>/<runId> or two arguments; list --pipeline reads the pipeline\'s runs', async () => {
    const listed = await siphon(['runs', 'list', '--pipeline', 'cli-orders', '-o', 'jsonl']);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { runId: string; status: string });
    expect(runs.length).toBeGreaterThanOrEqual(1);
    const { runId } = runs[0]!;
    const slash = await siphon(['runs', 'get', `cli-orders/${runId}`, '-o', 'json']);
    const two = await siphon(['runs', 'get', 'cli-orders', runId, '-o', 'json']);
    expect(slash.code, slash.stderr).toBe(0);
    expect(JSON.parse(slash.stdout)).toMatchObject({ runId, status: 'succeeded', progress: { chunksDone: 4 } });
    expect(JSON.parse(two.stdout).runId).toBe(runId);
    // watch of a run that already ended: its summary at once, exit 0.
    const watched = await siphon(['runs', 'watch', `cli-orders/${runId}`, '-o', 'table']);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/rows +3,000/);
  });
});

describe('usage and help', () => {
  it('a usage error exits 2 with the command\'s help', async () => {
    const missing = await siphon(['runs', 'get']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'run'/);
    expect(missing.stderr).toMatch(/Usage: siphon runs get/);
    for (const args of [['run', 'cli-orders', '--backfill', 'yesterday'], ['pipelines', 'list', '-o', 'xml'], ['runs', 'get', 'not-a-run-ref'], ['pipelines', 'apply'], ['nouns']]) {
      const result = await siphon(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
    }
    // Usage errors change nothing: no run was started by the bad --backfill.
    const runs = (await env.api.get('/api/pipelines/cli-orders/runs')).body!.runs as unknown[];
    expect(runs.length).toBe(1);
  });

  it('--help on the program and each noun leads with examples and exits 0', async () => {
    for (const args of [[], ['pipelines'], ['runs'], ['run'], ['query'], ['pipelines', 'apply'], ['runs', 'watch']]) {
      const help = await siphon([...args, '--help']);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout, args.join(' ')).toMatch(/^Examples:\n {2}\$ siphon /);
      expect(help.stdout).toMatch(/Usage: siphon/);
    }
  });

  it('refuses a remote URL without a scope before sending anything', async () => {
    const result = await siphon(['pipelines', 'list'], { SIPHON_URL: 'https://siphon.example.invalid' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--scope or SIPHON_SCOPE/);
  });
});
