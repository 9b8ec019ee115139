import type { Column, OutputType } from '../spec/columns.js';
import type { CatalogIndex, TableCatalog } from '../sources/sourceConnector.js';

/** Where a table's split key came from: the spec, the catalog's indexes, PostgreSQL's physical row location, or nowhere (one chunk). */
export const splitKeySources = ['spec', 'primaryKey', 'clusteredIndex', 'uniqueIndex', 'ctid', 'partitions', 'none'] as const;
export type SplitKeySource = (typeof splitKeySources)[number];

/**
 * The key a table is split by and why: `columns` is the key's leading column, and its second
 * when the index has one that can take over where the first has too few values (both NOT NULL);
 * empty for `ctid`, `partitions` and `none`.
 */
export type SplitKeyChoice = { source: SplitKeySource; columns: string[]; index?: string | undefined; reason: string };

/** Integers, dates and timestamps: the types a key range can be cut in (KeyBounds digits). */
const splittableKinds = new Set<OutputType['kind']>(['int16', 'int32', 'int64', 'uint64', 'date', 'timestamp', 'timestampOffset']);

/**
 * Chooses a table's split key from its catalog, a pure function of what the catalog and the
 * column types say: the primary key, else the clustered index, else a unique index (by name),
 * whose leading column is an integer, date or timestamp
 * (a key range of it is then an index seek). Without one, PostgreSQL splits by heap pages
 * (`ctid`) when `pagesSplit`, a partitioned SQL Server table by its partitions, and otherwise
 * the table is read as one chunk. SQL Server's
 * `%%physloc%%` is never a key: it is no column of the catalog, and an updated row moves.
 */
export function chooseSplitKey(catalog: TableCatalog, columns: Column[], options: { pagesSplit: boolean }): SplitKeyChoice {
  const byName = new Map(columns.map((column) => [column.name, column]));
  const rejected: string[] = [];
  for (const { index, label } of candidates(catalog.indexes)) {
    const lead = byName.get(index.columns[0]!);
    if (!lead || !splittable(lead)) {
      rejected.push(`${label} leads with "${index.columns[0]}"${lead ? ` (${lead.sourceType})` : ''}, not an integer, date or timestamp`);
      continue;
    }
    const second = index.columns[1] === undefined ? undefined : byName.get(index.columns[1]);
    // A composite range is exact only over NOT NULL columns (NULL compares as neither above nor below).
    const composite = second && splittable(second) && !lead.nullable && !second.nullable ? [second.name] : [];
    const source = index.primaryKey ? 'primaryKey' : index.clustered ? 'clusteredIndex' : 'uniqueIndex';
    const reason = `${label} leads with "${lead.name}" (${lead.sourceType})${composite.length ? `, then "${composite[0]}" (${second!.sourceType})` : ''}`;
    return { source, columns: [lead.name, ...composite], index: index.name, reason: [...rejected, reason].join('; ') };
  }
  const none = rejected.length ? `${rejected.join('; ')}; ` : 'no primary key, clustered or unique index; ';
  if (options.pagesSplit) return { source: 'ctid', columns: [], reason: `${none}split by heap pages (ctid ranges)` };
  const partitioning = catalog.partitioning;
  if (partitioning && partitioning.count > 1) {
    return { source: 'partitions', columns: [], reason: `${none}one chunk per partition: ${partitioning.count} partitions of "${partitioning.column}" (partition function ${partitioning.function})` };
  }
  return { source: 'none', columns: [], reason: `${none}the engine offers no physical split, so the table is one chunk` };
}

function splittable(column: Column): boolean {
  return column.override === undefined && splittableKinds.has(column.type.kind);
}

/** The indexes worth splitting by, best first, each with the words the plan shows for it. */
function candidates(indexes: CatalogIndex[]): Array<{ index: CatalogIndex; label: string }> {
  const primary = indexes.filter((index) => index.primaryKey);
  const clustered = indexes.filter((index) => index.clustered && !index.primaryKey);
  const unique = indexes.filter((index) => index.unique && !index.primaryKey && !index.clustered).sort((a, b) => a.name.localeCompare(b.name));
  return [
    ...primary.map((index) => ({ index, label: `primary key "${index.name}"` })),
    ...clustered.map((index) => ({ index, label: `clustered index "${index.name}"` })),
    ...unique.map((index) => ({ index, label: `unique index "${index.name}"` })),
  ].filter(({ index }) => index.columns.length > 0);
}
