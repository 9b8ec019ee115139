import type { TableClient } from '@azure/data-tables';
import { hasStatus } from './tableErrors.js';

/** Deletes one entity; one that is already gone (404) is fine, anything else throws. */
export async function deleteEntityIfAny(table: TableClient, partitionKey: string, rowKey: string): Promise<void> {
  try {
    await table.deleteEntity(partitionKey, rowKey);
  } catch (err) {
    if (!hasStatus(err, 404)) throw err;
  }
}
