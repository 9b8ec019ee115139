import { queryIdSchema } from '../../spec/queryJob.js';
import { sourceSchema } from '../../spec/pipelineSpec.js';

/**
 * The API has no list of query jobs (a query is one person's, for a while), so this browser
 * remembers the ids it submitted: newest first, at most `recentQueryCap`. Only ids are kept;
 * the status and everything else are read from the API.
 */
const recentKey = 'siphon.recentQueries';
export const recentQueryCap = 50;
const sourceKey = 'siphon.querySource';

/** What localStorage holds is outside input too: anything that is not a list of query ids reads as none. */
export function recentQueryIds(): string[] {
  const stored = readStored(recentKey);
  if (!Array.isArray(stored)) return [];
  const ids = stored.filter((item): item is string => queryIdSchema.safeParse(item).success);
  return [...new Set(ids)].slice(0, recentQueryCap);
}

export function rememberQuery(id: string): void {
  writeStored(recentKey, [id, ...recentQueryIds().filter((known) => known !== id)].slice(0, recentQueryCap));
}

export function forgetQuery(id: string): void {
  writeStored(recentKey, recentQueryIds().filter((known) => known !== id));
}

/** The last source a query was sent to (engine and setting name: never a secret, the schema refuses those), to start the next one from. */
export function lastQuerySource(): Record<string, unknown> | undefined {
  const parsed = sourceSchema.safeParse(readStored(sourceKey));
  return parsed.success ? { engine: parsed.data.engine, connectionSetting: parsed.data.connectionSetting } : undefined;
}

export function rememberQuerySource(source: unknown): void {
  const parsed = sourceSchema.safeParse(source);
  if (parsed.success) writeStored(sourceKey, { engine: parsed.data.engine, connectionSetting: parsed.data.connectionSetting });
}

function readStored(key: string): unknown {
  try {
    const text = localStorage.getItem(key);
    return text === null ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function writeStored(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled (a private window): the list is a convenience, the query still runs.
  }
}
