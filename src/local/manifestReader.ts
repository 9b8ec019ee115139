/** Reads a run's output back through DuckDB, the independent reader used by the demo and the tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { manifestSchema, type Manifest } from '../sink/manifest.js';

/** Reads a run's manifest with a fresh blob client, not through any of Siphon's own code paths. */
export async function readManifest(connectionString: string, manifestPath: string): Promise<Manifest> {
  const [container, ...rest] = manifestPath.split('/');
  const blob = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container!).getBlockBlobClient(rest.join('/'));
  return manifestSchema.parse(JSON.parse((await blob.downloadToBuffer()).toString('utf8')));
}

/**
 * Downloads the files a manifest lists and runs a DuckDB query over them; `{files}` in the SQL
 * stands for read_parquet([...]) of those files.
 */
export async function queryManifestFiles(connectionString: string, container: string, manifest: Manifest, sql: string): Promise<Record<string, unknown>[]> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  const folder = mkdtempSync(join(tmpdir(), 'siphon-test-read-'));
  try {
    const paths = await Promise.all(
      manifest.files.map(async (file, index) => {
        const local = join(folder, `${index}.parquet`);
        writeFileSync(local, await client.getBlockBlobClient(file.path).downloadToBuffer());
        return local;
      }),
    );
    const connection = await (await DuckDBInstance.create()).connect();
    const source = paths.length ? `read_parquet([${paths.map((path) => `'${path}'`).join(', ')}])` : '(SELECT NULL WHERE false)';
    const result = await connection.runAndReadAll(sql.replace('{files}', source));
    return result.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
