import type { Writable } from 'node:stream';
import { once } from 'node:events';
import mysql from 'mysql2';
import { endAndFlush, openCsvPeer, type CsvColumn } from './csvPeerPipeline.js';
import type { MethodContext, Runner } from './runner.js';
import { quoteName, rangeSelect } from './sourceTables.js';

/** The mixed table as a script written for it declares it (same output types as Siphon's: BOOLEAN is TINYINT(1), an int16). */
const columns: Array<CsvColumn & { text?: boolean }> = [
  { name: 'id', duckdbType: 'BIGINT' },
  { name: 'customer_id', duckdbType: 'INTEGER' },
  { name: 'amount', duckdbType: 'DECIMAL(18,4)' },
  { name: 'label', duckdbType: 'VARCHAR', text: true },
  { name: 'created_at', duckdbType: 'TIMESTAMPTZ' },
  { name: 'active', duckdbType: 'SMALLINT' },
  { name: 'ship_date', duckdbType: 'DATE' },
];

/** Lines gathered before one write to the file: few large writes instead of a million small ones. */
const linesPerWrite = 8_192;
const newline = Buffer.from('\n');

/**
 * The strongest MariaDB peer a data engineer would script: the server formats each row as one
 * CSV line (`SELECT CONCAT_WS(',', ...)`: text quoted with inner quotes doubled, NULL as an empty
 * bare field, since CONCAT_WS would skip a NULL and shift the columns), mysql2 hands the line over
 * as a Buffer (typeCast: false) and the script writes lines into a file or a fifo, pausing the
 * connection while the file catches up; then DuckDB -> Parquet -> one upload (csvPeerPipeline).
 */
export async function openMariadbConcatWsPeer(context: MethodContext, via: 'file' | 'fifo'): Promise<Runner> {
  const connection = mysql.createConnection({ uri: context.url });
  // TIMESTAMP values as UTC wall clock, which the peer declares TIMESTAMPTZ in a UTC DuckDB.
  await connection.promise().query(`SET time_zone = '+00:00'`);
  const fields = columns.map(({ name, text }) => {
    const column = quoteName('mariadb', name);
    return `IFNULL(${text ? `CONCAT('"', REPLACE(${column}, '"', '""'), '"')` : column}, '')`;
  });
  const selectList = `CONCAT_WS(',', ${fields.join(', ')})`;
  return openCsvPeer(context, columns, {
    writeCsv: (range, destination) => writeLines(connection, rangeSelect('mariadb', context.table, context.columns, context.key, range, selectList), destination),
    close: () => connection.promise().end(),
  }, via);
}

async function writeLines(connection: mysql.Connection, sql: string, destination: Writable): Promise<void> {
  let pending: Buffer[] = [];
  const flush = () => {
    if (!destination.write(Buffer.concat(pending))) {
      connection.pause();
      destination.once('drain', () => connection.resume());
    }
    pending = [];
  };
  const query = connection.query({ sql, rowsAsArray: true, typeCast: false });
  query.on('result', (row) => {
    pending.push((row as unknown as Buffer[])[0]!, newline);
    if (pending.length >= linesPerWrite * 2) flush();
  });
  const failed = once(query, 'error').then(([err]) => { throw err as Error; });
  try {
    await Promise.race([once(query, 'end'), failed, once(destination, 'error').then(([err]) => { throw err as Error; })]);
  } finally {
    // A write that found the file full paused the connection; an ending file emits no 'drain'.
    connection.resume();
  }
  if (pending.length) destination.write(Buffer.concat(pending));
  await endAndFlush(destination);
}
