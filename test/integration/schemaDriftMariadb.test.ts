import { startTestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { describeDrift } from '../support/driftScenarios.js';

/** Schema contracts and drift on MariaDB (issue 18): see support/driftScenarios.ts. */
let database: TestMysqlDatabase | undefined;

describeDrift('mariadb', {
  engine: 'mysql',
  tableSpec: (name) => ({ name }),
  tableRef: (name) => `\`${name}\``,
  run: (sql) => database!.query(sql as string),
  addColumn: (table, column, type) => `ALTER TABLE ${table} ADD COLUMN ${column} ${type}`,
  dropColumn: (table, column) => `ALTER TABLE ${table} DROP COLUMN ${column}`,
  // MODIFY restates the column; NOT NULL kept, so only the type changes.
  retype: (table, column, type) => `ALTER TABLE ${table} MODIFY COLUMN ${column} ${type} NOT NULL`,
  types: { int: 'INT', bigint: 'BIGINT', text: 'VARCHAR(50)' },
}, () => startTestEnvironment('schema_drift', async (db) => {
  database = db;
}, { createDatabase: createTestMysqlDatabase }));
