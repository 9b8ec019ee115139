import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment.js';
import { mapWithConcurrency } from '../../src/store/mapWithConcurrency.js';

/**
 * A pipeline over 200 tables on PostgreSQL: 140 small tables with rows, 50 empty, 10 with no
 * key (read as ctid pages or one chunk). The run completes with every table's rows read back
 * with DuckDB from that table's own manifest equal to the source's count, and the pipeline
 * run's own orchestration history stays at a few events per table (each table's history is its
 * own sub-orchestration's).
 */
let env: TestEnvironment;
const tables = Array.from({ length: 200 }, (_, i) => ({
  name: `t${String(i).padStart(3, '0')}`,
  rows: i < 50 ? 0 : (i * 7) % 60 + 1,
  keyed: i < 190,
}));

beforeAll(async () => {
  env = await startTestEnvironment('many_tables_scale', async (db) => {
    await db.query('CREATE SCHEMA bulk');
    const ddl = tables.map((table) => `CREATE TABLE bulk.${table.name} (id int${table.keyed ? ' PRIMARY KEY' : ''}, label text NOT NULL)`);
    const inserts = tables.filter((table) => table.rows > 0).map((table) => `INSERT INTO bulk.${table.name} SELECT g, 'r' || g FROM generate_series(1, ${table.rows}) g`);
    await db.query([...ddl, ...inserts, 'ANALYZE'].join(';\n'));
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

it('copies 200 tables (50 empty, 10 without a key) with every table complete, within one maxParallel, and keeps the run\'s history bounded', async () => {
  const created = await env.api.post('/api/pipelines', {
    id: 'warehouse',
    source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_TEST' },
    tables: ['bulk.*'],
    // What this proves is the run of many tables; each table's own checks are proved elsewhere.
    reconcile: false,
    chunking: { maxParallel: 8 },
    output: { container: 'lake', format: 'parquet', pathTemplate: '{pipeline}/{table}/run={runId}/part-{chunk}-{file}' },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const triggered = await env.api.post('/api/pipelines/warehouse/runs');
  expect(triggered.status).toBe(202);
  const run = await env.api.waitForRun(triggered.headers.get('location')!, 400_000);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  const tableRuns = run.tableRuns as Array<Record<string, any>>;
  expect(tableRuns).toHaveLength(200);

  const counted = await mapWithConcurrency(tableRuns, 4, async (tableRun) => {
    const manifest = await readManifest(env.azurite.connectionString, tableRun.manifestPath);
    if (manifest.files.length === 0) return { table: tableRun.table, rows: 0 };
    const [row] = await queryManifestFiles(env.azurite.connectionString, 'lake', manifest, 'SELECT count(*) AS n FROM {files}', 'typed');
    return { table: tableRun.table, rows: Number((row as { n: bigint }).n) };
  });
  const source = await env.database.query<{ name: string; n: string }>(
    tables.map((table) => `SELECT '${table.name}' AS name, count(*) AS n FROM bulk.${table.name}`).join(' UNION ALL '),
  );
  expect(counted).toEqual(source.map((row) => ({ table: `bulk.${row.name}`, rows: Number(row.n) })).sort((a, b) => (a.table < b.table ? -1 : 1)));

  // maxParallel holds for the run as a whole: never more than 8 chunks copying at once over all tables.
  const windows = (await mapWithConcurrency(tableRuns, 8, async (tableRun) => ((await env.api.get(`${String(tableRun.url)}/chunks?limit=100`)).body!.chunks as Array<{ startedAt?: string; endedAt?: string }>)))
    .flat()
    .filter((chunk) => chunk.startedAt && chunk.endedAt)
    .map((chunk) => [Date.parse(chunk.startedAt!), Date.parse(chunk.endedAt!)] as const);
  const edges = windows.flatMap(([start, end]) => [[start, 1], [end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let copying = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (copying += step));
  expect(windows.length).toBeGreaterThanOrEqual(150);
  expect(most).toBeLessThanOrEqual(8);
  expect(most).toBeGreaterThan(1);

  // The timeline: prepared (the catalog resolved, 200 runs recorded) within seconds of the start.
  const events = (await env.api.get(`/api/pipelines/warehouse/runs/${String(run.runId)}/events?limit=100`)).body!.events as Array<{ type: string; at: string }>;
  const at = (type: string) => Date.parse(events.find((event) => event.type === type)!.at);
  const prepareSeconds = (at('prepared') - at('started')) / 1000;
  console.log(`200 tables: prepared in ${prepareSeconds.toFixed(1)} s, run took ${((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`);
  expect(prepareSeconds).toBeLessThan(30);

  // The pipeline run's own history: a sub-orchestration's two events per table and a handful more.
  const hub = (JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as { extensions: { durableTask: { hubName: string } } }).extensions.durableTask.hubName;
  const history = TableClient.fromConnectionString(env.azurite.connectionString, `${hub}History`, { allowInsecureConnection: true });
  let events_ = 0;
  for await (const _ of history.listEntities({ queryOptions: { filter: `PartitionKey eq '${String(run.runId)}'`, select: ['RowKey'] } })) events_++;
  expect(events_).toBeGreaterThan(200);
  expect(events_).toBeLessThan(200 * 4 + 40);
}, 480_000);
