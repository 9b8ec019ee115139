import pg from 'pg';
import mysql from 'mysql2/promise';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import { BlobServiceClient } from '@azure/storage-blob';
import { serverUrl } from './testPostgres.js';

/**
 * Everything a request could change, read back independently of Siphon's own code (fresh SDK
 * clients on the test's Azurite, a fresh connection to the source), for "changes nothing"
 * assertions:
 *
 *   const before = await snapshotState(env);
 *   ... a refused request ...
 *   expect(await snapshotState(env)).toEqual(before);
 *
 * Storage: every entity (with its ETag, so a rewrite of the same values counts as a change) of
 * every table in the account, which covers Siphon's tables and the durable instance and history
 * tables; every queue's approximate message count and peeked messages; every container's blobs.
 * Source: its catalog (schemas, relations with their columns, functions, triggers, extensions,
 * large objects; on MySQL/MariaDB tables with their auto-increment and update time, columns,
 * routines, triggers, events), per table its row count and a checksum of its rows (on
 * PostgreSQL with each row's version, so a same-value UPDATE shows), and each sequence's position.
 *
 * Take it while the runtime is idle (no run in flight): a run changes state on its own.
 */
export async function snapshotState(env: SnapshotTarget): Promise<StateSnapshot> {
  const { connectionString } = env.azurite;
  const [tables, queues, blobs, source] = await Promise.all([tableEntities(connectionString), queueMessages(connectionString), containerBlobs(connectionString), sourceState(env.database)]);
  return { tables, queues, blobs, source };
}

export type SnapshotTarget = {
  azurite: { connectionString: string };
  /** A PostgreSQL or MySQL/MariaDB URL, or the TDS test double (a connection string whose database lives in PostgreSQL). */
  database: { url: string; real?: boolean };
};

type Row = Record<string, unknown>;

export type StateSnapshot = {
  tables: Record<string, Row[]>;
  queues: Record<string, { approximateMessages: number | undefined; peeked: Array<{ id: string; text: string }> }>;
  blobs: Record<string, Array<{ name: string; etag: string | undefined; bytes: number | undefined }>>;
  source: Record<string, Row[]>;
};

async function tableEntities(connectionString: string): Promise<StateSnapshot['tables']> {
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  const result: StateSnapshot['tables'] = {};
  for await (const table of service.listTables()) {
    const client = TableClient.fromConnectionString(connectionString, table.name!, { allowInsecureConnection: true });
    const entities: Row[] = [];
    for await (const entity of client.listEntities()) entities.push(entity);
    entities.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    result[table.name!] = entities;
  }
  return result;
}

const keyOf = (entity: Row) => `${String(entity.partitionKey)}\u0000${String(entity.rowKey)}`;

async function queueMessages(connectionString: string): Promise<StateSnapshot['queues']> {
  const service = QueueServiceClient.fromConnectionString(connectionString);
  const result: StateSnapshot['queues'] = {};
  for await (const queue of service.listQueues()) {
    const client = service.getQueueClient(queue.name);
    const [properties, peeked] = await Promise.all([client.getProperties(), client.peekMessages({ numberOfMessages: 32 })]);
    result[queue.name] = {
      approximateMessages: properties.approximateMessagesCount,
      peeked: peeked.peekedMessageItems.map((message) => ({ id: message.messageId, text: message.messageText })),
    };
  }
  return result;
}

async function containerBlobs(connectionString: string): Promise<StateSnapshot['blobs']> {
  const service = BlobServiceClient.fromConnectionString(connectionString);
  const result: StateSnapshot['blobs'] = {};
  for await (const container of service.listContainers()) {
    const blobs: StateSnapshot['blobs'][string] = [];
    for await (const blob of service.getContainerClient(container.name).listBlobsFlat()) {
      blobs.push({ name: blob.name, etag: blob.properties.etag, bytes: blob.properties.contentLength });
    }
    result[container.name] = blobs;
  }
  return result;
}

async function sourceState(database: SnapshotTarget['database']): Promise<StateSnapshot['source']> {
  if (/^postgres(ql)?:\/\//i.test(database.url)) return postgresState(database.url);
  if (/^mysql:\/\//i.test(database.url)) return mysqlState(database.url);
  const doubleDatabase = /(?:^|;)\s*Database=([^;]+)/i.exec(database.url)?.[1];
  if (database.real === false && doubleDatabase) return postgresState(serverUrl.replace(/\/[^/]*$/, `/${doubleDatabase}`));
  throw new Error('snapshotState: only PostgreSQL, MySQL/MariaDB and the TDS test double are supported as sources');
}

const postgresCatalog = {
  schemas: `SELECT nspname AS name FROM pg_namespace WHERE nspname NOT IN ('information_schema') AND nspname !~ '^pg_' ORDER BY 1`,
  relations: `
    SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.oid::int8::text AS oid,
      coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS columns
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('information_schema') AND n.nspname !~ '^pg_'
    ORDER BY 1, 2`,
  functions: `
    SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, md5(coalesce(p.prosrc, '')) AS body
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('information_schema') AND n.nspname !~ '^pg_'
    ORDER BY 1, 2, 3`,
  triggers: `SELECT tgrelid::regclass::text AS relation, tgname AS name, tgenabled::text AS enabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`,
  extensions: `SELECT extname AS name, extversion AS version FROM pg_extension ORDER BY 1`,
  largeObjects: `SELECT count(*)::int AS count FROM pg_largeobject_metadata`,
};

async function postgresState(url: string): Promise<StateSnapshot['source']> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result: StateSnapshot['source'] = {};
    for (const [name, sql] of Object.entries(postgresCatalog)) result[name] = (await client.query(sql)).rows as Row[];
    const rows: Row[] = [];
    const sequences: Row[] = [];
    for (const relation of result.relations as Array<{ schema: string; name: string; kind: string }>) {
      const qualified = `${client.escapeIdentifier(relation.schema)}.${client.escapeIdentifier(relation.name)}`;
      if (relation.kind === 'r') {
        // Each row with its version (xmin): an UPDATE that writes the same values is still a write.
        const [summary] = (await client.query(`SELECT count(*)::text AS rows, md5(coalesce(string_agg(t::text || '@' || t.xmin::text, ',' ORDER BY t::text, t.xmin::text), '')) AS checksum FROM ONLY ${qualified} t`)).rows as Row[];
        rows.push({ table: `${relation.schema}.${relation.name}`, ...summary });
      } else if (relation.kind === 'S') {
        const [position] = (await client.query(`SELECT last_value::text AS "lastValue", is_called AS "isCalled" FROM ${qualified}`)).rows as Row[];
        sequences.push({ sequence: `${relation.schema}.${relation.name}`, ...position });
      }
    }
    return { ...result, rows, sequences };
  } finally {
    await client.end();
  }
}

const mysqlCatalog = {
  // AUTO_INCREMENT moves even for an insert that is rolled back; UPDATE_TIME moves on any write.
  tables: `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, CREATE_TIME AS created, UPDATE_TIME AS updated, AUTO_INCREMENT AS autoIncrement FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`,
  columns: `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, ORDINAL_POSITION`,
  routines: `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type, MD5(COALESCE(ROUTINE_DEFINITION, '')) AS body FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1, 2`,
  triggers: `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1`,
  events: `SELECT EVENT_NAME AS name, STATUS AS status FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY 1`,
};

async function mysqlState(url: string): Promise<StateSnapshot['source']> {
  const connection = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  try {
    const result: StateSnapshot['source'] = {};
    for (const [name, sql] of Object.entries(mysqlCatalog)) result[name] = (await connection.query(sql))[0] as Row[];
    const rows: Row[] = [];
    for (const table of result.tables as Array<{ name: string; type: string }>) {
      if (table.type !== 'BASE TABLE') continue;
      const quoted = `\`${table.name.replace(/`/g, '``')}\``;
      const [[count]] = (await connection.query(`SELECT COUNT(*) AS n FROM ${quoted}`)) as unknown as [Row[]];
      // EXTENDED reads every row, so the checksum is of the contents, whatever the engine keeps live.
      const [[checksum]] = (await connection.query(`CHECKSUM TABLE ${quoted} EXTENDED`)) as unknown as [Row[]];
      rows.push({ table: table.name, rows: String(count?.n), checksum: String(checksum?.Checksum) });
    }
    return { ...result, rows };
  } finally {
    await connection.end();
  }
}
