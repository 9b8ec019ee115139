import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readBackRows, runPipeline } from '../support/readBack.js';
import { askPythonReader, azuriteStorageOptions } from '../support/pythonReader.js';
import { azuriteAccount } from '../../src/settings.js';

/**
 * Declarative transforms (issue 18, point 5) on PostgreSQL: one list of steps (cast, rename, drop,
 * compute, filter, mapValues, a cast of timestamps, concat) run into every output format, read
 * back by DuckDB (delta-rs for Delta) and compared with what PostgreSQL itself computes from the
 * source rows; cast failures in `_quarantine/` with the values as read; read = written +
 * rejected + filtered; hostile specs refused at create naming the step.
 */
let env: TestEnvironment;
let scratch: string;

/** Rows whose code is not a decimal(20,4): the cast sends them to quarantine. */
const castFailures: Record<number, string> = {
  901: 'transforms[0] (cast "code"): cannot cast "abc" to decimal(20,4): "abc" is not a number',
  902: 'transforms[0] (cast "code"): cannot cast "1.23456" to decimal(20,4): 1.23456 has more than 4 digits after the point (set rounding to round it)',
};

const transforms = [
  { step: 'cast', column: 'code', type: 'decimal(20,4)' },
  { step: 'rename', columns: { qty: 'quantity' } },
  { step: 'drop', columns: ['note'] },
  { step: 'compute', name: 'total', expression: 'amount * quantity', type: 'decimal(30,6)' },
  { step: 'filter', expression: "status <> 'deleted'" },
  { step: 'mapValues', column: 'status', values: { new: 'N', paid: 'P' }, default: 'other' },
  { step: 'cast', column: 'wall', type: 'timestamptz' },
  { step: 'concat', name: 'full_name', columns: ['first_name', 'last_name'], separator: ' ' },
];

const pipeline = (id: string, output: Record<string, unknown>, steps: unknown[] = transforms) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'items' },
  chunking: { column: 'id', chunks: 2, maxParallel: 2, strategy: 'equalWidth' },
  output: { container: 'shaped', ...output },
  transforms: steps,
});

/** What the steps make of the source, computed by PostgreSQL: every value as exact text. */
let expected: Array<Record<string, string | null>>;
let sourceCount: number;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'siphon-transforms-'));
  env = await startTestEnvironment('transforms', async (db) => {
    await db.query(`CREATE TABLE items (id int PRIMARY KEY, code text, amount numeric(20,6), qty int, status text, first_name text, last_name text, wall timestamp(6), day date, note text)`);
    await db.query(`INSERT INTO items SELECT g, (g * 1.25)::text, CASE WHEN g = 1 THEN 99999999999999.999999 ELSE g * 1.000001 END, g % 7,
      (ARRAY['new','paid','shipped','deleted'])[1 + g % 4], CASE WHEN g % 10 = 0 THEN NULL ELSE 'Zoë' || g END, CASE WHEN g % 15 = 0 THEN NULL ELSE '😀' || g END,
      TIMESTAMP '0001-01-01 00:00:00' + g * INTERVAL '400 days 1 hour 0.000001 second', DATE '2024-02-28' + g, 'dropped'
      FROM generate_series(1, 200) g`);
    await db.query(`INSERT INTO items VALUES (901, 'abc', 1, 1, 'new', 'a', 'b', '2024-01-01', '2024-01-01', 'x'), (902, '1.23456', 1, 1, 'deleted', NULL, NULL, '2024-01-01', '2024-01-01', 'x')`);
    sourceCount = 202;
    expected = await db.query(`SELECT id::text, code::numeric(20,4)::text AS code, amount::text, qty::text AS quantity,
      CASE status WHEN 'new' THEN 'N' WHEN 'paid' THEN 'P' ELSE 'other' END AS status, first_name, last_name,
      (extract(epoch FROM wall) * 1000000)::bigint::text AS wall, (day - DATE '1970-01-01')::text AS day,
      (amount * qty)::numeric(30,6)::text AS total,
      CASE WHEN first_name IS NULL AND last_name IS NULL THEN NULL ELSE concat_ws(' ', first_name, last_name) END AS full_name
      FROM items WHERE id < 900 AND status <> 'deleted' ORDER BY items.id`);
  });
});

afterAll(async () => {
  await env?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Values as exact text, whatever reader handed them (DuckDB's bigint and decimal objects, delta-rs' strings). */
const asText = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, value === null || value === undefined ? null : String(value)]));
const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);

async function readQuarantine(container: string, paths: string[]): Promise<Array<{ key: Record<string, string>; failures: Array<Record<string, string>>; values: Record<string, string | null> }>> {
  const client = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container);
  const local = await Promise.all(paths.map(async (path, index) => {
    const file = join(scratch, `${index}-${path.split('/').join('_')}`);
    writeFileSync(file, await client.getBlockBlobClient(path).downloadToBuffer());
    return file;
  }));
  const connection = await (await DuckDBInstance.create()).connect();
  const result = await connection.runAndReadAll(`SELECT key, failures, "values" FROM read_json([${local.map((file) => `'${file}'`).join(', ')}], format = 'newline_delimited', compression = 'gzip', columns = {key: 'JSON', failures: 'JSON', "values": 'JSON'}) ORDER BY CAST(json_extract_string(key, '$.id') AS INTEGER)`);
  return (result.getRowObjectsJson() as Array<Record<string, string>>).map((row) => ({ key: JSON.parse(row.key!), failures: JSON.parse(row.failures!), values: JSON.parse(row.values!) }));
}

describe('declarative transforms', () => {
  it('writes what the steps make, in every format, exactly; cast failures to quarantine as read; counts add up', async () => {
    const formats = [
      { format: 'parquet' },
      // A partition column the steps made: partitionBy names columns written.
      { format: 'csv', partitionBy: ['status'] },
      { format: 'jsonl', compression: 'gzip' },
      { format: 'delta', tablePath: '{pipeline}/table' },
    ];
    const runs = await Promise.all(formats.map((output) => runPipeline(env, pipeline(`shaped-${output.format}`, output))));
    for (const [index, finished] of runs.entries()) {
      const { run, manifest } = finished;
      const format = formats[index]!.format;
      // The manifest describes what was written, in the steps' order and types.
      expect(manifest.columns.map((column) => column.name), format).toEqual(['id', 'code', 'amount', 'quantity', 'status', 'first_name', 'last_name', 'wall', 'day', 'total', 'full_name']);
      expect(manifest.columns.find((column) => column.name === 'code')!.type).toEqual({ kind: 'decimal', precision: 20, scale: 4 });
      expect(manifest.columns.find((column) => column.name === 'wall')!.type).toEqual({ kind: 'timestamp', utc: true });

      const rows = format === 'delta'
        ? (await askPythonReader({ kind: 'delta', uri: `az://shaped/shaped-delta/table`, storage_options: azuriteStorageOptions(env.azurite.endpoints.blob, azuriteAccount) })).rows as Array<Record<string, unknown>>
        : await readBackRows(env, finished, 'id');
      expect(rows.map(asText).sort(byId), format).toEqual(expected);

      // Read = written + rejected + filtered, against the source's own count.
      expect(run.rows + run.rowsRejected + run.rowsFiltered, format).toBe(sourceCount);
      expect(run.rows).toBe(expected.length);
      expect(run.rowsRejected).toBe(2);
      expect(manifest.quarantine!.rows).toBe(2);
      expect(manifest.rowsFiltered).toBe(run.rowsFiltered);
      expect(run.rowsFiltered).toBe(sourceCount - 2 - expected.length);

      const quarantined = await readQuarantine('shaped', manifest.quarantine!.files.map((file) => file.path));
      expect(quarantined.map((row) => Number(row.key.id))).toEqual([901, 902]);
      for (const row of quarantined) expect(row.failures).toEqual([{ column: 'code', rule: 'cast', message: castFailures[Number(row.key.id)] }]);
      // The values as read, under the source's names (qty, note), not the steps' output.
      expect(quarantined[1]!.values).toEqual({ id: '902', code: '1.23456', amount: '1.000000', qty: '1', status: 'deleted', first_name: null, last_name: null, wall: '2024-01-01T00:00:00.000000', day: '2024-01-01', note: 'x' });
    }
  });

  it('shows the columns written in the plan, and refuses at validate a step that does not fit the source, naming it', async () => {
    const plan = await env.api.post('/api/pipelines:validate', pipeline('shaped-plan', { format: 'parquet' }));
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    const columns = (plan.body as { columns: Array<{ name: string; outputType: unknown }> }).columns;
    expect(columns.map((column) => column.name)).toEqual(['id', 'code', 'amount', 'quantity', 'status', 'first_name', 'last_name', 'wall', 'day', 'total', 'full_name']);
    expect(columns.find((column) => column.name === 'total')!.outputType).toEqual({ kind: 'decimal', precision: 30, scale: 6 });

    const misfit = await env.api.post('/api/pipelines?validateSource=true', pipeline('shaped-misfit', { format: 'parquet' }, [
      { step: 'cast', column: 'day', type: 'boolean' },
      { step: 'filter', expression: 'amount + 1' },
      { step: 'compute', name: 'x', expression: 'nope * 2' },
    ]));
    expect(misfit.status).toBe(400);
    const errors = (misfit.body as { errors: Array<{ path: string; message: string }> }).errors;
    expect(errors.map((error) => error.path)).toEqual(expect.arrayContaining(['transforms.0.type', 'transforms.1.expression', 'transforms.2.expression']));
    expect(errors.find((error) => error.path === 'transforms.0.type')!.message).toContain('a date cannot be cast to boolean');
    expect((await env.api.get('/api/pipelines/shaped-misfit')).status).toBe(404);
  });

  it('refuses hostile transforms at create with a 400 naming the step', async () => {
    const cases: Array<[string, unknown[], string]> = [
      ['deep', [{ step: 'compute', name: 'x', expression: `${'('.repeat(2_000)}1${')'.repeat(2_000)}` }], 'transforms.0.expression'],
      ['huge', [{ step: 'filter', expression: `amount > ${'9'.repeat(9_000)}` }], 'transforms.0.expression'],
      ['unknown-function', [{ step: 'rename', columns: { qty: 'q' } }, { step: 'compute', name: 'x', expression: 'system(\'rm -rf /\')' }], 'transforms.1.expression'],
      ['duplicate-name', [{ step: 'compute', name: 'x', expression: '1' }, { step: 'concat', name: 'X', columns: ['code'] }], 'transforms.1.name'],
      ['too-long', [{ step: 'filter', expression: 'a'.repeat(10_001) }], 'transforms.0.expression'],
    ];
    for (const [name, steps, path] of cases) {
      const started = performance.now();
      const response = await env.api.post('/api/pipelines', pipeline(`hostile-${name}`, { format: 'parquet' }, steps));
      expect(response.status, name).toBe(400);
      const errors = response.body!.errors as Array<{ path: string; message: string }>;
      expect(errors.map((error) => error.path), name).toContain(path);
      // The message names the step as people write it, and an expression's problem its position.
      const step = `transforms[${path.split('.')[1]}]`;
      const message = errors.find((error) => error.path === path)!.message;
      expect(message.startsWith(`${step} (`), `${name}: ${message}`).toBe(path.endsWith('expression') && name !== 'too-long');
      if (message.startsWith(step)) expect(message, name).toMatch(/^transforms\[\d+\] \(\w+\): .+ at position \d+$/);
      // Refused by a parser with limits, not by running out of stack or time.
      expect(performance.now() - started, name).toBeLessThan(5_000);
      expect((await env.api.get(`/api/pipelines/hostile-${name}`)).status).toBe(404);
    }
  });
});
