import { startTestEnvironment, type SourceDatabase, type TestEnvironment } from '../support/testEnvironment.js';
import type { TestDatabase } from '../support/testPostgres.js';
import { describeDrift } from '../support/driftScenarios.js';

/** Schema contracts and drift on PostgreSQL (issue 18): see support/driftScenarios.ts. */
let database: TestDatabase | undefined;

describeDrift('postgres', {
  engine: 'postgres',
  tableSpec: (name) => ({ name }),
  tableRef: (name) => `"${name}"`,
  run: (sql) => database!.query(sql as string),
  addColumn: (table, column, type) => `ALTER TABLE ${table} ADD COLUMN ${column} ${type}`,
  dropColumn: (table, column) => `ALTER TABLE ${table} DROP COLUMN ${column}`,
  retype: (table, column, type) => `ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${type}`,
  types: { int: 'integer', bigint: 'bigint', text: 'text' },
}, async () => {
  const env = await startTestEnvironment('schema_drift', async (db) => {
    database = db;
  });
  return env as unknown as TestEnvironment<SourceDatabase>;
});
