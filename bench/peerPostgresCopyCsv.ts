import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { openCsvPeer, type CsvColumn } from './csvPeerPipeline.js';
import type { MethodContext, Runner } from './runner.js';
import { rangeSelect } from './sourceTables.js';

/** The mixed table as a script written for it declares it to DuckDB (same output types as Siphon's). */
const columns: CsvColumn[] = [
  { name: 'id', duckdbType: 'BIGINT' },
  { name: 'customer_id', duckdbType: 'INTEGER' },
  { name: 'amount', duckdbType: 'DECIMAL(18,4)' },
  { name: 'label', duckdbType: 'VARCHAR' },
  { name: 'created_at', duckdbType: 'TIMESTAMPTZ' },
  { name: 'active', duckdbType: 'BOOLEAN' },
  { name: 'ship_date', duckdbType: 'DATE' },
];

/**
 * The strongest PostgreSQL peer a data engineer would script: the server formats the chunk as
 * CSV (`COPY (SELECT ...) TO STDOUT (FORMAT csv)`, pg-copy-streams, the client only moves bytes)
 * into a file or a fifo, then DuckDB -> Parquet -> one upload (csvPeerPipeline).
 */
export async function openPostgresCopyCsvPeer(context: MethodContext, via: 'file' | 'fifo'): Promise<Runner> {
  const client = new pg.Client({ connectionString: context.url });
  await client.connect();
  // timestamptz as '2020-01-01 00:00:01.5+00', which DuckDB reads as TIMESTAMPTZ.
  await client.query(`SET TimeZone = 'UTC'`);
  return openCsvPeer(context, columns, {
    writeCsv: async (range, destination) => {
      const select = rangeSelect('postgres', context.table, context.columns, context.key, range);
      await pipeline(client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT csv)`)), destination);
    },
    close: () => client.end(),
  }, via);
}
