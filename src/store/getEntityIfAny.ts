import type { GetTableEntityOptions, GetTableEntityResponse, TableClient, TableEntityResult } from '@azure/data-tables';
import { hasStatus } from './tableErrors.js';

/** A point read that answers undefined for an entity that is not there (404), and throws anything else. */
export async function getEntityIfAny<T extends object>(table: TableClient, partitionKey: string, rowKey: string, options?: GetTableEntityOptions): Promise<GetTableEntityResponse<TableEntityResult<T>> | undefined> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey, options);
  } catch (err) {
    if (hasStatus(err, 404)) return undefined;
    throw err;
  }
}
