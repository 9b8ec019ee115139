import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
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
