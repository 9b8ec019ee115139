import { ChangeType } from '../../capture/changeColumns.js';
import type { ContainerClient } from '@azure/storage-blob';
import { parquetMetadataAsync, type FileMetaData } from 'hyparquet';
import { NonRetryableError } from '../../errors/errorTypes.js';
import { ParquetFileWriter, type ParquetCompression } from '../../formats/parquet/parquetFileWriter.js';
import { parquetCanonicalRows } from '../../queries/parquetCanonicalRows.js';
import type { Column } from '../../spec/columns.js';
import { mapWithConcurrency } from '../../store/mapWithConcurrency.js';
import { blobAsyncBuffer } from '../blobAsyncBuffer.js';
import { StagedBlobWriter } from '../stagedBlobWriter.js';
import type { StagedFile } from './chunkFiles.js';
import { changeFileNumbers, type DeltaTableLayout } from './deltaPaths.js';
import { deltaFileStats } from './deltaStats.js';
import { mergeKeyText } from './mergeIntoTable.js';

/** The change columns (capture/changeColumns.ts); named here so sink/ does not reach into capture/. */
const changeTypeColumn = '_change_type';
const changeVersionColumn = '_change_version';

export type ApplyChangesRequest = {
  layout: DeltaTableLayout;
  runId: string;
  /** The run's change files, in the order written (chunk, then file). */
  files: StagedFile[];
  /** The columns of the change files: the table's, then `_change_type` and `_change_version`. */
  changeColumns: Column[];
  /** The table's columns (the change files' without the change columns), as the data files are written. */
  tableColumns: Column[];
  keys: string[];
  compression: ParquetCompression;
  now: () => Date;
  where: string;
};

/**
 * What the merge does with a run's change rows: `files`, the data files of the rows to upsert
 * (the latest image of each key inserted or updated), and `deletes`, the keys to remove (as
 * canonical values in key order). Every key of either is removed from the table's files first.
 */
export type AppliedChanges = { files: StagedFile[]; deletes: unknown[][] };

/** One key's latest change so far: which file and row holds it, and whether it is a delete. */
type Latest = { version: bigint | string; file: number; row: number; deleted: boolean; key: unknown[] };

/** Files read at once. */
const parallelReads = 8;

/**
 * Folds a run's change rows into the table's current state per key, in two streamed passes:
 *
 * 1. The key, `_change_type` and `_change_version` of every row are read, in the order written.
 *    Per key, the row with the highest `_change_version` wins, and within one version the last
 *    row written (a later row of the same version supersedes an earlier one).
 * 2. Each change file is read again, row group by row group, and its winning rows that are not
 *    deletes are written without the change columns to the data file the copy would have
 *    written for that (run, chunk, file): `part-<runId>-c<chunk>-<file>.snappy.parquet` in the
 *    table's folder. A pure function of the run, so a finalize that runs again writes the same
 *    names with the same rows. A change file with no winning image writes no data file.
 *
 * Memory holds one entry per key of the run (as the merge itself does) and one row group.
 */
export async function applyChanges(container: ContainerClient, request: ApplyChangesRequest): Promise<AppliedChanges> {
  const { changeColumns, where } = request;
  const column = (name: string) => {
    const found = changeColumns.find((candidate) => candidate.name === name);
    if (!found) throw new NonRetryableError(`${where}: the change files have no column "${name}"`);
    return found;
  };
  const keyColumns = request.keys.map(column);
  const markers = [column(changeTypeColumn), column(changeVersionColumn)];
  const tableIndexes = request.tableColumns.map((tableColumn) => changeColumns.findIndex((candidate) => candidate.name === tableColumn.name));
  if (tableIndexes.some((index) => index < 0)) throw new Error(`${where}: a table column is not among the change files' columns`);

  const opened = await mapWithConcurrency(request.files, parallelReads, async (file) => {
    const buffer = blobAsyncBuffer(container.getBlobClient(file.path), file.bytes);
    return { file, buffer, metadata: await parquetMetadataAsync(buffer) };
  });

  // Pass 1: the winning row of each key. Files in written order, rows in file order.
  const latest = new Map<string, Latest>();
  for (const [fileIndex, { file, buffer, metadata }] of opened.entries()) {
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await parquetCanonicalRows(buffer, [...keyColumns, ...markers], start, end, metadata);
      rows.forEach((row, offset) => {
        const key = row.slice(0, keyColumns.length);
        if (key.some((value) => value === null)) {
          throw new NonRetryableError(`${where}: a change row of ${file.path} has a NULL in its key (${request.keys.join(', ')}); a change cannot be applied to no key`);
        }
        const type = row[keyColumns.length];
        const version = row[keyColumns.length + 1];
        // A number (hashDiff's run time, a Change Tracking version) or fixed-width 0x hex (a CDC LSN and seqval): each orders as written.
        if (typeof version !== 'bigint' && typeof version !== 'string') throw new NonRetryableError(`${where}: a change row of ${file.path} has no _change_version`);
        // CDC's image before an update (rowFilter "all update old") is history, not state: the update's own row follows it.
        if (type === ChangeType.updateBefore) return;
        if (type !== 'insert' && type !== 'update' && type !== 'delete') throw new NonRetryableError(`${where}: a change row of ${file.path} has _change_type ${JSON.stringify(type)}`);
        const text = mergeKeyText(keyColumns, key);
        const before = latest.get(text);
        if (before && before.version > version) return;
        latest.set(text, { version, file: fileIndex, row: start + offset, deleted: type === 'delete', key });
      });
      start = end;
    }
  }

  // The winners, per file: the rows to write, and the keys to delete.
  const keep = opened.map(() => new Set<number>());
  const deletes: unknown[][] = [];
  for (const entry of latest.values()) {
    if (entry.deleted) deletes.push(entry.key);
    else keep[entry.file]!.add(entry.row);
  }
  latest.clear();

  // Pass 2: each file's winning images, without the change columns.
  const written = await mapWithConcurrency([...opened.entries()], parallelReads, async ([fileIndex, source]) =>
    keep[fileIndex]!.size ? writeImages(container, request, tableIndexes, source, keep[fileIndex]!) : undefined);
  return { files: written.filter((file): file is StagedFile => file !== undefined), deletes };
}

async function writeImages(container: ContainerClient, request: ApplyChangesRequest, tableIndexes: number[], source: { file: StagedFile; buffer: ReturnType<typeof blobAsyncBuffer>; metadata: FileMetaData }, rows: Set<number>): Promise<StagedFile> {
  const { chunk, file } = changeFileNumbers(source.file.path);
  const name = request.layout.dataFile(request.runId, chunk, file, '');
  const blob = new StagedBlobWriter(container.getBlockBlobClient(name), { contentType: 'application/vnd.apache.parquet' });
  const writer = new ParquetFileWriter(request.tableColumns, request.compression, (bytes) => blob.write(bytes));
  let kept = 0;
  let start = 0;
  for (const group of source.metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const images: unknown[][] = [];
    const read = await parquetCanonicalRows(source.buffer, request.changeColumns, start, end, source.metadata);
    read.forEach((row, offset) => {
      if (rows.has(start + offset)) images.push(tableIndexes.map((index) => row[index]));
    });
    if (images.length) await writer.writeRows(images);
    kept += images.length;
    start = end;
  }
  await writer.finish();
  const committed = await blob.commit();
  return {
    path: name,
    rows: kept,
    bytes: committed.bytes,
    partitionValues: {},
    stats: deltaFileStats(kept, request.tableColumns, writer.statistics()),
    modificationTime: request.now().getTime(),
  };
}
