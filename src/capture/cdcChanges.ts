import { NonRetryableError } from '../errors/errorTypes.js';
import type { ChangeTableRead } from '../sources/sourceConnector.js';
import { ChangeType } from './changeColumns.js';
import type { RunCapture } from './runCapture.js';

/** __$operation as a change type: 1 delete, 2 insert, 3 an update's before-image, 4 its after-image. */
const operations: Record<number, ChangeType> = { 1: ChangeType.delete, 2: ChangeType.insert, 3: ChangeType.updateBefore, 4: ChangeType.update };

/**
 * A cdc chunk's change rows. A snapshot run reads the table: every row an insert, its version
 * the run's maximum LSN followed by zeros (below every later change's). An incremental run
 * reads the capture instance (ReadChunkRequest.changeRead): each row comes with its
 * __$operation and its LSN and seqval as hex text, which become `_change_type` and
 * `_change_version`.
 */
export function cdcChanges(capture: RunCapture, width: number, where: string): { read?: ChangeTableRead; rows(batch: unknown[][]): Promise<unknown[][]>; end(): Promise<unknown[][]> } {
  const end = async () => [];
  if (capture.after === undefined) {
    const version = `${capture.version}${'0'.repeat(20)}`;
    return { rows: async (batch) => batch.map((row) => [...row, ChangeType.insert, version]), end };
  }
  if (!capture.captureInstance || !capture.captured) throw new NonRetryableError(`${where}: a cdc run without its capture instance (prepared by an older version?)`);
  return {
    read: { mode: 'cdc', keys: capture.keys, captureInstance: capture.captureInstance, captured: capture.captured, from: capture.after, upTo: capture.version, rowFilter: capture.rowFilter ?? 'all' },
    rows: async (batch) => batch.map((row) => {
      const type = operations[Number(row[width])];
      if (!type) throw new NonRetryableError(`${where}: CDC gave the operation ${JSON.stringify(row[width])}, not 1 to 4`);
      row[width] = type;
      return row;
    }),
    end,
  };
}
