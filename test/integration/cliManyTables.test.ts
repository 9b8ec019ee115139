import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readManifest } from '../../src/local/manifestReader.js';

/**
 * The built `siphon` binary against a local runtime with a many-table pipeline on PostgreSQL
 * (two tables that copy, one that fails on a value no output type holds): the plan's line per
 * table, `run --wait` counting tables, and `runs get` listing each table's run in every output
 * format. The rows shown are checked against the source (a fresh query) and each table's manifest
 * (read from the blob), and each table's own run is shown by the CLI under its `~` pipeline id.
 */
const binary = join(process.cwd(), 'dist/src/cli/main.js');
let env: TestEnvironment;

type Result = { code: number; stdout: string; stderr: string };

/** The binary with no terminal (pipes), as in a script or CI. */
function siphon(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const { CI: _ci, ...parentEnv } = process.env;
    execFile(process.execPath, [binary, ...args], { env: { ...parentEnv, SIPHON_URL: env.runtime.url }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const tables = ['shop.broken', 'shop.customers', 'shop.orders'];

beforeAll(async () => {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm run build first`);
  env = await startTestEnvironment('cli_tables', async (db) => {
    await db.query('CREATE SCHEMA shop');
    await db.query('CREATE TABLE shop.orders (id int PRIMARY KEY, amount numeric(12,2))');
    await db.query('INSERT INTO shop.orders SELECT i, i * 1.25 FROM generate_series(1, 300) i');
    await db.query('CREATE TABLE shop.customers (id int PRIMARY KEY, name text)');
    await db.query("INSERT INTO shop.customers SELECT i, 'c' || i FROM generate_series(1, 40) i");
    // One value no output type can hold: this table's run fails, every time.
    await db.query('CREATE TABLE shop.broken (id int PRIMARY KEY, at timestamptz)');
    await db.query("INSERT INTO shop.broken SELECT i, CASE WHEN i = 7 THEN 'infinity'::timestamptz ELSE timestamptz '2024-01-01' + i * interval '1 hour' END FROM generate_series(1, 20) i");
    await db.query('ANALYZE');
  });
  const created = await env.api.post('/api/pipelines', {
    id: 'cli-shop',
    source: { engine: 'postgres', connectionSetting: testSourceSetting },
    tables: ['shop.*'],
    output: { container: 'clitables', pathTemplate: '{pipeline}/{table}/run={runId}/part-{chunk}-{file}' },
    retry: { maxAttempts: 1 },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const sourceCount = async (table: string) => Number((await env.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

/** The row of a table in a borderless table the CLI printed: its cells split at runs of 2+ spaces. */
const rowOf = (text: string, first: string) => text.split('\n').find((line) => line.startsWith(`${first} `))?.split(/ {2,}/);

let runRef = '';

describe('siphon and a many-table pipeline', () => {
  it('pipelines plan shows a line per table the pattern matches', async () => {
    const planned = await siphon(['pipelines', 'plan', 'cli-shop', '-o', 'table']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/target:\n {2}Tables\n/);
    expect(planned.stdout).toMatch(/ {2}TABLE +ENTRY +VALID +COLUMNS +CHUNKS +ROWS \(EST\.\) +WINDOW +REFUSALS +WARNINGS/);
    const listed = planned.stdout.split('\n').map((line) => line.trim().split(/ {2,}/)).filter((cells) => cells[1] === 'shop.*');
    expect(listed.map((cells) => cells[0])).toEqual(tables);
    // Each table's columns as the source's catalog has them.
    for (const cells of listed) {
      const [schema, name] = cells[0]!.split('.');
      const columns = await env.database.query<{ n: string }>('SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, name]);
      expect(cells.slice(2, 4), cells[0]).toEqual(['yes', columns[0]!.n]);
    }
    const json = await siphon(['pipelines', 'plan', 'cli-shop', '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { tables: Array<{ table: string }> }).tables.map((table) => table.table)).toEqual(tables);
  });

  it('run --wait counts the tables done, names the one that failed, and exits 1', async () => {
    const result = await siphon(['run', 'cli-shop', '--wait', '-o', 'table']);
    expect(result.code, result.stderr).toBe(1);
    runRef = /Run (cli-shop\/\S+) queued/.exec(result.stderr)![1]!;
    const progress = result.stderr.split('\n').filter((line) => line.includes(`${runRef} `) && !line.startsWith('Run '));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatch(/failed: .*tables 3\/3/);
    expect(result.stderr).toMatch(/table shop\.broken failed: 0 rows/);
    expect(result.stderr).toMatch(/table shop\.orders succeeded: 300 rows/);
    expect(result.stdout).toMatch(/tables +3 of 3 done: 2 succeeded, 1 failed/);
    expect(result.stdout).toMatch(/failed +shop\.broken \(siphon runs get cli-shop~[0-9a-f]{12}\/\S+\)/);
  }, 120_000);

  it('runs get lists each table with its status, rows, bytes, duration and error, and JSON carries tableRuns', async () => {
    const shown = await siphon(['runs', 'get', runRef, '-o', 'table']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/tables +3 of 3 done: 2 succeeded, 1 failed/);
    expect(shown.stdout).toMatch(/Tables \(3\):\nTABLE +STATUS +ROWS +BYTES +DURATION +RUN +ERROR\n/);
    const json = await siphon(['runs', 'get', runRef, '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const detail = JSON.parse(json.stdout) as { tables: unknown; tableRuns: Array<{ table: string; status: string; rows: number; bytes: number; manifestPath?: string; pipelineId: string; runId: string }> };
    expect(detail.tables).toEqual({ count: 3, succeeded: 2, failed: 1 });
    expect(detail.tableRuns.map((table) => table.table)).toEqual(tables);
    for (const table of detail.tableRuns) {
      const cells = rowOf(shown.stdout, table.table)!;
      expect(cells.slice(0, 2), table.table).toEqual([table.table, table.status]);
      expect(cells[5]).toBe(`${table.pipelineId}/${table.runId}`);
      if (table.status === 'succeeded') {
        // The rows shown are the source's, and the table's manifest says the same.
        const rows = await sourceCount(table.table);
        expect(cells[2]).toBe(rows.toLocaleString('en-US'));
        expect((await readManifest(env.azurite.connectionString, table.manifestPath!)).rows).toBe(rows);
        expect(Number(cells[3]!.replace(/,/g, ''))).toBeGreaterThan(0);
        expect(cells[4]).toMatch(/^\d+s$/);
        expect(cells[6]).toBeUndefined();
      } else {
        expect(table.table).toBe('shop.broken');
        // The table's error, its context (pipeline, run) left out: the line names the run.
        expect(cells[6]).toMatch(/^chunk 0: /);
        expect(cells[6]!.length).toBeLessThanOrEqual(80);
      }
    }
    const jsonl = await siphon(['runs', 'get', runRef, '-o', 'jsonl']);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.stdout.trim().split('\n')).toHaveLength(1);
    expect((JSON.parse(jsonl.stdout) as typeof detail).tableRuns).toEqual(detail.tableRuns);
  }, 60_000);

  it('runs get shows a table\'s own run, under its table pipeline id, with its chunks and the run it is part of', async () => {
    const detail = (await env.api.get(`/api/pipelines/${runRef.replace('/', '/runs/')}`)).body as { tableRuns: Array<{ table: string; pipelineId: string; runId: string }> };
    const orders = detail.tableRuns.find((table) => table.table === 'shop.orders')!;
    const shown = await siphon(['runs', 'get', `${orders.pipelineId}/${orders.runId}`, '-o', 'table']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`part of +${runRef.replace('/', '\\/')} \\(table shop\\.orders\\)`));
    expect(shown.stdout).toMatch(/rows +300\n/);
    expect(shown.stdout).toMatch(/CHUNK +STATUS/);
  }, 30_000);
});
