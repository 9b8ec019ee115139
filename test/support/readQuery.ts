import type { ReadTarget, SourceConnector } from '../../src/sources/sourceConnector.js';

/**
 * Every row a connector returns for a query of the test's own, read as one chunk: the path a
 * pipeline takes, without the spec check in front, so a test can see what the session itself
 * refuses.
 */
export async function readQueryRows(connector: SourceConnector, sql: string, batchRows = 100): Promise<unknown[][]> {
  const target: ReadTarget = { kind: 'query', sql };
  const { columns } = await connector.describe(target);
  const rows: unknown[][] = [];
  for await (const batch of connector.readChunk({ target, columns, orderBy: [], range: { kind: 'all' }, batchRows })) rows.push(...batch);
  return rows;
}
