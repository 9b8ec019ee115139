import { execFileSync } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { BlobServiceClient } from '@azure/storage-blob';
import { benchContainer, type MethodContext, type Runner } from './runner.js';
import type { KeyRange } from './sourceTables.js';

/** A column of the CSV as the peer script declares it to DuckDB (no sniffing). */
export type CsvColumn = { name: string; duckdbType: string };

/** Writes the chunk's rows as CSV lines (no header) into `destination` and ends it. */
export type CsvProducer = { writeCsv(range: KeyRange, destination: Writable): Promise<void>; close(): Promise<void> };

let runs = 0;

/**
 * The second half of the strongest peer scripts: the source's CSV lands in a file (or streams
 * through a fifo made with mkfifo, DuckDB reading while the source writes), DuckDB converts it
 * with `COPY (SELECT * FROM read_csv(..., columns = {...})) TO '...parquet' (FORMAT parquet,
 * COMPRESSION snappy)`, and the file is uploaded with one BlockBlobClient.uploadFile. DuckDB runs
 * in this process, so its threads count in the run's CPU and peak RSS.
 */
export async function openCsvPeer(context: MethodContext, columns: CsvColumn[], producer: CsvProducer, via: 'file' | 'fifo'): Promise<Runner> {
  const names = columns.map((column) => column.name);
  if (names.join() !== context.columns.join()) throw new Error(`This peer is written for the columns ${names.join(', ')}, not ${context.columns.join(', ')}`);
  const duckdb = await DuckDBInstance.create(':memory:');
  const connection = await duckdb.connect();
  // Timestamps without an offset (MariaDB's) are UTC, as the source session wrote them.
  await connection.run(`SET TimeZone = 'UTC'`);
  const container = BlobServiceClient.fromConnectionString(context.connectionString).getContainerClient(benchContainer);
  const columnsSql = `{${columns.map((column) => `${sqlString(column.name)}: ${sqlString(column.duckdbType)}`).join(', ')}}`;
  return {
    run: async (range) => {
      const name = `peer-${process.pid}-${runs++}`;
      const csv = join(context.scratchDir, `${name}.csv`);
      const parquet = join(context.scratchDir, `${name}.parquet`);
      const convert = () => csvToParquet(connection, csv, columnsSql, parquet);
      let rows: number;
      if (via === 'file') {
        await producer.writeCsv(range, createWriteStream(csv));
        rows = await convert();
      } else {
        execFileSync('mkfifo', [csv]);
        // Promise.all fails as soon as either side does, so a DuckDB error cannot leave the
        // writer blocked on a fifo nobody reads (the child process then exits).
        [rows] = await Promise.all([convert(), producer.writeCsv(range, createWriteStream(csv))]);
      }
      const blob = container.getBlockBlobClient(`peers/${name}.parquet`);
      await blob.uploadFile(parquet, { blobHTTPHeaders: { blobContentType: 'application/vnd.apache.parquet' } });
      const bytes = (await blob.getProperties()).contentLength ?? 0;
      return {
        rows,
        bytes,
        cleanup: async () => {
          rmSync(csv, { force: true });
          rmSync(parquet, { force: true });
          await blob.deleteIfExists();
        },
      };
    },
    close: async () => {
      await producer.close();
      connection.closeSync();
      duckdb.closeSync();
    },
  };
}

async function csvToParquet(connection: DuckDBConnection, csv: string, columnsSql: string, parquet: string): Promise<number> {
  // allow_quoted_nulls = false: an empty quoted field is an empty string, an empty bare one NULL.
  const reader = `read_csv(${sqlString(csv)}, columns = ${columnsSql}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false)`;
  const result = await connection.runAndReadAll(`COPY (SELECT * FROM ${reader}) TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION snappy)`);
  return Number(result.getRows()[0]?.[0]);
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Resolves once everything written to `destination` is flushed (or the fifo's reader has it). */
export async function endAndFlush(destination: Writable): Promise<void> {
  destination.end();
  await finished(destination);
}
