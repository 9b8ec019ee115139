/** Reads a run's output back through DuckDB, the independent reader used by the demo and the tests. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { manifestSchema, type Manifest } from '../sink/manifest.js';
import type { OutputType } from '../spec/columns.js';
import { duckDbType as readerDuckDbType } from '../sink/readSnippets.js';

/** Reads a run's manifest with a fresh blob client, not through any of Siphon's own code paths. */
export async function readManifest(connectionString: string, manifestPath: string): Promise<Manifest> {
  const [container, ...rest] = manifestPath.split('/');
  const blob = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container!).getBlockBlobClient(rest.join('/'));
  return manifestSchema.parse(JSON.parse((await blob.downloadToBuffer()).toString('utf8')));
}

type RowObjects = 'json' | 'typed';

/**
 * Downloads the files a manifest lists (keeping their paths, so Hive partition folders stay
 * readable) and runs a DuckDB query over them; `{files}` in the SQL stands for a relation of
 * those files with the manifest's column types: read_parquet, or read_csv / read_json with the
 * types declared rather than guessed, and base64 binary decoded. `json` rows hold JSON-safe
 * values; `typed` rows hold DuckDB's exact values (bigint, decimal, micros, bytes).
 */
export async function queryManifestFiles(connectionString: string, container: string, manifest: Manifest, sql: string, rows: RowObjects = 'json'): Promise<Record<string, unknown>[]> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  const folder = mkdtempSync(join(tmpdir(), 'siphon-read-'));
  try {
    const paths = await Promise.all(
      manifest.files.map(async (file) => {
        const local = join(folder, file.path);
        mkdirSync(dirname(local), { recursive: true });
        writeFileSync(local, await client.getBlockBlobClient(file.path).downloadToBuffer());
        return local;
      }),
    );
    const connection = await (await DuckDBInstance.create()).connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    const result = await connection.runAndReadAll(sql.replace('{files}', filesRelation(manifest, paths)));
    return rows === 'json' ? (result.getRowObjectsJson() as Record<string, unknown>[]) : (result.getRowObjects() as Record<string, unknown>[]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function filesRelation(manifest: Manifest, paths: string[]): string {
  // A run that read nothing: an empty relation that still has the run's columns.
  if (paths.length === 0) return `(SELECT ${manifest.columns.map((column) => `NULL::${duckDbType(column.type, 'parquet')} AS ${quote(column.name)}`).join(', ')} WHERE false)`;
  const list = `[${paths.map(sqlText).join(', ')}]`;
  const partitionBy = manifest.partitionBy ?? [];
  const fileColumns = manifest.columns.filter((column) => !partitionBy.includes(column.name));
  const partitionColumns = manifest.columns.filter((column) => partitionBy.includes(column.name));
  // Off unless the run was partitioned: DuckDB would otherwise read `run=<runId>/` as a column.
  const hive = partitionColumns.length
    ? `, hive_partitioning = true, hive_types = {${partitionColumns.map((column) => `${sqlText(column.name)}: '${duckDbType(column.type, manifest.format)}'`).join(', ')}}`
    : ', hive_partitioning = false';
  if (manifest.format === 'parquet' || manifest.format === 'delta') return `read_parquet(${list}${hive})`;
  const declared = `{${fileColumns.map((column) => `${sqlText(column.name)}: '${duckDbType(column.type, manifest.format)}'`).join(', ')}}`;
  const reader = manifest.format === 'csv'
    // Quoted empty fields stay empty strings; only an unquoted empty field is NULL.
    ? `read_csv(${list}, header = true, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, max_line_size = 100000000, columns = ${declared}${hive})`
    : `read_json(${list}, format = 'newline_delimited', maximum_object_size = 100000000, columns = ${declared}${hive})`;
  const projection = manifest.columns.map((column) => (column.type.kind === 'binary' && !partitionBy.includes(column.name) ? `from_base64(${quote(column.name)}) AS ${quote(column.name)}` : quote(column.name)));
  return `(SELECT ${projection.join(', ')} FROM ${reader})`;
}

/**
 * The DuckDB type a column is declared as: the read statements' own map, except that an instant
 * with its offset stays text, so tests compare the offset too.
 */
function duckDbType(type: OutputType, format: Manifest['format']): string {
  return type.kind === 'timestampOffset' ? 'VARCHAR' : readerDuckDbType(type, format);
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function sqlText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
