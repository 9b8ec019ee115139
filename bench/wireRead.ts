import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import mysql from 'mysql2';
import type { MethodContext, Runner } from './runner.js';
import { rangeSelect } from './sourceTables.js';

/**
 * The read limit of the wire on this machine: the chunk's rows come off the socket and are
 * thrown away, with the least client work each protocol allows.
 *   PostgreSQL: COPY (SELECT ...) TO STDOUT (FORMAT binary) through pg-copy-streams, the bytes
 *     drained (no row is split into values); the row count is the server's (COPY n).
 *   MariaDB: mysql2 with typeCast: false and rowsAsArray, each row's fields left as Buffers and
 *     discarded (the driver still splits rows into fields; the text protocol has no bulk form).
 */
export async function openWireRead(context: MethodContext): Promise<Runner> {
  return context.engine === 'postgres' ? openPostgresWire(context) : openMariadbWire(context);
}

async function openPostgresWire(context: MethodContext): Promise<Runner> {
  const client = new pg.Client({ connectionString: context.url });
  await client.connect();
  return {
    run: async (range) => {
      const select = rangeSelect('postgres', context.table, context.columns, context.key, range);
      const stream = client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`));
      for await (const chunk of stream) void chunk;
      return { rows: stream.rowCount };
    },
    close: () => client.end(),
  };
}

async function openMariadbWire(context: MethodContext): Promise<Runner> {
  const connection = mysql.createConnection({ uri: context.url });
  await connection.promise().query('SELECT 1');
  return {
    run: (range) => new Promise((resolve, reject) => {
      let rows = 0;
      const sql = rangeSelect('mariadb', context.table, context.columns, context.key, range);
      // Without a callback mysql2 emits each row and keeps none.
      connection.query({ sql, rowsAsArray: true, typeCast: false })
        .on('result', () => rows++)
        .on('error', reject)
        .on('end', () => resolve({ rows }));
    }),
    close: () => connection.promise().end(),
  };
}
