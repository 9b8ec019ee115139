import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { copyChunk, type CopyChunkResult } from '../src/copy/copyChunk.js';
import { runPaths } from '../src/sink/blobPaths.js';
import { newRunId } from '../src/jobs/runId.js';
import { outputSchema, type OutputSpec } from '../src/spec/pipelineSpec.js';
import type { Column } from '../src/spec/columns.js';
import { PostgresConnector } from '../src/sources/postgres/postgresConnector.js';
import { MysqlConnector } from '../src/sources/mysql/mysqlConnector.js';
import type { ReadTarget, SourceConnector } from '../src/sources/sourceConnector.js';
import type { Runner } from './baselines.js';
import type { EngineName, KeyRange } from './sourceTables.js';

export const benchContainer = 'siphon-bench';

/** The output spec a user would give for Parquet with snappy, with the spec's own defaults applied. */
export const parquetOutput: OutputSpec = outputSchema.parse({ container: benchContainer, format: 'parquet', compression: 'snappy' });

export async function connectSource(engine: EngineName, url: string): Promise<SourceConnector> {
  return engine === 'postgres' ? PostgresConnector.connect(url) : MysqlConnector.connect(url);
}

/**
 * What Siphon runs for one chunk (see copyChunkActivity), minus the run and chunk records:
 * `copyChunk` with the connector, the described columns, the key range ordered by the key, and
 * the run's file paths.
 *   copy    the whole path into blob storage;
 *   encode  the same copyChunk into blobs that accept and drop staged blocks (no upload);
 *   read    only the connector's readChunk, rows discarded (reading plus canonical type parsing).
 */
export type SiphonMode = 'copy' | 'encode' | 'read';

export type SiphonChunk = { engine: EngineName; url: string; table: string; key: string; range: KeyRange; output?: OutputSpec };

export async function openSiphonCopy(chunk: SiphonChunk, container: ContainerClient, mode: SiphonMode): Promise<Runner> {
  const source = await connectSource(chunk.engine, chunk.url);
  const target: ReadTarget = { kind: 'table', table: { name: chunk.table } };
  const { columns } = await source.describe(target);
  const output = chunk.output ?? parquetOutput;
  const destination = mode === 'encode' ? discardingContainer() : container;
  return {
    run: async () => {
      if (mode === 'read') return { rows: await drainChunk(source, target, columns, chunk) };
      const result = await copyOneChunk(source, destination, target, columns, output, chunk);
      return {
        rows: result.rows,
        bytes: result.bytes,
        cleanup: mode === 'copy' ? async () => void (await Promise.all(result.files.map((file) => container.getBlockBlobClient(file.path).deleteIfExists()))) : undefined,
      };
    },
    close: () => source.close(),
  };
}

export function copyOneChunk(source: SourceConnector, container: ContainerClient, target: ReadTarget, columns: Column[], output: OutputSpec, chunk: SiphonChunk): Promise<CopyChunkResult> {
  return copyChunk(source, container, {
    chunk: 0,
    range: { kind: 'range', ...chunk.range },
    target,
    output,
    columns,
    key: { column: chunk.key, kind: 'integer' },
    orderBy: [chunk.key],
    paths: runPaths({ pipelineId: 'bench', runId: newRunId(new Date()), table: chunk.table }),
  }, () => undefined);
}

async function drainChunk(source: SourceConnector, target: ReadTarget, columns: Column[], chunk: SiphonChunk): Promise<number> {
  let rows = 0;
  for await (const batch of source.readChunk({ target, columns, key: { column: chunk.key, kind: 'integer' }, orderBy: [chunk.key], range: { kind: 'range', ...chunk.range }, batchRows: 10_000 })) {
    rows += batch.length;
  }
  return rows;
}

/** A container whose blobs accept staged blocks and commits and drop them: copyChunk without the upload. */
function discardingContainer(): ContainerClient {
  const blob = {
    stageBlock: async () => ({}),
    commitBlockList: async () => ({}),
  } as unknown as BlockBlobClient;
  return { getBlockBlobClient: () => blob } as unknown as ContainerClient;
}
