import { chooseSplitKey, type SplitKeyChoice } from '../copy/chooseSplitKey.js';
import type { Engine } from '../spec/pipelineSpec.js';
import type { ReadTarget, SourceConnector, TableCatalog } from '../sources/sourceConnector.js';

/**
 * A table's split key and why, from (connector, table): the spec's `chunking.column` as it is,
 * or the catalog's choice (copy/chooseSplitKey.ts). `catalog` (indexes, rows, bytes, pages) is
 * read whenever the choice or the chunk count needs it: always without a named column, and with
 * one when the count is to come from the table's size. Reads the catalog only, never the rows.
 */
export async function chooseTableSplit(
  source: SourceConnector,
  target: ReadTarget,
  engine: Engine,
  chunking: { column?: string | undefined; chunks?: number | undefined; targetChunkMB?: number | undefined },
): Promise<{ choice: SplitKeyChoice; catalog?: TableCatalog | undefined }> {
  if (chunking.column !== undefined) {
    const choice: SplitKeyChoice = { source: 'spec', columns: [chunking.column], reason: `named by chunking.column` };
    const sized = chunking.chunks === undefined && chunking.targetChunkMB !== undefined && target.kind === 'table';
    return { choice, catalog: sized ? await source.tableCatalog(target.table) : undefined };
  }
  // The spec refuses a query without a column (it has no catalog); a table only gets here.
  if (target.kind !== 'table') throw new Error('a split key is chosen from the catalog only for tables');
  const catalog = await source.tableCatalog(target.table);
  const { columns } = await source.describe(target, undefined, { collectRefusals: true });
  return { choice: chooseSplitKey(catalog, columns, { pagesSplit: engine === 'postgres' }), catalog };
}
