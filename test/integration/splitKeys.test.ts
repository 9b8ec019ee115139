import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBackRows, runPipeline, type FinishedRun } from '../support/readBack.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { SqlServerConnector } from '../../src/sources/sqlserver/sqlServerConnector.js';
import { inspectRead } from '../../src/orchestration/planRead.js';
import { chooseTableSplit } from '../../src/orchestration/chooseTableSplit.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import type { Services } from '../../src/services.js';

/**
 * Split keys chosen from the catalog, on PostgreSQL and MariaDB end to end (one Azurite, one
 * runtime, a source setting per engine) and on the TDS double for SQL Server's catalog queries:
 * an integer primary key, a timestamp primary key, a composite primary key whose first column
 * is a skewed tenant id, a unique index without a primary key, and no key at all (PostgreSQL:
 * ctid page ranges; MariaDB: one chunk). Every run's rows are read back with DuckDB and
 * compared with the source's, so a row missed or copied twice by the chunk ranges fails.
 */
let env: TestEnvironment;
let maria: TestMysqlDatabase;
let mssql: TestSqlServer;
const mariaSetting = `${testSourceSetting}_MARIA`;

/** Five shapes of table, the same rows on each engine (SQL text that both engines run). */
const tables = [
  { name: 'int_pk', create: 'CREATE TABLE int_pk (id BIGINT PRIMARY KEY, note VARCHAR(200) NOT NULL)', rows: 1500, values: (i: number) => `(${i * 3}, '${'n'.repeat(40 + (i % 50))}')` },
  { name: 'ts_pk', create: 'CREATE TABLE ts_pk (at TIMESTAMP(6) PRIMARY KEY, note VARCHAR(200) NOT NULL)', rows: 1000, values: (i: number) => `('2024-01-01 00:00:00'::timestamp + interval '${i * 37} seconds', '${'t'.repeat(60 + (i % 40))}')` },
  { name: 'tenant_rows', create: 'CREATE TABLE tenant_rows (tenant INT NOT NULL, seq INT NOT NULL, note VARCHAR(200) NOT NULL, PRIMARY KEY (tenant, seq))', rows: 1600, values: (i: number) => (i < 1500 ? `(1, ${i + 1}, '${'a'.repeat(80)}')` : `(${2 + (i % 5)}, ${i}, '${'b'.repeat(80)}')`) },
  { name: 'uniq_only', create: 'CREATE TABLE uniq_only (code INT NOT NULL, note VARCHAR(200) NOT NULL)', index: 'CREATE UNIQUE INDEX uniq_only_code ON uniq_only (code)', rows: 1200, values: (i: number) => `(${1000 - i}, '${'u'.repeat(70)}')` },
  { name: 'no_key', create: 'CREATE TABLE no_key (n INT NOT NULL, note VARCHAR(200) NOT NULL)', rows: 1500, values: (i: number) => `(${i}, '${'z'.repeat(50 + (i % 60))}')` },
];
const mysqlValues = (text: string) => text.replace(/'2024-01-01 00:00:00'::timestamp \+ interval '(\d+) seconds'/, "TIMESTAMP('2024-01-01 00:00:00') + INTERVAL $1 SECOND");

beforeAll(async () => {
  [maria, mssql] = await Promise.all([createTestMysqlDatabase('split_keys'), createTestSqlServer('split_keys_mssql')]);
  env = await startTestEnvironment('split_keys', async (db) => {
    for (const table of tables) {
      await db.query(table.create.replace('TIMESTAMP(6)', 'timestamp(6)'));
      if (table.index) await db.query(table.index);
      await db.query(`INSERT INTO ${table.name} VALUES ${Array.from({ length: table.rows }, (_, i) => table.values(i)).join(', ')}`);
      await db.query(`ANALYZE ${table.name}`);
      await maria.query(table.create);
      if (table.index) await maria.query(table.index);
      await maria.query(`INSERT INTO ${table.name} VALUES ${Array.from({ length: table.rows }, (_, i) => mysqlValues(table.values(i))).join(', ')}`);
      await maria.query(`ANALYZE TABLE ${table.name}`);
    }
  });
  process.env[mariaSetting] = maria.url;
}, 120_000);

afterAll(async () => {
  delete process.env[mariaSetting];
  await Promise.all([env?.stop(), maria?.drop(), mssql?.drop()]);
});

const engines = [
  { engine: 'postgres', setting: testSourceSetting, targetChunkMB: 0.05 },
  { engine: 'mysql', setting: mariaSetting, targetChunkMB: 0.05 },
] as const;

/** The source's rows in key order, as text, beside the rows read back from the run's files. */
async function expectSameRows(engine: (typeof engines)[number], finished: FinishedRun, table: string, columns: string[]) {
  const order = columns.join(', ');
  const text = engine.engine === 'postgres'
    ? (await env.database.query(`SELECT ${columns.map((c) => `${c}::text AS ${c}`).join(', ')} FROM ${table} ORDER BY ${order}`))
    : await maria.query(`SELECT ${columns.map((c) => (c === 'at' ? `DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f') AS at` : `CAST(${c} AS CHAR) AS ${c}`)).join(', ')} FROM ${table} ORDER BY ${order}`);
  // Sorted here, as the rows read back are: ORDER BY would sort the text aliases as text.
  const source = text.map((row) => columns.map((c) => String(row[c]))).sort((x, y) => compareRows(x, y, columns, table));
  const read = (await readBackRows(env, finished, columns[0]!)).map((row) => columns.map((c) => (c === 'at' ? microsText(row[c] as bigint) : String(row[c]))));
  read.sort((x, y) => compareRows(x, y, columns, table));
  // Every source row exactly once: same count, same rows in the same order.
  expect(read.length).toBe(source.length);
  expect(read).toEqual(source.map((row) => row.map((value, i) => (columns[i] === 'at' ? value.replace(/(\.\d{6})\d*$/, '$1').replace(/^(.{19})$/, '$1.000000') : value))));
}

function microsText(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString().replace('T', ' ').replace(/\.(\d{3})Z$/, `.$1${String(micros % 1000n).padStart(3, '0')}`);
}

function compareRows(x: string[], y: string[], columns: string[], table: string): number {
  for (let i = 0; i < columns.length; i++) {
    const numeric = table !== 'ts_pk' && columns[i] !== 'note';
    const c = numeric ? Number(x[i]) - Number(y[i]) : x[i]! < y[i]! ? -1 : x[i]! > y[i]! ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

describe.each(engines)('split keys found on $engine', (engine) => {
  const pipeline = (table: string) => ({
    id: `${engine.engine}-${table.replace(/_/g, '-')}`,
    source: { engine: engine.engine, connectionSetting: engine.setting },
    table: { name: table },
    chunking: { targetChunkMB: engine.targetChunkMB, maxParallel: 4 },
    output: { container: 'split-keys' },
  });

  async function planAndRun(table: string, columns: string[], keyed = true) {
    const spec = pipeline(table);
    const finished = await runPipeline(env, spec, { keyed });
    const plan = (await env.api.get(`/api/pipelines/${spec.id}/plan`)).body!;
    expect(plan.valid, JSON.stringify(plan.refusals)).toBe(true);
    await expectSameRows(engine, finished, table, columns);
    return { plan, finished };
  }

  it('an integer primary key, chunked by the table size', async () => {
    const { plan, finished } = await planAndRun('int_pk', ['id', 'note']);
    expect(plan.chunks.splitKey).toMatchObject({ source: 'primaryKey', columns: ['id'] });
    expect(plan.chunks.sizing).toMatchObject({ from: 'size', targetChunkMB: engine.targetChunkMB });
    expect(plan.chunks.sizing.bytesToRead).toBeGreaterThan(0);
    expect(plan.chunks.sizing.chunks).toBe(Math.ceil(plan.chunks.sizing.bytesToRead / (engine.targetChunkMB * 1_048_576)));
    expect(finished.run.chunksPlanned).toBeGreaterThan(2);
  });

  it('a timestamp primary key', async () => {
    const { plan, finished } = await planAndRun('ts_pk', ['at', 'note']);
    expect(plan.chunks.splitKey).toMatchObject({ source: 'primaryKey', columns: ['at'] });
    // MariaDB's TIMESTAMP is an instant (UTC); PostgreSQL's timestamp has no zone.
    expect(plan.chunks.keyKind).toBe(engine.engine === 'postgres' ? 'timestamp' : 'timestamptz');
    expect(finished.run.chunksPlanned).toBeGreaterThan(1);
  });

  it('a composite primary key whose tenant column is skewed: cut by (tenant, seq)', async () => {
    const { plan, finished } = await planAndRun('tenant_rows', ['tenant', 'seq', 'note']);
    expect(plan.chunks.splitKey).toMatchObject({ source: 'primaryKey', columns: ['tenant', 'seq'], nextColumn: 'seq' });
    const tuples = plan.chunks.ranges.filter((range: { kind: string }) => range.kind === 'tuple');
    // Tenant 1 holds 1,500 of the 1,600 rows: several chunks fall inside it, bounded by seq.
    expect(tuples.filter((range: { lower: string[] }) => range.lower[0] === '1' && range.lower.length === 2).length).toBeGreaterThan(0);
    expect(finished.run.chunksPlanned).toBeGreaterThan(2);
  });

  it('a unique index when there is no primary key', async () => {
    const { plan, finished } = await planAndRun('uniq_only', ['code', 'note']);
    expect(plan.chunks.splitKey).toMatchObject({ source: 'uniqueIndex', columns: ['code'], index: 'uniq_only_code' });
    expect(finished.run.chunksPlanned).toBeGreaterThan(1);
  });

  it(engine.engine === 'postgres' ? 'no key: ctid page ranges' : 'no key: one chunk', async () => {
    const { plan, finished } = await planAndRun('no_key', ['n', 'note'], false);
    if (engine.engine === 'postgres') {
      expect(plan.chunks.splitKey).toMatchObject({ source: 'ctid', columns: [] });
      expect(plan.chunks.ranges.every((range: { kind: string }) => range.kind === 'pages')).toBe(true);
      expect(plan.chunks.ranges.at(-1).to).toBeUndefined();
      expect(finished.run.chunksPlanned).toBeGreaterThan(1);
    } else {
      expect(plan.chunks.splitKey).toMatchObject({ source: 'none', columns: [] });
      expect(plan.chunks.ranges).toEqual([{ index: 0, kind: 'all' }]);
      expect(finished.run.chunksPlanned).toBe(1);
    }
  });
});

describe('a named column works as before', () => {
  it('chunks 8 on the spec column when the spec gives no count', async () => {
    const plan = (await env.api.post('/api/pipelines:validate', { id: 'named-col', source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'int_pk' }, chunking: { column: 'id' }, output: { container: 'split-keys' } })).body!;
    expect(plan.chunks.splitKey).toMatchObject({ source: 'spec', columns: ['id'] });
    expect(plan.chunks.sizing).toMatchObject({ from: 'namedKeyDefault', chunks: 8 });
    expect(plan.chunks.ranges).toHaveLength(8);
  });
});

describe('SQL Server catalog (TDS double)', () => {
  it('chooses the primary key, the composite key, a unique index, or none, and cuts the skewed composite key exactly', async () => {
    await mssql.createTable({ name: 'int_pk', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'note', type: 'nvarchar(100)' }] }, []);
    await mssql.createTable({ name: 'tenant_rows', columns: [{ name: 'tenant', type: 'int', primaryKey: true }, { name: 'seq', type: 'int', primaryKey: true }, { name: 'note', type: 'nvarchar(100)' }] }, []);
    await mssql.createTable({ name: 'uniq_only', columns: [{ name: 'code', type: 'int', nullable: false }, { name: 'note', type: 'nvarchar(100)' }] }, []);
    await mssql.createTable({ name: 'heap', columns: [{ name: 'uid', type: 'uniqueidentifier' }, { name: 'note', type: 'nvarchar(100)' }] }, []);
    await mssql.generateRows('int_pk', 500, [{ pg: 'n', tsql: 'n' }, { pg: `repeat('x', 50)`, tsql: `REPLICATE('x', 50)` }]);
    await mssql.generateRows('tenant_rows', 800, [{ pg: 'CASE WHEN n < 700 THEN 1 ELSE 2 + n % 4 END', tsql: 'CASE WHEN n < 700 THEN 1 ELSE 2 + n % 4 END' }, { pg: 'n', tsql: 'n' }, { pg: `'t'`, tsql: `'t'` }]);
    await mssql.execute({ pg: 'CREATE UNIQUE INDEX uniq_only_code ON dbo.uniq_only (code)', tsql: `CREATE UNIQUE INDEX uniq_only_code ON [${mssql.schema}].uniq_only (code)` });
    for (const table of ['int_pk', 'tenant_rows']) await mssql.updateStatistics(table);
    const connector = await SqlServerConnector.connect(mssql.url, mssql.source);
    try {
      const target = (name: string) => ({ kind: 'table' as const, table: { schema: mssql.schema, name } });
      const choose = (name: string) => chooseTableSplit(connector, target(name), 'sqlserver', {});
      const intPk = await choose('int_pk');
      expect(intPk.choice).toMatchObject({ source: 'primaryKey', columns: ['id'] });
      expect(intPk.catalog).toMatchObject({ rows: 500 });
      expect(intPk.catalog!.bytes).toBeGreaterThan(0);
      // The partitioning query runs (the double partitions nothing): not partitioned.
      expect(intPk.catalog!.partitioning).toBeUndefined();
      expect((await choose('tenant_rows')).choice).toMatchObject({ source: 'primaryKey', columns: ['tenant', 'seq'] });
      expect((await choose('uniq_only')).choice).toMatchObject({ source: 'uniqueIndex', columns: ['code'], index: 'uniq_only_code' });
      // A heap whose only column is a uuid: no key, and SQL Server has no ctid (%%physloc%% is no key).
      expect((await choose('heap')).choice).toMatchObject({ source: 'none', columns: [] });

      // The plan of the skewed composite key, read chunk by chunk: each of the 800 rows exactly once.
      const spec = pipelineSpecSchema.parse({ id: 'mssql-tenants', source: { engine: 'sqlserver', connectionSetting: testSourceSetting }, table: { schema: mssql.schema, name: 'tenant_rows' }, chunking: { chunks: 6 }, output: { container: 'split-keys' } });
      const { plan, refusals } = await inspectRead({} as Services, connector, spec, {});
      expect(refusals).toEqual([]);
      expect(plan!.split!.key).toEqual({ column: 'tenant', kind: 'integer', next: { column: 'seq', kind: 'integer' } });
      expect(plan!.ranges.some((range) => range.kind === 'tuple' && range.lower.length === 2)).toBe(true);
      const seen: string[] = [];
      const columns = (await connector.describe(target('tenant_rows'))).columns;
      for (const range of plan!.ranges) {
        for await (const batch of connector.readChunk({ target: target('tenant_rows'), columns, key: plan!.split!.key, orderBy: plan!.orderBy, range, batchRows: 500 })) {
          for (const row of batch) seen.push(`${String(row[0])}/${String(row[1])}`);
        }
      }
      expect(seen.length).toBe(800);
      expect(new Set(seen).size).toBe(800);
    } finally {
      await connector.close();
    }
  });
});
