import type { ContainerClient } from '@azure/storage-blob';
import type { Column, ChunkRange, FileEntry } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { KeyKind, SourceConnector } from '../sources/sourceConnector.js';
import { ParquetFileWriter } from '../formats/parquet/parquetFileWriter.js';
import { StagedBlobWriter } from '../sink/stagedBlobWriter.js';
import { partFilePath } from '../sink/blobPaths.js';

export type CopyChunkRequest = {
  pipelineId: string;
  runId: string;
  chunk: number;
  range: ChunkRange;
  spec: PipelineSpec;
  columns: Column[];
  keyKind: KeyKind;
  orderBy: string[];
};

export type CopyChunkResult = { rows: number; bytes: number; files: FileEntry[] };

/** Rows asked of the database at a time; a row group is built from several such batches. */
const readBatchRows = 10_000;

/**
 * Streams one chunk from the source into Parquet files: rows are read batch by batch, encoded a
 * row group at a time, and uploaded as staged blocks; a file is committed when it reaches
 * maxRowsPerFile or the chunk ends. Memory holds one row group and a few upload blocks.
 */
export async function copyChunk(
  source: SourceConnector,
  container: ContainerClient,
  request: CopyChunkRequest,
  onProgress: (rows: number) => void,
): Promise<CopyChunkResult> {
  const { output } = request.spec;
  const files: FileEntry[] = [];
  let open: { path: string; blob: StagedBlobWriter; parquet: ParquetFileWriter; rows: number } | undefined;
  let group: unknown[][] = [];
  let rows = 0;

  const closeFile = async () => {
    if (!open) return;
    await open.parquet.finish();
    const committed = await open.blob.commit();
    files.push({ path: open.path, rows: open.rows, bytes: committed.bytes, md5: committed.md5 });
    open = undefined;
  };

  const writeGroup = async (groupRows: unknown[][]) => {
    if (!open) {
      const path = partFilePath(request.pipelineId, request.runId, request.chunk, files.length, 'parquet');
      const blob = new StagedBlobWriter(container.getBlockBlobClient(path), { contentType: 'application/vnd.apache.parquet' });
      open = { path, blob, rows: 0, parquet: new ParquetFileWriter(request.columns, output.compression, (bytes) => blob.write(bytes)) };
    }
    await open.parquet.writeRowGroup(groupRows);
    open.rows += groupRows.length;
    if (open.rows >= output.maxRowsPerFile) await closeFile();
  };

  const rowsForNextGroup = () => Math.min(output.rowGroupRows, output.maxRowsPerFile - (open?.rows ?? 0));

  const batches = source.readChunk({
    table: request.spec.table,
    columns: request.columns,
    keyColumn: request.spec.chunking.column,
    keyKind: request.keyKind,
    orderBy: request.orderBy,
    range: request.range,
    batchRows: readBatchRows,
  });
  for await (const batch of batches) {
    let offset = 0;
    while (offset < batch.length) {
      const take = Math.min(batch.length - offset, rowsForNextGroup() - group.length);
      for (let i = 0; i < take; i++) group.push(batch[offset + i]!);
      offset += take;
      if (group.length >= rowsForNextGroup()) {
        await writeGroup(group);
        group = [];
      }
    }
    rows += batch.length;
    onProgress(rows);
  }
  if (group.length > 0) await writeGroup(group);
  await closeFile();
  return { rows, bytes: files.reduce((sum, file) => sum + file.bytes, 0), files };
}
