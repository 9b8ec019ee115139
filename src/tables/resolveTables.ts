import type { TableList } from '../sources/sourceConnector.js';
import { entryPattern, isExactName, splitPattern, type TableEntry } from '../spec/tablesSpec.js';

/** A table a run copies, and the entry of `tables` whose settings it takes (the first that matched it). */
export type ResolvedTable = { schema: string; name: string; entry: number };

/**
 * The tables a many-table pipeline copies, from the catalog as it is now: every table an entry of
 * `tables` names or matches, less those an `exclude` pattern matches, each once (with the first
 * entry that matched it), in schema and name order. Patterns match case-insensitively, as names
 * do on SQL Server and MySQL; `*` and `%` match any run of characters. An exact name that the
 * catalog does not hold is kept as given: its table's copy fails saying so, rather than the
 * name being dropped without a word.
 */
export function resolveTables(catalog: TableList, tables: readonly TableEntry[], exclude: readonly string[] = []): ResolvedTable[] {
  const found = new Map<string, ResolvedTable>();
  const excluded = exclude.map((pattern) => matcherOf(pattern, catalog.defaultSchema));
  const add = (table: { schema: string; name: string }, entry: number) => {
    const key = `${table.schema}.${table.name}`;
    if (found.has(key) || excluded.some((matches) => matches(table))) return;
    found.set(key, { ...table, entry });
  };
  tables.forEach((item, entry) => {
    const pattern = entryPattern(item);
    const matches = matcherOf(pattern, catalog.defaultSchema);
    const listed = catalog.tables.filter(matches);
    if (isExactName(pattern) && listed.length === 0) {
      const { schema, name } = splitPattern(pattern);
      add({ schema: schema ?? catalog.defaultSchema, name }, entry);
    }
    // An exact name that differs from the catalog's only in case is the catalog's table.
    const exact = listed.filter((table) => `${table.schema}.${table.name}` === qualified(pattern, catalog.defaultSchema));
    for (const table of isExactName(pattern) && exact.length ? exact : listed) add(table, entry);
  });
  return [...found.values()].sort((a, b) => compare(a.schema, b.schema) || compare(a.name, b.name));
}

function qualified(pattern: string, defaultSchema: string): string {
  const { schema, name } = splitPattern(pattern);
  return `${schema ?? defaultSchema}.${name}`;
}

function matcherOf(pattern: string, defaultSchema: string): (table: { schema: string; name: string }) => boolean {
  const { schema, name } = splitPattern(pattern);
  const schemaMatches = likeMatcher(schema ?? defaultSchema);
  const nameMatches = likeMatcher(name);
  return (table) => schemaMatches(table.schema) && nameMatches(table.name);
}

/** `*` and `%` match any run of characters; everything else itself, ignoring case. */
function likeMatcher(pattern: string): (text: string) => boolean {
  const source = pattern.split(/[*%]/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  const regex = new RegExp(`^${source}$`, 'is');
  return (text) => regex.test(text);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
