import { z } from 'zod';
import { ChangeType } from './changeColumns.js';

/**
 * How many change rows of each type a chunk (or a run) wrote (a cdc before-image, `update_before`,
 * is not a change of its own: its update is counted). Counted by the copy as it writes
 * the rows, whatever made them (hashDiff, soft deletes, or any mode that writes `_change_type`),
 * recorded on the chunk, and summed by finalize into the manifest: nobody re-reads a file to
 * learn them.
 */
export const changeCountsSchema = z.object({
  inserted: z.number().int().nonnegative(),
  updated: z.number().int().nonnegative(),
  deleted: z.number().int().nonnegative(),
});
export type ChangeCounts = z.infer<typeof changeCountsSchema>;

export function noChanges(): ChangeCounts {
  return { inserted: 0, updated: 0, deleted: 0 };
}

/** Adds the types of `rows` (change rows whose `_change_type` is at `typeIndex`) to `counts`. */
export function countChangeTypes(counts: ChangeCounts, rows: unknown[][], typeIndex: number, where: string): void {
  for (const row of rows) {
    const type = row[typeIndex];
    if (type === ChangeType.insert) counts.inserted++;
    else if (type === ChangeType.update) counts.updated++;
    else if (type === ChangeType.delete) counts.deleted++;
    // A cdc update's before-image is part of that update, which is counted by its own row.
    else if (type === ChangeType.updateBefore) continue;
    else throw new Error(`${where}: a change row has _change_type ${JSON.stringify(type)}, not insert, update or delete`);
  }
}

/** The sum over chunks; undefined when a chunk has no counts (recorded before they were kept, or not a change-capture run). */
export function sumChangeCounts(chunks: Array<{ changes?: ChangeCounts | undefined }>): ChangeCounts | undefined {
  const total = noChanges();
  for (const chunk of chunks) {
    if (!chunk.changes) return undefined;
    total.inserted += chunk.changes.inserted;
    total.updated += chunk.changes.updated;
    total.deleted += chunk.changes.deleted;
  }
  return total;
}
