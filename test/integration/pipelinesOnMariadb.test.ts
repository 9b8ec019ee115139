import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { readBackRows, runPipeline } from '../support/readBack.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';

/**
 * A delete on MariaDB, end to end: an incremental pipeline's watermark goes with it, so the
 * pipeline created again under the same id reads the whole table, not only what came after its
 * predecessor's last run; the kept history stays apart from the new pipeline's runs. And the
 * plan of a MariaDB table naming every unsupported column at once.
 */
let env: TestEnvironment<TestMysqlDatabase>;

beforeAll(async () => {
  env = await startTestEnvironment('delete_mariadb', async (db) => {
    await db.query(`CREATE TABLE items (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, payload VARCHAR(100) NOT NULL)`);
    await db.query(`CREATE TABLE shapes (id INT PRIMARY KEY, spot POINT, area POLYGON, label VARCHAR(20))`);
    await db.query(`CREATE TABLE wide (id INT PRIMARY KEY, d DECIMAL(65,30))`);
    await db.query(`INSERT INTO wide VALUES (1, '99999999999999999999999999999999999.999999999999999999999999999999'), (2, '-0.000000000000000000000000000001'), (3, NULL), (4, 0)`);
    await db.query(`INSERT INTO items VALUES ${Array.from({ length: 300 }, (_, i) => `(${i + 1}, ${i + 1}, 'item ${i + 1}')`).join(', ')}`);
  }, { createDatabase: createTestMysqlDatabase });
});

afterAll(async () => {
  await env?.stop();
});

const spec = {
  id: 'maria-items',
  source: { engine: 'mysql', connectionSetting: testSourceSetting },
  table: { name: 'items' },
  chunking: { column: 'id', chunks: 3 },
  incremental: { column: 'version' },
  output: { container: 'maria-deletes' },
};

async function runToEnd(): Promise<Record<string, any>> {
  const triggered = await env.api.post('/api/pipelines/maria-items/runs');
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  return env.api.waitForRun(triggered.headers.get('location')!);
}

describe('DELETE on MariaDB', () => {
  it('takes the watermark with it: the pipeline created again reads the whole table', async () => {
    const first = await env.api.post('/api/pipelines', spec);
    expect(first.status).toBe(201);
    expect((await runToEnd())).toMatchObject({ status: 'succeeded', rows: 300 });
    await env.database.query(`INSERT INTO items VALUES (301, 301, 'item 301')`);
    // The predecessor's watermark: only the new row.
    const second = await runToEnd();
    expect(second).toMatchObject({ status: 'succeeded', rows: 1 });

    const deleted = await fetch(`${env.runtime.url}/api/pipelines/maria-items`, { method: 'DELETE', headers: { 'content-type': 'application/json', 'if-match': first.headers.get('etag')! } });
    expect(deleted.status).toBe(200);
    const watermarks = TableClient.fromConnectionString(env.azurite.connectionString, 'siphonWatermarks', { allowInsecureConnection: true });
    expect(await watermarks.getEntity('maria-items', 'cursor').catch(() => undefined)).toBeUndefined();

    const again = await env.api.post('/api/pipelines', spec);
    expect(again.status).toBe(201);
    const fresh = await runToEnd();
    // Without the watermark's delete this run would read nothing (every version is at or below 301).
    expect(fresh).toMatchObject({ status: 'succeeded', rows: 301, pipelineGeneration: again.body!.generation });
    const runs = (await env.api.get('/api/pipelines/maria-items/runs')).body!.runs as Array<Record<string, any>>;
    // Run ids carry whole seconds, so runs of one second have no order between them: compare as sets.
    expect(runs.map((run) => run.pipelineGeneration).sort()).toEqual([again.body!.generation, first.body!.generation, first.body!.generation].sort());
    expect(runs.find((run) => run.runId === fresh.runId)?.pipelineGeneration).toBe(again.body!.generation);
  });
});

describe('plan on MariaDB', () => {
  it('lists every unsupported column at once', async () => {
    const answer = await env.api.post('/api/pipelines:validate', { id: 'shapes', source: spec.source, table: { name: 'shapes' }, output: spec.output });
    expect(answer.status).toBe(200);
    expect(answer.body!.valid).toBe(false);
    expect(answer.body!.refusals.map((refusal: { column: string }) => refusal.column)).toEqual(['spot', 'area']);
    expect(answer.body!.columns.map((column: { name: string }) => column.name)).toEqual(['id', 'label']);
  });
});

describe('decimals wider than Parquet holds', () => {
  it('a decimal(65,30) goes to CSV and JSON Lines with every digit; Parquet refuses it at validate, speaking of Parquet', async () => {
    const source = await env.database.query<{ id: number; d: string | null }>(`SELECT id, CAST(d AS CHAR) AS d FROM wide ORDER BY id`);
    for (const format of ['csv', 'jsonl'] as const) {
      const finished = await runPipeline(env, { id: `wide-${format}`, source: spec.source, table: { name: 'wide' }, output: { container: 'maria-wide', format } });
      expect(finished.manifest.columns.find((column) => column.name === 'd')!.type).toEqual({ kind: 'decimal', precision: 65, scale: 30 });
      const rows = await readBackRows(env, finished, 'id');
      expect(rows.map((row) => [Number(row.id), row.d])).toEqual(source.map((row) => [row.id, row.d]));
    }
    // The one awkward column as text: Parquet takes the table with no query pipeline.
    const asText = await runPipeline(env, { id: 'wide-as-text', source: spec.source, table: { name: 'wide' }, columnTypes: { d: 'string' }, output: { container: 'maria-wide', format: 'parquet' } });
    expect((await readBackRows(env, asText, 'id')).map((row) => [Number(row.id), row.d])).toEqual(source.map((row) => [row.id, row.d]));
    // And as a narrower decimal, rounded as asked: 99999999999999999999999999999999999.99999... does not fit decimal(36,2) at all.
    const created = await env.api.post('/api/pipelines', { id: 'wide-narrow', source: spec.source, table: { name: 'wide' }, columnTypes: { d: { type: 'decimal(36,2)', rounding: 'halfEven' } }, output: { container: 'maria-wide', format: 'parquet' } });
    expect(created.status).toBe(201);
    const narrow = await env.api.waitForRun((await env.api.post('/api/pipelines/wide-narrow/runs')).headers.get('location')!);
    expect(narrow.status).toBe('failed');
    expect(narrow.error).toContain('row with id = 1, column "d" (decimal(65,30) read as decimal(36,2)): 99999999999999999999999999999999999.999999999999999999999999... does not fit decimal(36,2): more than 34 digits before the point');
    const refused = await env.api.post('/api/pipelines:validate', { id: 'wide-parquet', source: spec.source, table: { name: 'wide' }, output: { container: 'maria-wide', format: 'parquet' } });
    expect(refused.body!.valid).toBe(false);
    expect(refused.body!.refusals).toEqual([{ path: 'columns', column: 'd', reason: expect.stringMatching(/column "d" \(decimal\(65,30\)\): decimal\(65,30\) exceeds the 38 digits a Parquet DECIMAL holds exactly; write csv or jsonl/) }]);
  });
});
