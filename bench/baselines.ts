import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import Cursor from 'pg-cursor';
import mysql from 'mysql2';
import { stringify } from 'csv-stringify';
import type { ContainerClient } from '@azure/storage-blob';
import type { KeyRange, SourceDatabase } from './sourceTables.js';

/** One measured thing, connected once and run several times; `run` returns the rows it moved. */
export type Runner = { run(): Promise<RunResult>; close(): Promise<void> };
export type RunResult = { rows: number; bytes?: number; cleanup?: () => Promise<void> };

export type RangeRead = { table: string; columns: string[]; key: string; range: KeyRange };

const batchRows = 10_000;

/**
 * The limit: the same driver reading the same statement as Siphon, as its docs suggest for large
 * results (pg-cursor batches of 10k in rowMode 'array'; mysql2 `query().stream()` with
 * rowsAsArray), with the driver's default type parsing; the rows are discarded.
 */
export async function openBareRead(db: SourceDatabase, read: RangeRead): Promise<Runner> {
  const { sql, values } = db.rangeQuery(read.table, read.columns, read.key, read.range);
  if (db.engine === 'postgres') {
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    return {
      run: async () => {
        const cursor = client.query(new Cursor(sql, values, { rowMode: 'array' }));
        let rows = 0;
        for (;;) {
          const batch = await cursor.read(batchRows);
          if (batch.length === 0) break;
          rows += batch.length;
        }
        await cursor.close();
        return { rows };
      },
      close: () => client.end(),
    };
  }
  const connection = mysql.createConnection({ uri: db.url });
  await connection.promise().query('SELECT 1');
  return {
    run: async () => {
      const stream = connection.query({ sql, values, rowsAsArray: true }).stream();
      let rows = 0;
      stream.on('data', () => rows++);
      await finished(stream);
      return { rows };
    },
    close: () => connection.promise().end(),
  };
}

/**
 * What a user would write without Siphon: the driver's row stream piped through csv-stringify
 * into BlockBlobClient.uploadStream (8 MiB buffers, 4 in flight). For pg the stream is made from
 * pg-cursor the way pg-query-stream does it (a Readable that reads the next batch on demand).
 */
export async function openPlainScript(db: SourceDatabase, read: RangeRead, container: ContainerClient): Promise<Runner> {
  const { sql, values } = db.rangeQuery(read.table, read.columns, read.key, read.range);
  let runs = 0;
  const upload = async (rows: Readable) => {
    let count = 0;
    const csv = stringify({ header: true, columns: read.columns });
    rows.on('data', () => count++);
    rows.once('error', (err) => csv.destroy(err));
    rows.pipe(csv);
    const blob = container.getBlockBlobClient(`plain/${read.table}-${runs++}.csv`);
    await blob.uploadStream(csv, 8 * 1024 * 1024, 4, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
    const bytes = (await blob.getProperties()).contentLength ?? 0;
    return { rows: count, bytes, cleanup: async () => void (await blob.deleteIfExists()) };
  };
  if (db.engine === 'postgres') {
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    return {
      run: async () => {
        const cursor = client.query(new Cursor(sql, values, { rowMode: 'array' }));
        let reading = false;
        const rows = new Readable({
          objectMode: true,
          highWaterMark: batchRows,
          read() {
            if (reading) return;
            reading = true;
            cursor.read(batchRows).then((batch) => {
              reading = false;
              if (batch.length === 0) {
                cursor.close().then(() => this.push(null), (err: Error) => this.destroy(err));
                return;
              }
              for (const row of batch) this.push(row);
            }, (err: Error) => this.destroy(err));
          },
        });
        return upload(rows);
      },
      close: () => client.end(),
    };
  }
  const connection = mysql.createConnection({ uri: db.url });
  await connection.promise().query('SELECT 1');
  return {
    run: () => upload(connection.query({ sql, values, rowsAsArray: true }).stream()),
    close: () => connection.promise().end(),
  };
}
