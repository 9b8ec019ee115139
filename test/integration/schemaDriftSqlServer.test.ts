import { startTestEnvironment } from '../support/testEnvironment.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { describeDrift } from '../support/driftScenarios.js';

/**
 * Schema contracts and drift on SQL Server (issue 18), on the TDS test double (or a real server
 * when the test environment names one): see support/driftScenarios.ts. The double stores its
 * tables in PostgreSQL with each column's SQL Server type in its catalog table (createTable, the
 * double's own helper); a column the catalog does not list takes the SQL Server type of its
 * PostgreSQL type (text -> nvarchar(max)). So the double's ALTER TABLE is PostgreSQL's, with the
 * catalog row changed beside it for a retype or a drop.
 */
let database: TestSqlServer | undefined;
const sqlType = { int: 'int', bigint: 'bigint', text: 'nvarchar(max)' } as Record<string, string>;
const catalogRow = (table: string, column: string) => `siphon_tds.columns WHERE schema_name = 'dbo' AND table_name = '${table.split('.').at(-1)!.replace(/"/g, '')}' AND column_name = '${column}'`;
const pgType = { int: 'integer', bigint: 'bigint', text: 'text' } as Record<string, string>;

describeDrift('sqlserver', {
  engine: 'sqlserver',
  get sourceFields() {
    return database!.source;
  },
  tableSpec: (name) => ({ schema: database!.schema, name }),
  tableRef: (name) => `"${database!.schema}"."${name}"`,
  createTable: (name) => database!.createTable({ name, columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'amount', type: 'int', nullable: false }] }, [['1', '10'], ['2', '20']]),
  run: (statement) => database!.execute(typeof statement === 'string' ? { pg: statement, tsql: statement } : statement),
  addColumn: (table, column, type) => ({ pg: `ALTER TABLE ${table} ADD COLUMN ${column} ${pgType[type]}`, tsql: `ALTER TABLE ${table} ADD ${column} ${sqlType[type]}` }),
  dropColumn: (table, column) => ({ pg: `ALTER TABLE ${table} DROP COLUMN ${column}; DELETE FROM ${catalogRow(table, column)}`, tsql: `ALTER TABLE ${table} DROP COLUMN ${column}` }),
  retype: (table, column, type) => ({
    pg: `ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${pgType[type]}; UPDATE ${catalogRow(table, column).replace(' WHERE', ` SET mssql_type = '${sqlType[type]}' WHERE`)}`,
    tsql: `ALTER TABLE ${table} ALTER COLUMN ${column} ${sqlType[type]} NOT NULL`,
  }),
  // Names for the per-engine DDL above.
  types: { int: 'int', bigint: 'bigint', text: 'text' },
}, () => startTestEnvironment('schema_drift', async (db) => {
  database = db;
}, { createDatabase: createTestSqlServer }));
