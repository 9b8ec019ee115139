import { NonRetryableError } from '../errors/errorTypes.js';
import type { ChangeTableRead } from '../sources/sourceConnector.js';
import { ChangeType } from './changeColumns.js';
import type { RunCapture } from './runCapture.js';

/** SYS_CHANGE_OPERATION as a change type. */
const operations: Record<string, ChangeType> = { I: ChangeType.insert, U: ChangeType.update, D: ChangeType.delete };

/**
 * A changeTracking chunk's change rows. A snapshot run reads the table: every row an insert at
 * the run's high version. An incremental run reads the change table (ReadChunkRequest.changeRead):
 * each row comes with its operation and its SYS_CHANGE_VERSION, which become `_change_type` and
 * `_change_version` (a delete row holds its key, the other columns NULL).
 */
export function changeTrackingChanges(capture: RunCapture, width: number, where: string): { read?: ChangeTableRead; rows(batch: unknown[][]): Promise<unknown[][]>; end(): Promise<unknown[][]> } {
  const end = async () => [];
  if (capture.after === undefined) {
    const version = BigInt(capture.version);
    return { rows: async (batch) => batch.map((row) => [...row, ChangeType.insert, version]), end };
  }
  return {
    read: { mode: 'changeTracking', keys: capture.keys, after: capture.after, upTo: capture.version },
    rows: async (batch) => batch.map((row) => {
      const operation = String(row[width] ?? '').trim();
      const type = operations[operation];
      if (!type) throw new NonRetryableError(`${where}: Change Tracking gave the operation ${JSON.stringify(row[width])}, not I, U or D`);
      row[width] = type;
      return row;
    }),
    end,
  };
}
