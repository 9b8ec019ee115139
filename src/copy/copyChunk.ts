import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../errors/errorTypes.js';
import type { Column, ChunkRange, FileEntry } from '../spec/columns.js';
import type { OutputSpec } from '../spec/pipelineSpec.js';
import type { ChunkKey, KeyKind, ReadChunkRequest, ReadTarget, SourceConnector } from '../sources/sourceConnector.js';
import { contentType, fileExtension, openFormatWriter, openRowBuffer, type FormatWriter, type RowBuffer } from '../formats/formatWriter.js';
import { StagedBlobWriter } from '../sink/stagedBlobWriter.js';
import type { RunPaths } from '../sink/blobPaths.js';
import { partitionRouter } from './partitionFolders.js';
import { rowConverter } from '../formats/writtenTypes.js';
import type { LeafStatistics } from '../formats/parquet/parquetFileWriter.js';
import { applyOverrides, overrideConverters } from './columnOverrides.js';
import { textForm } from '../formats/textForms.js';
import type { ValidationSpec } from '../spec/validationSpec.js';
import { compileRowRules } from '../validation/rowRules.js';
import { compileUniqueKeys } from '../validation/uniqueKeys.js';
import { nullFilledColumns } from './nullFilledColumns.js';
import { QuarantineWriter } from '../validation/quarantineWriter.js';
import type { RuleCount } from '../validation/ruleCounts.js';
import type { TransformStep } from '../spec/transformsSpec.js';
import { compileTransforms } from '../transforms/compileTransforms.js';
import type { ChunkChanges } from '../capture/chunkChanges.js';
import { changeTypeColumn } from '../capture/changeColumns.js';
import { countChangeTypes, noChanges, type ChangeCounts } from '../capture/changeCounts.js';

export type CopyChunkRequest = {
  chunk: number;
  range: ChunkRange;
  target: ReadTarget;
  output: OutputSpec;
  /** The columns read from the source. */
  columns: Column[];
  /**
   * What the columns the transforms make (the columns read, without transforms) are written as
   * (formats/writtenTypes.ts); those columns themselves when absent.
   */
  writtenColumns?: Column[] | undefined;
  key?: ChunkKey | undefined;
  /** An incremental run's cursor range, applied on top of the chunk's key range. */
  window?: ReadChunkRequest['window'];
  orderBy: string[];
  paths: RunPaths;
  /** Rows copied at most; the read stops (and its statement is closed) once they are. */
  maxRows?: number | undefined;
  /** See ReadChunkRequest.signal. */
  signal?: AbortSignal | undefined;
  /** Rules each row must meet; rows that fail go to the run's `_quarantine/` files, not the output. */
  validation?: ValidationSpec | undefined;
  /** Steps applied to each row that passed validation (spec/transformsSpec.ts). */
  transforms?: TransformStep[] | undefined;
  /** The run, named in each quarantined row. */
  runId?: string | undefined;
  /**
   * Called with each batch as the source gave it (the columns read, before NULL-filled columns,
   * overrides, validation and transforms touch it): reconciliation's checksum of the values read.
   */
  onRead?: ((rows: unknown[][]) => void) | undefined;
  /** See ReadChunkRequest.onSnapshot. */
  onSnapshot?: ReadChunkRequest['onSnapshot'];
  /** See ReadChunkRequest.inReadSnapshot. */
  inReadSnapshot?: ReadChunkRequest['inReadSnapshot'];
  /** A change-capture run: the rows written are the change rows these make of the rows read (capture/chunkChanges.ts). */
  changes?: ChunkChanges | undefined;
};

/**
 * Milliseconds the copy waited on the source (read), on encoding rows into file bytes (encode)
 * and on blob storage (upload). Measured as waits of the copy's own flow, so they never add up to
 * more than the copy took: uploads that run while the encoder works count within the write they
 * belong to, capped by it.
 */
export type CopyTimings = { readMs: number; encodeMs: number; uploadMs: number };

/** A file written, with its leaves' statistics when it is Parquet (a Delta commit states them). */
export type CopiedFile = FileEntry & { statistics?: LeafStatistics[] | undefined };

/**
 * `rows`: rows written to the output; `rowsRejected`: rows read that failed validation or a
 * transform (a cast, a compute), written to `quarantine` instead (both absent when nothing could
 * reject a row); `rowsFiltered`: rows a transforms filter dropped (absent without a filter).
 * Rows read = rows + rowsRejected + rowsFiltered. `truncated`: the read stopped at maxRows while
 * the source had more rows.
 */
export type CopyChunkResult = { rows: number; bytes: number; files: CopiedFile[]; timings: CopyTimings; truncated?: boolean; rowsRejected?: number; quarantine?: FileEntry[]; rejectedByRule?: RuleCount[]; rowsFiltered?: number; changes?: ChangeCounts };

/** Rows asked of the database at a time; a row group is built from several such batches. */
const readBatchRows = 10_000;

/**
 * Files open at once when rows of a partitioned chunk alternate between partition folders. Each
 * holds an upload block buffer, so the cap bounds memory; the least recently used file is
 * committed to make room, and its partition continues in a new file if more rows come.
 */
const maxOpenFiles = 8;

/**
 * Rows a folder's buffer starts with room for; it doubles up to the row group as rows come, so
 * small chunks and partition folders that get few rows hold little.
 */
const initialBufferRows = 8_192;

type OpenFile = { path: string; blob: StagedBlobWriter; writer: FormatWriter; rows: number };
type FolderState = { folder: string; group: RowBuffer; open?: OpenFile };

/**
 * Streams one chunk from the source into files: rows are read batch by batch, copied into the
 * folder's row buffer (for Parquet, typed arrays; see openRowBuffer), encoded a row group at a
 * time (while the next group is read, when there is an encoder thread), and uploaded as staged
 * blocks; a file is committed when it reaches maxRowsPerFile or the chunk ends. With partition
 * folders, each folder has its own files. Memory holds at most a row group of buffered rows, the
 * group being encoded and a few upload blocks per open file. File names come from (chunk,
 * folder, sequence) and rows arrive in a fixed order, so a rerun writes the same names with the
 * same bytes.
 */
export async function copyChunk(source: SourceConnector, container: ContainerClient, request: CopyChunkRequest, onProgress: (rows: number) => void): Promise<CopyChunkResult> {
  const { output, paths } = request;
  // Compiled once for the chunk: refusals were found at prepare, so one here is a spec changed under the run.
  // A Parquet row group copies each row's values as it is added: unpartitioned, the transforms
  // write every row into one array, added to the group at once instead of gathered in a batch.
  const direct = (output.format === 'parquet' || output.format === 'delta') && !(output.partitionBy ?? []).length;
  const transforms = compileTransforms(request.columns, request.transforms, { reuseRow: direct });
  if (transforms.refusals.length) throw new NonRetryableError(`Chunk ${request.chunk}: ${transforms.refusals.map((refusal) => refusal.reason).join('; ')}`);
  const transformed = request.changes?.columns ?? transforms.columns;
  const written = request.writtenColumns ?? transformed;
  const convert = rowConverter(transformed, written);
  const router = partitionRouter(written, output.partitionBy ?? []);
  const extension = fileExtension(output);
  const files: CopiedFile[] = [];
  const states = new Map<string, FolderState>();
  const nextFileNumber = new Map<string, number>();
  let buffered = 0;
  let rows = 0;
  let readMs = 0;
  let writingMs = 0;
  let uploadWaitMs = 0;
  let writeDepth = 0;

  /** Time in encoding and uploading, counted once however deeply writes nest. */
  const writing = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = writeDepth++ === 0 ? performance.now() : undefined;
    try {
      return await work();
    } finally {
      writeDepth--;
      if (started !== undefined) writingMs += performance.now() - started;
    }
  };
  const uploading = async <T>(work: Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      uploadWaitMs += performance.now() - started;
    }
  };

  const closeFile = (state: FolderState) => writing(async () => {
    const open = state.open;
    if (!open) return;
    state.open = undefined;
    await open.writer.finish();
    const committed = await uploading(open.blob.commit());
    files.push({ path: open.path, rows: open.rows, bytes: committed.bytes, md5: committed.md5, statistics: open.writer.statistics?.() });
  });

  const groupLimit = (state: FolderState) => Math.min(output.rowGroupRows, output.maxRowsPerFile - (state.open?.rows ?? 0));

  const writeGroup = (state: FolderState) => writing(async () => {
    const groupRows = state.group.rows;
    if (groupRows === 0) return;
    if (!state.open) {
      const number = nextFileNumber.get(state.folder) ?? 0;
      nextFileNumber.set(state.folder, number + 1);
      const path = paths.file(request.chunk, number, state.folder, extension);
      const blob = new StagedBlobWriter(container.getBlockBlobClient(path), { contentType: contentType(output) });
      state.open = { path, blob, rows: 0, writer: openFormatWriter(output, router.fileColumns, (bytes) => uploading(blob.write(bytes))) };
    }
    buffered -= groupRows;
    await state.open.writer.writeBuffer(state.group);
    state.open.rows += groupRows;
    if (state.open.rows >= output.maxRowsPerFile) await closeFile(state);
  });

  const stateFor = async (folder: string): Promise<FolderState> => {
    const existing = states.get(folder);
    if (existing) {
      // Map order is recency order: re-inserting marks the folder as most recently used.
      states.delete(folder);
      states.set(folder, existing);
      return existing;
    }
    if (states.size >= maxOpenFiles) {
      const [oldestFolder, oldest] = states.entries().next().value as [string, FolderState];
      await writeGroup(oldest);
      await closeFile(oldest);
      states.delete(oldestFolder);
    }
    const state: FolderState = { folder, group: openRowBuffer(output, router.fileColumns, Math.min(initialBufferRows, output.rowGroupRows)) };
    states.set(folder, state);
    return state;
  };

  const add = async (state: FolderState, row: unknown[]) => {
    state.group.add(row);
    buffered++;
    if (state.group.rows >= groupLimit(state)) {
      await writeGroup(state);
    } else if (buffered >= output.rowGroupRows) {
      // Rows spread over many folders: write the fullest group early rather than hold more.
      let fullest = state;
      for (const candidate of states.values()) if (candidate.group.rows > fullest.group.rows) fullest = candidate;
      await writeGroup(fullest);
    }
  };

  // Columns the source no longer has are not asked for: the copy puts their NULLs in.
  const filled = nullFilledColumns(request.columns);
  const batches = source.readChunk({
    target: request.target,
    columns: filled.readColumns,
    key: request.key,
    window: request.window,
    orderBy: request.orderBy,
    range: request.range,
    batchRows: request.maxRows === undefined ? readBatchRows : Math.min(readBatchRows, request.maxRows + 1),
    signal: request.signal,
    onSnapshot: request.onSnapshot,
    inReadSnapshot: request.inReadSnapshot,
    changeRead: request.changes?.read,
  });
  const maxRows = request.maxRows ?? Infinity;
  const converters = overrideConverters(request.columns);
  // A row is named by the columns the read is ordered by (the split key, then the primary key).
  const keyParts = request.orderBy.flatMap((name) => {
    const index = request.columns.findIndex((column) => column.name === name);
    return index < 0 ? [] : [{ name, index, text: textForm(request.columns[index]!.type) }];
  });
  const rowLabel = (row: unknown[]) => (keyParts.length
    ? `Chunk ${request.chunk}, row with ${keyParts.map((part) => `${part.name} = ${row[part.index] == null ? 'NULL' : part.text(row[part.index])}`).join(', ')}`
    : `Chunk ${request.chunk}, a row after the first ${rows}`);
  // Checked against the columns read, in their output types (after columnTypes), before the
  // written encodings: the rules speak of the values the spec describes.
  const rules = compileRowRules(request.columns, request.validation, `Chunk ${request.chunk}`);
  const unique = compileUniqueKeys(request.columns, request.validation, `Chunk ${request.chunk}`);
  const refusals = [...rules.refusals, ...unique.refusals];
  if (refusals.length) throw new NonRetryableError(refusals.map((refusal) => refusal.reason).join('; '));
  // Every row read, in the read's fixed order, passes the unique check (which remembers its
  // keys), so a retried chunk quarantines the same duplicates.
  const uniqueCheck = unique.newCheck?.();
  const ruleCheck = rules.check;
  const check = ruleCheck && uniqueCheck ? (row: unknown[]) => [...ruleCheck(row), ...uniqueCheck(row)] : ruleCheck ?? uniqueCheck;
  const quarantine = (check || transforms.canReject) ? new QuarantineWriter({
    container, runId: request.runId ?? '', chunk: request.chunk, columns: request.columns, keyColumns: request.orderBy,
    fileName: (file) => paths.quarantineFile(request.chunk, file),
  }) : undefined;
  const transform = transforms.apply;
  const filters = request.transforms?.some((step) => step.step === 'filter') ?? false;
  let filtered = 0;
  let changeRows = 0;
  // The change rows written, by type: recorded on the chunk, summed into the manifest.
  const changeCounts = noChanges();
  const changeTypeAt = request.changes ? request.changes.columns.findIndex((column) => column.name === changeTypeColumn) : -1;
  const countChanges = (batch: unknown[][]) => countChangeTypes(changeCounts, batch, changeTypeAt, `Chunk ${request.chunk}`);
  let truncated = false;
  const writeRows = async (batch: unknown[][]) => {
    if (convert) for (const row of batch) convert(row);
    if (router.partitioned) {
      for (const row of batch) await add(await stateFor(router.folderOf(row)), router.fileRow(row));
    } else {
      const state = await stateFor('');
      const group = state.group;
      for (let r = 0; r < batch.length; r++) {
        group.add(batch[r]!);
        buffered++;
        if (group.rows >= groupLimit(state)) await writeGroup(state);
      }
    }
  };
  // Iterated by hand to time each wait on the source; closed like for-await would on an early exit.
  const iterator = batches[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    for (;;) {
      const readStarted = performance.now();
      const next = await iterator.next();
      readMs += performance.now() - readStarted;
      if (next.done) {
        exhausted = true;
        break;
      }
      // Rows past the cap are dropped, and leaving the loop closes the read: one row more than
      // the cap is asked for, so a result of exactly maxRows rows is not called truncated.
      const whole = next.value;
      const read = rows + whole.length > maxRows ? whole.slice(0, maxRows - rows) : whole;
      truncated = read.length < whole.length;
      request.onRead?.(read);
      filled.fill?.(read);
      applyOverrides(read, converters, rowLabel);
      let batch = read;
      if (quarantine || transform) {
        // Rules see the values as read; the transforms make the row written; a rejected row goes
        // to quarantine as it was read.
        batch = [];
        const state = direct && transform ? await stateFor('') : undefined;
        for (const row of read) {
          if (check) {
            const failures = check(row);
            if (failures.length) {
              await quarantine!.add(row, failures);
              continue;
            }
          }
          if (!transform) {
            batch.push(row);
            continue;
          }
          const out = transform(row);
          if (out === null) filtered++;
          else if (!Array.isArray(out)) await quarantine!.add(row, [{ column: out.column, rule: out.rule, message: out.message }]);
          else if (!state) batch.push(out);
          else {
            if (convert) convert(out);
            state.group.add(out);
            buffered++;
            if (state.group.rows >= groupLimit(state)) await writeGroup(state);
          }
        }
      }
      if (request.changes) {
        batch = await request.changes.rows(batch);
        changeRows += batch.length;
        countChanges(batch);
      }
      await writeRows(batch);
      rows += read.length;
      onProgress(rows);
      if (truncated) break;
    }
  } finally {
    // A failure to close must not hide the error that ended the read.
    if (!exhausted) await iterator.return?.().catch(() => undefined);
  }
  if (request.changes) {
    const tail = await request.changes.end();
    changeRows += tail.length;
    countChanges(tail);
    await writeRows(tail);
  }
  for (const state of states.values()) {
    await writeGroup(state);
    await closeFile(state);
  }
  await quarantine?.flush();
  const uploadMs = Math.min(uploadWaitMs, writingMs);
  const timings = { readMs: Math.round(readMs), encodeMs: Math.round(writingMs - uploadMs), uploadMs: Math.round(uploadMs) };
  const rejected = quarantine ? { rowsRejected: quarantine.rows, quarantine: quarantine.files, rejectedByRule: quarantine.ruleCounts() } : {};
  return { rows: request.changes ? changeRows : rows - (quarantine?.rows ?? 0) - filtered, bytes: files.reduce((sum, file) => sum + file.bytes, 0), files, timings, ...(truncated ? { truncated } : {}), ...rejected, ...(filters ? { rowsFiltered: filtered } : {}), ...(request.changes ? { changes: changeCounts } : {}) };
}
