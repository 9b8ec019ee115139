import { afterAll, beforeAll, describe, it } from 'vitest';
import { SqlServerConnector } from '../../src/sources/sqlserver/sqlServerConnector.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { duplicateRows, expectDuplicateKeys } from '../support/duplicateKeyScenario.js';

/** The quality checks' statements at the source (unique, notNullRate) on SQL Server (the TDS test double by default), through the connector. */
let sql: TestSqlServer;
let connector: SqlServerConnector;

beforeAll(async () => {
  sql = await createTestSqlServer('quality_source');
  await sql.createTable({
    name: 'dup',
    columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'ref', type: 'int' }, { name: 'tag', type: 'nvarchar(10)' }, { name: 'at', type: 'datetime2(6)', nullable: false }],
  }, duplicateRows);
  connector = await SqlServerConnector.connect(sql.url, sql.source);
}, 120_000);

afterAll(async () => {
  await connector?.close();
  await sql?.drop();
});

describe('quality checks at a SQL Server source', () => {
  it('finds duplicated keys and counts non-NULL values over the run\'s rows', async () => {
    await expectDuplicateKeys(connector, { kind: 'table', table: { schema: sql.schema, name: 'dup' } });
  });

  it('reads a query target the same way', async () => {
    await expectDuplicateKeys(connector, { kind: 'query', sql: `SELECT id, ref, tag, at FROM ${sql.schema}.dup` });
  });
});
