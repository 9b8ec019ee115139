import { RestError, type TableClient } from '@azure/data-tables';

export function hasStatus(err: unknown, ...statuses: number[]): boolean {
  return err instanceof RestError && err.statusCode !== undefined && statuses.includes(err.statusCode);
}

/** Thrown when an ETag no longer matches: someone else wrote first. */
export class ConcurrencyConflictError extends Error {
  override readonly name = 'ConcurrencyConflictError';
}

/** Creates the table unless it exists. */
export async function createTableIfNotExists(table: TableClient): Promise<void> {
  await table.createTable().catch((err: unknown) => {
    if (!hasStatus(err, 409)) throw err;
  });
}
