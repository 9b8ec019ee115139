import { createRequire } from 'node:module';
import { createTestDatabase, serverUrl, type TestDatabase } from '../testPostgres.js';
import { addSqlServerColumn, createSqlServerTable, insertSqlServerRows, type SqlServerColumn, type SqlServerTable } from './catalog.js';
import { TdsTestServer } from './tdsTestServer.js';

/**
 * The SQL Server a test talks to: by default the TDS test double in front of a fresh PostgreSQL
 * database; a real SQL Server when SIPHON_TEST_MSSQL holds an ADO.NET connection string (tables
 * are then created with T-SQL DDL in a schema of their own, dropped at the end). Tests use the
 * same table definitions, rows and assertions on both.
 */
export type TestSqlServer = {
  /** The connection string Siphon is given. */
  url: string;
  /** The schema the test's tables live in (`dbo` on the test double). */
  schema: string;
  real: boolean;
  /** The test double, for its hooks; undefined on a real SQL Server. */
  server: TdsTestServer | undefined;
  /** The SQL Server source spec fields to connect with. */
  source: { authentication: 'sql'; encrypt: boolean; trustServerCertificate: boolean; packetSize: number };
  createTable(table: Omit<SqlServerTable, 'schema'>, rows: Array<Array<string | Buffer | null>>): Promise<void>;
  /** `count` rows; each column's value given as an expression of n (0-based) for each engine. */
  generateRows(table: string, count: number, values: Array<{ pg: string; tsql: string }>): Promise<void>;
  /** Refreshes the statistics of a table (UPDATE STATISTICS, which the test double runs as ANALYZE). */
  updateStatistics(table: string): Promise<void>;
  /** A statement run outside Siphon (an insert, an update), written for each engine; tables are in `schema`. */
  execute(statement: { pg: string; tsql: string }): Promise<void>;
  /**
   * A transaction that takes the database's next rowversion and stays open until `end`: on a
   * real SQL Server an insert into a table of its own on a second connection, left uncommitted;
   * on the test double its holdRowversion hook. Either way MIN_ACTIVE_ROWVERSION() stays at or
   * below `rowversion` until then, while other sessions go on committing rows above it.
   */
  openTransaction(): Promise<{ rowversion: bigint; end(): Promise<void> }>;
  /**
   * Change Tracking on for the database (if it is not) and for `table` (which has a primary
   * key): on the test double its emulation (changeTracking.ts), on a real SQL Server
   * ALTER DATABASE ... SET CHANGE_TRACKING = ON and ALTER TABLE ... ENABLE CHANGE_TRACKING.
   */
  enableChangeTracking(table: string): Promise<void>;
  /** ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON or OFF (off in a new database). */
  allowSnapshotIsolation(allowed: boolean): Promise<void>;
  /**
   * Change Tracking's retention cleanup for `table`, now: its minimum valid version becomes the
   * current version. The test double only (a real server cleans up on its own schedule).
   */
  cleanUpChangeTracking(table: string): Promise<bigint>;
  /**
   * CDC on for the database (if it is not) and a capture instance `instance` for `table`, of its
   * columns as they are now: on the test double its emulation (cdc.ts), on a real SQL Server
   * sys.sp_cdc_enable_db and sys.sp_cdc_enable_table (which need SQL Server Agent running).
   */
  enableCdc(table: string, instance: string): Promise<void>;
  /** CDC's retention cleanup for `instance`, now: its minimum LSN passes every change so far. The test double only. */
  cleanUpCdc(instance: string): Promise<void>;
  /** ALTER TABLE ... ADD a NULL column. */
  addColumn(table: string, column: SqlServerColumn): Promise<void>;
  drop(): Promise<void>;
  /** The database name in errors: `SQL Server host,port/database`. */
  label: string;
};

export const testLogin = { user: 'siphon_reader', password: 'Rd-9f2kQ!x7' };

type MssqlRequest = { query(text: string): Promise<{ recordset?: Array<Record<string, unknown>> }>; batch(text: string): Promise<unknown> };
const mssql = createRequire(import.meta.url)('mssql') as {
  ConnectionPool: new (config: unknown) => {
    connect(): Promise<unknown>;
    close(): Promise<void>;
    request(): MssqlRequest;
    transaction(): { begin(): Promise<unknown>; request(): MssqlRequest; rollback(): Promise<void> };
  };
};

const isRowversion = (type: string) => /^\s*(rowversion|timestamp)\s*$/i.test(type);

export async function createTestSqlServer(label: string): Promise<TestSqlServer> {
  const real = process.env.SIPHON_TEST_MSSQL;
  return real ? realSqlServer(label, real) : testDouble(label);
}

async function testDouble(label: string): Promise<TestSqlServer> {
  const db: TestDatabase = await createTestDatabase(label);
  const server = await TdsTestServer.start({ postgresUrl: serverUrl, logins: { [testLogin.user]: testLogin.password } });
  const query = async (text: string, values?: unknown[]) => db.query(text, values);
  return {
    url: server.connectionString({ database: db.name, ...testLogin }),
    schema: 'dbo',
    real: false,
    server,
    source: { authentication: 'sql', encrypt: false, trustServerCertificate: false, packetSize: 32767 },
    label: `SQL Server ${server.host},${server.port}/${db.name}`,
    createTable: async (table, rows) => {
      await createSqlServerTable(query, { ...table, schema: 'dbo' });
      await insertSqlServerRows(query, { ...table, schema: 'dbo' }, rows);
    },
    generateRows: async (table, count, values) => {
      await db.query(`INSERT INTO dbo."${table}" SELECT ${values.map((v) => v.pg).join(', ')} FROM generate_series(0, ${count - 1}) AS g(n)`);
    },
    updateStatistics: async (table) => {
      await db.query(`ANALYZE dbo."${table}"`);
    },
    execute: async (statement) => {
      await db.query(statement.pg);
    },
    openTransaction: async () => {
      // The value the open transaction's own write took from the counter.
      const [taken] = await db.query<{ value: string }>(`SELECT nextval('siphon_tds.dbts')::text AS value`);
      const rowversion = BigInt(taken!.value);
      server.holdRowversion(rowversion);
      return { rowversion, end: async () => server.holdRowversion(undefined) };
    },
    enableChangeTracking: async (table) => {
      await db.query(`SELECT siphon_tds.enable_change_tracking($1::regclass)`, [`dbo."${table}"`]);
    },
    allowSnapshotIsolation: async (allowed) => {
      await db.query(`UPDATE siphon_tds.database_options SET allow_snapshot_isolation = $1`, [allowed]);
    },
    cleanUpChangeTracking: async (table) => {
      const [row] = await db.query<{ cut: string }>(`SELECT siphon_tds.ct_cleanup($1::regclass)::text AS cut`, [`dbo."${table}"`]);
      return BigInt(row!.cut);
    },
    enableCdc: async (table, instance) => {
      await db.query(`SELECT siphon_tds.cdc_enable($1::regclass, $2)`, [`dbo."${table}"`, instance]);
    },
    cleanUpCdc: async (instance) => {
      await db.query(`SELECT siphon_tds.cdc_cleanup($1)`, [instance]);
    },
    addColumn: async (table, column) => {
      await addSqlServerColumn(query, 'dbo', table, column);
    },
    drop: async () => {
      server.holdRowversion(undefined);
      await server.close();
      await db.drop();
    },
  };
}

async function realSqlServer(label: string, connectionString: string): Promise<TestSqlServer> {
  const plain = /(?:^|;)\s*encrypt\s*=\s*(false|no)\s*(;|$)/i.test(connectionString);
  const source = { authentication: 'sql' as const, encrypt: !plain, trustServerCertificate: true, packetSize: 32767 };
  const { serverLabel, sqlServerConfig } = await import('../../../src/sources/sqlserver/sqlServerConnector.js');
  const config = sqlServerConfig(connectionString, source);
  const pool = new mssql.ConnectionPool({ ...config, pool: { max: 2, min: 0 }, requestTimeout: 600_000 });
  await pool.connect();
  const schema = `siphon_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}`;
  const tables: string[] = [];
  const run = (text: string) => pool.request().batch(text);
  await run(`IF SCHEMA_ID('${schema}') IS NULL EXEC('CREATE SCHEMA [${schema}]')`);
  return {
    url: connectionString,
    schema,
    real: true,
    server: undefined,
    source,
    label: serverLabel(config),
    createTable: async (table, rows) => {
      const keys = table.columns.filter((c) => c.primaryKey).map((c) => `[${c.name}]`);
      const definitions = table.columns.map((c) => `[${c.name}] ${c.type}${c.nullable === false || c.primaryKey ? ' NOT NULL' : ' NULL'}`);
      if (keys.length) definitions.push(`PRIMARY KEY (${keys.join(', ')})`);
      await run(`CREATE TABLE [${schema}].[${table.name}] (${definitions.join(', ')})`);
      tables.push(table.name);
      for (const row of rows) {
        const values = row.map((value, i) => {
          // SQL Server stamps a rowversion itself; writing one is an error.
          if (isRowversion(table.columns[i]!.type)) return 'DEFAULT';
          if (value === null) return 'NULL';
          if (Buffer.isBuffer(value)) return `CAST(0x${value.toString('hex')} AS ${table.columns[i]!.type})`;
          return `CAST(N'${value.replace(/'/g, "''")}' AS ${table.columns[i]!.type})`;
        });
        await run(`INSERT INTO [${schema}].[${table.name}] VALUES (${values.join(', ')})`);
      }
    },
    generateRows: async (table, count, values) => {
      await run(`WITH d AS (SELECT n FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) v(n)),
        g AS (SELECT TOP (${count}) CAST(ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) - 1 AS bigint) AS n FROM d a, d b, d c, d e, d f, d h, d i)
        INSERT INTO [${schema}].[${table}] SELECT ${values.map((v) => v.tsql).join(', ')} FROM g`);
    },
    updateStatistics: async (table) => {
      await run(`UPDATE STATISTICS [${schema}].[${table}] WITH FULLSCAN`);
    },
    execute: async (statement) => {
      await run(statement.tsql);
    },
    enableChangeTracking: async (table) => {
      await run(`IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())
        ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 2 DAYS, AUTO_CLEANUP = ON)`);
      await run(`ALTER TABLE [${schema}].[${table}] ENABLE CHANGE_TRACKING`);
    },
    allowSnapshotIsolation: async (allowed) => {
      await run(`ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ${allowed ? 'ON' : 'OFF'}`);
    },
    cleanUpChangeTracking: async () => {
      throw new Error('Change Tracking cleanup on demand is the test double\'s hook; a real SQL Server cleans up on its own schedule');
    },
    enableCdc: async (table, instance) => {
      await run(`IF (SELECT is_cdc_enabled FROM sys.databases WHERE database_id = DB_ID()) = 0 EXEC sys.sp_cdc_enable_db`);
      await run(`EXEC sys.sp_cdc_enable_table @source_schema = N'${schema}', @source_name = N'${table}', @role_name = NULL, @capture_instance = N'${instance}'`);
    },
    cleanUpCdc: async () => {
      throw new Error('CDC cleanup on demand is the test double\'s hook; a real SQL Server cleans up on its own schedule');
    },
    addColumn: async (table, column) => {
      await run(`ALTER TABLE [${schema}].[${table}] ADD [${column.name}] ${column.type} NULL`);
    },
    openTransaction: async () => {
      const holder = 'siphon_open_transaction';
      if (!tables.includes(holder)) {
        await run(`CREATE TABLE [${schema}].[${holder}] (id int IDENTITY PRIMARY KEY, rv rowversion NOT NULL)`);
        tables.push(holder);
      }
      const transaction = pool.transaction();
      await transaction.begin();
      try {
        const result = await transaction.request().query(`INSERT INTO [${schema}].[${holder}] OUTPUT CONVERT(varchar(18), inserted.rv, 1) AS rv DEFAULT VALUES`);
        const rowversion = BigInt(String(result.recordset![0]!.rv));
        return { rowversion, end: () => transaction.rollback() };
      } catch (err) {
        await transaction.rollback();
        throw err;
      }
    },
    drop: async () => {
      for (const table of tables.reverse()) await run(`DROP TABLE IF EXISTS [${schema}].[${table}]`);
      await run(`DROP SCHEMA IF EXISTS [${schema}]`);
      await pool.close();
    },
  };
}
