import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { SqlServerConnector } from '../../src/sources/sqlserver/sqlServerConnector.js';
import { resolveTables } from '../../src/tables/resolveTables.js';

/**
 * Table patterns against MariaDB end to end (unqualified names are the connection's database;
 * `%` matches any run; excludes apply; each table's rows read back with DuckDB), and against the
 * TDS double's catalog for SQL Server (sys.objects and sys.schemas; views are not tables).
 */
let env: TestEnvironment<TestMysqlDatabase>;
let mssql: TestSqlServer;

beforeAll(async () => {
  mssql = await createTestSqlServer('many_tables_mssql');
  env = await startTestEnvironment('many_tables_maria', async (db) => {
    await db.query('CREATE TABLE fact_sales (id BIGINT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL)');
    await db.query('INSERT INTO fact_sales SELECT seq, seq * 1.5 FROM seq_1_to_1200');
    await db.query('CREATE TABLE fact_returns (id INT PRIMARY KEY, sale_id BIGINT NOT NULL)');
    await db.query('INSERT INTO fact_returns SELECT seq, seq FROM seq_1_to_80');
    await db.query('CREATE TABLE fact_staging (id INT PRIMARY KEY)');
    await db.query('CREATE TABLE dim_day (d DATE PRIMARY KEY)');
    await db.query('CREATE VIEW fact_view AS SELECT id FROM fact_sales');
  }, { createDatabase: createTestMysqlDatabase });
}, 120_000);

afterAll(async () => {
  await Promise.all([env?.stop(), mssql?.drop()]);
});

describe('MariaDB', () => {
  it('copies the tables a pattern matches in the connection\'s database, less the excluded, never a view', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'facts',
      source: { engine: 'mysql', connectionSetting: testSourceSetting },
      tables: ['fact_%'],
      exclude: ['*_staging'],
      output: { container: 'lake', format: 'parquet', pathTemplate: '{pipeline}/{table}/run={runId}/part-{chunk}-{file}' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const triggered = await env.api.post('/api/pipelines/facts/runs');
    const run = await env.api.waitForRun(triggered.headers.get('location')!, 120_000);
    expect(run.status, run.error).toBe('succeeded');
    const tableRuns = run.tableRuns as Array<Record<string, any>>;
    expect(tableRuns.map((table) => table.table)).toEqual([`${env.database.name}.fact_returns`, `${env.database.name}.fact_sales`]);
    for (const tableRun of tableRuns) {
      const manifest = await readManifest(env.azurite.connectionString, tableRun.manifestPath);
      const [row] = await queryManifestFiles(env.azurite.connectionString, 'lake', manifest, 'SELECT count(*) AS n, sum(id) AS ids FROM {files}', 'typed');
      const name = String(tableRun.table).split('.')[1]!;
      const [source] = await env.database.query(`SELECT COUNT(*) AS n, CAST(SUM(id) AS CHAR) AS ids FROM ${name}`);
      expect({ n: Number((row as { n: bigint }).n), ids: String((row as { ids: unknown }).ids) }, name).toEqual({ n: Number(source!.n), ids: String(source!.ids) });
    }
  }, 120_000);
});

describe('SQL Server catalog (TDS double)', () => {
  it('lists the user tables with their schemas and matches patterns against them', async () => {
    await mssql.createTable({ name: 'fact_orders', columns: [{ name: 'id', type: 'bigint', primaryKey: true }] }, []);
    await mssql.createTable({ name: 'fact_lines', columns: [{ name: 'id', type: 'bigint', primaryKey: true }] }, []);
    await mssql.createTable({ name: 'dim_store', columns: [{ name: 'id', type: 'int', primaryKey: true }] }, []);
    const connector = await SqlServerConnector.connect(mssql.url, mssql.source);
    try {
      const catalog = await connector.listTables();
      expect(catalog.defaultSchema).toBe(mssql.schema);
      expect(catalog.tables).toEqual(expect.arrayContaining([
        { schema: mssql.schema, name: 'dim_store' }, { schema: mssql.schema, name: 'fact_lines' }, { schema: mssql.schema, name: 'fact_orders' },
      ]));
      expect(resolveTables(catalog, [`${mssql.schema}.fact_%`]).map((table) => table.name)).toEqual(['fact_lines', 'fact_orders']);
      expect(resolveTables(catalog, ['*'], ['fact_*']).map((table) => table.name)).toEqual(['dim_store']);
    } finally {
      await connector.close();
    }
  }, 60_000);
});
