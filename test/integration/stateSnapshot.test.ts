import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import { snapshotState } from '../support/stateSnapshot.js';

/**
 * "Changes nothing" assertions are only as good as the snapshot behind them: each kind of write
 * a hostile request could cause must show up as a difference. Snapshots of an untouched system
 * must be equal.
 */
let azurite: AzuriteHandle;
let postgres: TestDatabase;
let mariadb: TestMysqlDatabase;

beforeAll(async () => {
  [azurite, postgres, mariadb] = await Promise.all([startAzurite(), createTestDatabase('snapshot'), createTestMysqlDatabase('snapshot')]);
  await postgres.query(`CREATE TABLE t (id serial PRIMARY KEY, note text)`);
  await postgres.query(`INSERT INTO t (note) VALUES ('a'), ('b')`);
  await mariadb.query(`CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, note text)`);
  await mariadb.query(`INSERT INTO t (note) VALUES ('a'), ('b')`);
  const table = TableClient.fromConnectionString(azurite.connectionString, 'siphonThings', { allowInsecureConnection: true });
  await table.createTable();
  await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
  await new QueueClient(azurite.connectionString, 'jobs').create();
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('out').create();
});

afterAll(async () => {
  await Promise.all([azurite?.stop(), postgres?.drop(), mariadb?.drop()]);
});

const pgEnv = () => ({ azurite, database: postgres });
const mysqlEnv = () => ({ azurite, database: mariadb });

async function expectChangeSeen(env: Parameters<typeof snapshotState>[0], change: () => Promise<unknown>): Promise<void> {
  const before = await snapshotState(env);
  expect(await snapshotState(env)).toEqual(before);
  await change();
  expect(await snapshotState(env)).not.toEqual(before);
}

describe('snapshotState sees', () => {
  it('a table entity rewritten with the same values (its ETag changes), a new table', async () => {
    const table = TableClient.fromConnectionString(azurite.connectionString, 'siphonThings', { allowInsecureConnection: true });
    await expectChangeSeen(pgEnv(), () => table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 1 }, 'Replace'));
    await expectChangeSeen(pgEnv(), () => TableClient.fromConnectionString(azurite.connectionString, 'siphonOther', { allowInsecureConnection: true }).createTable());
  });

  it('a queued message and a blob', async () => {
    await expectChangeSeen(pgEnv(), () => new QueueClient(azurite.connectionString, 'jobs').sendMessage('x'));
    await expectChangeSeen(pgEnv(), () => BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('out').uploadBlockBlob('a.txt', 'a', 1));
  });

  it('PostgreSQL: an updated row (even to the same values), a sequence advanced, a function, a schema, a large object', async () => {
    await expectChangeSeen(pgEnv(), () => postgres.query(`UPDATE t SET note = 'c' WHERE id = 1`));
    await expectChangeSeen(pgEnv(), () => postgres.query(`UPDATE t SET note = note`));
    await expectChangeSeen(pgEnv(), () => postgres.query(`SELECT nextval('t_id_seq')`));
    await expectChangeSeen(pgEnv(), () => postgres.query(`CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'`));
    await expectChangeSeen(pgEnv(), () => postgres.query(`CREATE SCHEMA empty_one`));
    await expectChangeSeen(pgEnv(), () => postgres.query(`SELECT lo_create(0)`));
    // A table dropped and created again, rows and all, is a change too.
    await expectChangeSeen(pgEnv(), () => postgres.query(`CREATE TABLE t2 AS SELECT * FROM t; DROP TABLE t CASCADE; ALTER TABLE t2 RENAME TO t`));
  });

  it('MariaDB: an updated row, a new table, a row inserted and deleted again, a routine', async () => {
    await expectChangeSeen(mysqlEnv(), () => mariadb.query(`UPDATE t SET note = 'c' WHERE id = 1`));
    await expectChangeSeen(mysqlEnv(), () => mariadb.query(`CREATE TABLE u (id int)`));
    await expectChangeSeen(mysqlEnv(), () => mariadb.query(`INSERT INTO t (note) VALUES ('d')`).then(() => mariadb.query(`DELETE FROM t WHERE note = 'd'`)));
    await expectChangeSeen(mysqlEnv(), () => mariadb.query(`CREATE FUNCTION f() RETURNS int RETURN 1`));
  });
});
