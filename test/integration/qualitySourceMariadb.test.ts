import { afterAll, beforeAll, describe, it } from 'vitest';
import { MysqlConnector } from '../../src/sources/mysql/mysqlConnector.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { duplicateRows, expectDuplicateKeys } from '../support/duplicateKeyScenario.js';

/** The quality checks' statements at the source (unique, notNullRate) on MariaDB, through the connector. */
let db: TestMysqlDatabase;
let connector: MysqlConnector;

beforeAll(async () => {
  db = await createTestMysqlDatabase('quality_source');
  await db.query('CREATE TABLE dup (id int PRIMARY KEY, ref int NULL, tag varchar(10) NULL, at datetime(6) NOT NULL)');
  await db.query(`INSERT INTO dup VALUES ${duplicateRows.map(() => '(?, ?, ?, ?)').join(', ')}`, duplicateRows.flat());
  connector = await MysqlConnector.connect(db.url);
});

afterAll(async () => {
  await connector?.close();
  await db?.drop();
});

describe('quality checks at a MariaDB source', () => {
  it('finds duplicated keys and counts non-NULL values over the run\'s rows', async () => {
    await expectDuplicateKeys(connector, { kind: 'table', table: { name: 'dup' } });
  });

  it('reads a query target the same way', async () => {
    await expectDuplicateKeys(connector, { kind: 'query', sql: 'SELECT id, ref, tag, at FROM dup' });
  });
});
