import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { NonRetryableError } from '../../errors/errorTypes.js';
import type { LeafStatistics } from '../../formats/parquet/parquetFileWriter.js';
import type { Column } from '../../spec/columns.js';
import type { DeltaTableLayout } from './deltaPaths.js';
import { deltaFileStats } from './deltaStats.js';

/**
 * One data file a chunk wrote, as its `add` action will state it: the copy knows the file's
 * statistics (straight from the encoder) and partition, so it records them here, beside the
 * table, rather than in the chunk's Table Storage record, whose size is capped (a partitioned
 * chunk writes a file per folder, each with statistics for every column).
 */
export const stagedFileSchema = z.object({
  /** The blob's name in the container. */
  path: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  partitionValues: z.record(z.string(), z.string().nullable()),
  /** The add action's `stats`: a JSON string (see deltaStats.ts). */
  stats: z.string(),
  modificationTime: z.number().int(),
});
export type StagedFile = z.infer<typeof stagedFileSchema>;

const chunkFilesSchema = z.object({ chunk: z.number().int().nonnegative(), files: z.array(stagedFileSchema) });

/** Written before the chunk is recorded done, at a name of (run, chunk): a retried copy overwrites it. */
export async function writeChunkFiles(container: ContainerClient, blobName: string, chunk: number, files: StagedFile[]): Promise<void> {
  const body = JSON.stringify({ chunk, files });
  await container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
}

export async function readChunkFiles(container: ContainerClient, blobName: string, chunk: number): Promise<StagedFile[]> {
  let text: string;
  try {
    text = (await container.getBlockBlobClient(blobName).downloadToBuffer()).toString('utf8');
  } catch (err) {
    if (typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404) {
      throw new NonRetryableError(`chunk ${chunk} is done but its file list ${blobName} is missing`);
    }
    throw err;
  }
  const parsed = chunkFilesSchema.safeParse(JSON.parse(text));
  if (!parsed.success || parsed.data.chunk !== chunk) throw new NonRetryableError(`${blobName} is not chunk ${chunk}'s file list`);
  return parsed.data.files;
}

/**
 * The partition values of a file from its folders below the table (`a=1/b=x%2Fy/part-...`):
 * Hive's escapes undone, and `__HIVE_DEFAULT_PARTITION__` (Siphon's folder for NULL and the empty
 * string) as null, which is what an empty or missing value means in a Delta log ("Partition
 * Value Serialization": "An empty string for any type translates to a null partition value").
 */
export function partitionValuesOf(relativePath: string, partitionBy: readonly string[]): Record<string, string | null> {
  const folders = relativePath.split('/').slice(0, -1);
  if (folders.length !== partitionBy.length) throw new Error(`${relativePath} is not in a folder per partition column (${partitionBy.join(', ')})`);
  return Object.fromEntries(partitionBy.map((name, index) => {
    const folder = folders[index]!;
    const equals = folder.indexOf('=');
    const value = decodeURIComponent(folder.slice(equals + 1));
    return [name, value === '__HIVE_DEFAULT_PARTITION__' ? null : value];
  }));
}

export type WrittenFile = { path: string; rows: number; bytes: number; statistics?: LeafStatistics[] | undefined };

/**
 * Records a chunk's data files as their adds will state them: partition values from the
 * folders, statistics from the encoder (`fileColumns`: the written columns the files hold).
 */
export async function stageChunkFiles(container: ContainerClient, layout: DeltaTableLayout, input: { runId: string; chunk: number; files: WrittenFile[]; fileColumns: Column[]; partitionBy: string[]; modificationTime: number }): Promise<void> {
  const prefix = `${layout.table}/`;
  const staged = input.files.map((file): StagedFile => {
    if (!file.statistics) throw new Error(`${file.path} was written without statistics`);
    return {
      path: file.path,
      rows: file.rows,
      bytes: file.bytes,
      // Unpartitioned files need no folders: a merge's change files are not under the table.
      partitionValues: input.partitionBy.length ? partitionValuesOf(file.path.slice(prefix.length), input.partitionBy) : {},
      stats: deltaFileStats(file.rows, input.fileColumns, file.statistics),
      modificationTime: input.modificationTime,
    };
  });
  await writeChunkFiles(container, layout.chunkFiles(input.runId, input.chunk), input.chunk, staged);
}
