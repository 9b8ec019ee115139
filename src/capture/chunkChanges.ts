import type { ContainerClient } from '@azure/storage-blob';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { ChunkRange, Column } from '../spec/columns.js';
import type { CursorWindow } from '../spec/cursorWindow.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { ChangeType, withChangeColumns } from './changeColumns.js';
import { rowHasher } from './rowHash.js';
import type { RunCapture } from './runCapture.js';
import { readState, readStateIndex, stateFilePath, stateRangeOf, StateFileWriter } from './stateFiles.js';
import { keyCodec } from './stateKeys.js';
import { StateMerge } from './stateMerge.js';
import type { ChangeTableRead } from '../sources/sourceConnector.js';
import { changeTrackingChanges } from './changeTrackingChanges.js';
import { cdcChanges } from './cdcChanges.js';

/**
 * What the copy of a chunk asks of change capture: the columns written (the row's, then the
 * change columns), the change rows for each batch of rows read, and the change rows after the
 * last batch (hashDiff: the deletes past the last key read). Rows come in ascending key order.
 */
export type ChunkChanges = {
  columns: Column[];
  /** An incremental changeTracking or cdc run: the engine's change table to read instead of the table's rows. */
  read?: ChangeTableRead | undefined;
  rows(batch: unknown[][]): Promise<unknown[][]>;
  end(): Promise<unknown[][]>;
};

export type ChunkChangesInput = {
  blobs: BlobServiceClient;
  /** The output container, where the run's state is written. */
  container: ContainerClient;
  spec: Pick<PipelineSpec, 'changeCapture' | 'softDelete'>;
  capture: RunCapture;
  /** The columns read. */
  columns: Column[];
  runFolder: string;
  chunk: number;
  range: ChunkRange;
  window: CursorWindow | undefined;
  where: string;
};

export async function openChunkChanges(input: ChunkChangesInput): Promise<ChunkChanges> {
  const { capture, columns } = input;
  const changeColumns = withChangeColumns(columns, input.spec);
  if (capture.mode === 'changeTracking') return { columns: changeColumns, ...changeTrackingChanges(capture, columns.length, input.where) };
  if (capture.mode === 'cdc') return { columns: changeColumns, ...cdcChanges(capture, columns.length, input.where) };
  const version = BigInt(capture.version);
  if (capture.mode === 'softDelete') {
    const deleted = columns.findIndex((column) => column.name === input.spec.softDelete!.column);
    // A watermark cannot tell an insert from an update: a first run (or a full refresh) holds
    // every row as an insert, later runs each changed row as an update.
    const changed = input.window?.after === undefined ? ChangeType.insert : ChangeType.update;
    return {
      columns: changeColumns,
      rows: async (batch) => batch.map((row) => [...row, row[deleted] == null ? changed : ChangeType.delete, version]),
      end: async () => [],
    };
  }
  const codec = keyCodec(columns, capture.keys, input.where);
  const hash = await rowHasher(columns);
  const range = stateRangeOf(input.range, input.chunk);
  const previous = capture.previous;
  const oldContainer = previous ? input.blobs.getContainerClient(previous.container) : undefined;
  const oldIndex = previous ? await readStateIndex(oldContainer!, previous.index) : undefined;
  const merge = new StateMerge(readState(oldContainer!, oldIndex, range)[Symbol.asyncIterator](), input.where);
  const state = new StateFileWriter(input.container, stateFilePath(input.runFolder, input.chunk));
  const width = columns.length;
  const deleteRow = (key: bigint[]) => {
    const row: unknown[] = new Array(width + 2).fill(null);
    const values = codec.values(key);
    codec.indexes.forEach((index, i) => {
      row[index] = values[i];
    });
    row[width] = ChangeType.delete;
    row[width + 1] = version;
    return row;
  };
  return {
    columns: changeColumns,
    rows: async (batch) => {
      const out: unknown[][] = [];
      let row: unknown[] = [];
      const emit = (type: ChangeType, changedKey: bigint[]) => {
        out.push(type === ChangeType.delete ? deleteRow(changedKey) : [...row, type, version]);
      };
      for (row of batch) {
        const key = codec.of(row);
        const rowHash = hash(row);
        state.add(key, rowHash);
        const reading = merge.add(key, rowHash, emit);
        if (reading) await reading;
      }
      await state.flush();
      return out;
    },
    end: async () => {
      const out: unknown[][] = [];
      await merge.finish((_type, key) => out.push(deleteRow(key)));
      await state.commit();
      return out;
    },
  };
}
