import { createHash } from 'node:crypto';
import { BlobServiceClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { copyChunk, type CopyChunkResult } from '../src/copy/copyChunk.js';
import { runPaths } from '../src/sink/blobPaths.js';
import { newRunId } from '../src/jobs/runId.js';
import { outputSchema, type OutputSpec } from '../src/spec/pipelineSpec.js';
import type { Column } from '../src/spec/columns.js';
import { PostgresConnector } from '../src/sources/postgres/postgresConnector.js';
import { MysqlConnector } from '../src/sources/mysql/mysqlConnector.js';
import { canChecksum, type ReadTarget, type SourceConnector } from '../src/sources/sourceConnector.js';
import { reconcileChunk, type ChunkReconciler } from '../src/quality/reconcileChunk.js';
import { benchContainer, type MethodContext, type Runner } from './runner.js';
import type { EngineName, KeyRange } from './sourceTables.js';
import { transformsSchema, type TransformStep } from '../src/spec/transformsSpec.js';

/** Siphon's default output: only the container given, everything else the spec's defaults (Parquet, snappy). */
export const defaultOutput: OutputSpec = outputSchema.parse({ container: benchContainer });

export async function connectSource(engine: EngineName, url: string): Promise<SourceConnector> {
  return engine === 'postgres' ? PostgresConnector.connect(url) : MysqlConnector.connect(url);
}

/**
 * What Siphon runs for one chunk (see copyChunkActivity), minus the run and chunk records:
 * `copyChunk` with the connector, the described columns, the key range ordered by the key, and
 * the run's file paths, in the default configuration.
 *   copy    the whole path into blob storage;
 *   encode  the same copyChunk into blobs that accept and drop staged blocks (no upload; the md5
 *           of the output is still computed), and then, timed apart, md5 over as many bytes as
 *           the output had: the hash phase;
 *   read    only the connector's readChunk, rows discarded (the read and the decoding of values);
 *   transforms  the whole copy with benchTransforms applied to every row.
 *   reconcile   the whole copy with the chunk reconciled as copyChunkActivity does it under
 *               source.maxSessions: one session, the source's checksum in the read's session
 *               after the read (PostgreSQL: in its repeatable-read transaction). With
 *               SIPHON_BENCH_RECONCILE_SESSIONS=2, PostgreSQL's checksum runs in a second session
 *               importing the read's snapshot (kept open across runs so the backend CPU probe
 *               sees the same sessions before and after; the activity would open one per chunk).
 */
export type SiphonMode = 'copy' | 'encode' | 'read' | 'transforms' | 'reconcile';

/**
 * Five steps on the mixed table, one of each kind that costs per row: a rename and a drop
 * (free per row once compiled), a compute, a filter that keeps every row (so the rows written
 * are the plain copy's) and a lookup table.
 */
export const benchTransforms: TransformStep[] = transformsSchema.parse([
  { step: 'rename', columns: { customer_id: 'customer' } },
  { step: 'drop', columns: ['ship_date'] },
  { step: 'compute', name: 'customer_next', expression: 'customer + 1' },
  { step: 'filter', expression: 'id > 0' },
  { step: 'mapValues', column: 'active', type: 'string', values: { true: 'yes', false: 'no' } },
]);

export async function openSiphonCopy(context: MethodContext, mode: SiphonMode): Promise<Runner> {
  const container = BlobServiceClient.fromConnectionString(context.connectionString).getContainerClient(benchContainer);
  return openSiphonCopyInto(context, container, mode);
}

export async function openSiphonCopyInto(context: Pick<MethodContext, 'engine' | 'url' | 'table' | 'key'>, container: ContainerClient, mode: SiphonMode): Promise<Runner> {
  const source = await connectSource(context.engine, context.url);
  const target: ReadTarget = { kind: 'table', table: { name: context.table } };
  const { columns } = await source.describe(target);
  const destination = mode === 'encode' ? discardingContainer() : container;
  const checkSource = mode === 'reconcile' && process.env.SIPHON_BENCH_RECONCILE_SESSIONS === '2' ? await connectSource(context.engine, context.url) : undefined;
  return {
    run: async (range) => {
      if (mode === 'read') return { rows: await drainChunk(source, target, columns, context.key, range) };
      const openCheckSource = checkSource && (async () => Object.assign(Object.create(checkSource) as SourceConnector, { close: async () => undefined }));
      const reconciler = mode === 'reconcile' && canChecksum(source)
        ? reconcileChunk(source, openCheckSource, { target, columns, key: { column: context.key, kind: 'integer' }, range: { kind: 'range', ...range } }, columns)
        : undefined;
      const result = await copyOneChunk(source, destination, context.table, columns, context.key, range, mode === 'transforms' ? benchTransforms : undefined, reconciler);
      const reconciliation = await reconciler?.finish();
      if (reconciliation && reconciliation.status !== 'match') throw new Error(`The bench chunk did not reconcile: ${JSON.stringify(reconciliation)}`);
      return {
        rows: result.rows,
        bytes: result.bytes,
        hashCpuSeconds: mode === 'encode' ? md5CpuSeconds(result.bytes) : undefined,
        cleanup: mode !== 'encode' ? async () => void (await Promise.all(result.files.map((file) => container.getBlockBlobClient(file.path).deleteIfExists()))) : undefined,
      };
    },
    close: async () => {
      await Promise.all([source.close(), checkSource?.close()]);
    },
  };
}

function copyOneChunk(source: SourceConnector, container: ContainerClient, table: string, columns: Column[], key: string, range: KeyRange, transforms?: TransformStep[], reconciler?: ChunkReconciler): Promise<CopyChunkResult> {
  return copyChunk(source, container, {
    chunk: 0,
    range: { kind: 'range', ...range },
    target: { kind: 'table', table: { name: table } },
    output: defaultOutput,
    columns,
    key: { column: key, kind: 'integer' },
    orderBy: [key],
    paths: runPaths({ pipelineId: 'bench', runId: newRunId(new Date()), table }),
    transforms,
    onRead: reconciler?.onRead,
    onSnapshot: reconciler?.onSnapshot,
    inReadSnapshot: reconciler?.inReadSnapshot,
  }, () => undefined);
}

async function drainChunk(source: SourceConnector, target: ReadTarget, columns: Column[], key: string, range: KeyRange): Promise<number> {
  let rows = 0;
  for await (const batch of source.readChunk({ target, columns, key: { column: key, kind: 'integer' }, orderBy: [key], range: { kind: 'range', ...range }, batchRows: 10_000 })) {
    rows += batch.length;
  }
  return rows;
}

/** CPU seconds of md5 over `bytes` bytes fed 1 MiB at a time, as StagedBlobWriter hashes what it uploads. */
function md5CpuSeconds(bytes: number): number {
  const piece = Buffer.alloc(1024 * 1024, 0x5a);
  const hash = createHash('md5');
  const before = process.cpuUsage();
  for (let left = bytes; left > 0; left -= piece.byteLength) hash.update(left >= piece.byteLength ? piece : piece.subarray(0, left));
  hash.digest();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** A container whose blobs accept staged blocks and commits and drop them: copyChunk without the upload. */
function discardingContainer(): ContainerClient {
  const blob = {
    stageBlock: async () => ({}),
    commitBlockList: async () => ({}),
  } as unknown as BlockBlobClient;
  return { getBlockBlobClient: () => blob } as unknown as ContainerClient;
}
