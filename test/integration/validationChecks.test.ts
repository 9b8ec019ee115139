import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readBackRows, runPipeline } from '../support/readBack.js';

/**
 * Cross-column checks (issue 18, point 3): `shipped_at >= ordered_at` on PostgreSQL quarantines
 * the planted rows that ship before they were ordered; a NULL shipped_at passes (SQL CHECK).
 * Output and quarantine are read back by DuckDB and add up to the source's count.
 */
let env: TestEnvironment;
let scratch: string;

/** Rows shipped before they were ordered, by id; one second early and a day early. */
const planted = [501, 502, 503];

const pipeline = (id: string, validation: Record<string, unknown>) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'shipments' },
  output: { container: 'checks' },
  validation,
});

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'siphon-checks-'));
  env = await startTestEnvironment('checks', async (db) => {
    await db.query('CREATE TABLE shipments (id int PRIMARY KEY, ordered_at timestamp(6), shipped_at timestamp(6), qty int, price numeric(12,2))');
    // 200 good rows, every 10th not shipped yet (NULL passes the check).
    await db.query(`INSERT INTO shipments SELECT g, TIMESTAMP '2024-05-01 08:00:00' + g * interval '1 hour',
      CASE WHEN g % 10 = 0 THEN NULL ELSE TIMESTAMP '2024-05-01 08:00:00' + g * interval '1 hour' + (g % 3) * interval '1 day' END, 1 + g % 7, g * 0.25
      FROM generate_series(1, 200) g`);
    await db.query(`INSERT INTO shipments VALUES
      (501, '2024-06-01 12:00:00', '2024-06-01 11:59:59', 1, 1.00),
      (502, '2024-06-02 00:00:00', '2024-06-01 00:00:00', 2, 2.00),
      (503, '2024-06-03 00:00:00.000001', '2024-06-03 00:00:00', 3, 3.00)`);
  });
});

afterAll(async () => {
  await env?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function readQuarantine(paths: string[]): Promise<Array<{ id: number; failures: Array<{ column: string; rule: string; message: string }> }>> {
  const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('checks');
  const local = await Promise.all(paths.map(async (path, index) => {
    const file = join(scratch, `${index}-${path.split('/').pop()}`);
    writeFileSync(file, await container.getBlockBlobClient(path).downloadToBuffer());
    return file;
  }));
  const connection = await (await DuckDBInstance.create()).connect();
  const result = await connection.runAndReadAll(`SELECT CAST(json_extract_string(key, '$.id') AS INTEGER) AS id, failures FROM read_json([${local.map((file) => `'${file}'`).join(', ')}], format = 'newline_delimited', compression = 'gzip', columns = {key: 'JSON', failures: 'JSON'}) ORDER BY id`);
  return (result.getRowObjectsJson() as Array<{ id: number; failures: string }>).map((row) => ({ id: Number(row.id), failures: JSON.parse(row.failures) }));
}

describe('validation checks', () => {
  it('quarantines the rows whose check is false and writes the rest, adding up to the source', async () => {
    const finished = await runPipeline(env, pipeline('ship-check', { checks: [{ name: 'ships after ordering', expression: 'shipped_at >= ordered_at' }] }));
    const sourceCount = Number((await env.database.query('SELECT count(*) AS n FROM shipments'))[0]!.n);
    const good = await readBackRows(env, finished, 'id');
    expect(good.map((row) => row.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const quarantined = await readQuarantine(finished.manifest.quarantine!.files.map((file) => file.path));
    expect(quarantined.map((row) => row.id)).toEqual(planted);
    expect(good.length + quarantined.length).toBe(sourceCount);
    expect(finished.run.rowsRejected).toBe(planted.length);
    for (const row of quarantined) expect(row.failures).toEqual([{ column: 'ships after ordering', rule: 'expression', message: 'is false: shipped_at >= ordered_at' }]);
  });

  it('refuses a check that does not parse at create, and one that is not boolean at validate, naming the field and position', async () => {
    const hostile = await env.api.post('/api/pipelines', pipeline('bad-parse', { checks: [{ name: 'ok', expression: 'qty > 0' }, { name: 'deep', expression: `${'('.repeat(80)}qty${')'.repeat(80)} > 0` }, { name: 'fn', expression: 'system(qty) > 0' }] }));
    expect(hostile.status).toBe(400);
    expect((hostile.body as { errors: unknown[] }).errors).toEqual(expect.arrayContaining([
      { path: 'validation.checks.1.expression', message: 'nested deeper than 64 levels at position 65' },
      { path: 'validation.checks.2.expression', message: 'unknown function system at position 1' },
    ]));
    const typed = await env.api.post('/api/pipelines?validateSource=true', pipeline('bad-type', { checks: [{ name: 'sum', expression: 'qty * price' }, { name: 'mixed', expression: "shipped_at > 'soon'" }] }));
    expect(typed.status).toBe(400);
    expect((typed.body as { errors: unknown[] }).errors).toEqual(expect.arrayContaining([
      { path: 'validation.checks.0.expression', message: expect.stringContaining('a check must be true or false, and this expression gives a decimal at position 1') },
      { path: 'validation.checks.1.expression', message: expect.stringContaining('cannot compare a timestamp and a string at position 1') },
    ]));
    expect((await env.api.get('/api/pipelines/bad-type')).status).toBe(404);
  });
});
