import { z } from 'zod';

/**
 * A table name or pattern: `schema.name`, or `name` in the connection's default schema (public,
 * the connection's database, dbo). `*` and `%` stand for any run of characters (`sales.*`,
 * `dbo.fact_%`); `_` is a plain character, as table names use it. Split at the first dot.
 */
export const tablePatternSchema = z
  .string()
  .min(1)
  .max(257)
  .regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters')
  .refine((pattern) => !pattern.startsWith('.') && !pattern.endsWith('.'), 'schema and name must not be empty (schema.name or name)');

/**
 * What one entry of `tables` may set for the tables it matches instead of the pipeline's own
 * value: each field replaces the pipeline's field of the same name, whole (a table's `chunking`
 * is its chunking, not a merge of two).
 */
export const tableOverrideFields = ['columns', 'columnTypes', 'schemaContract', 'validation', 'transforms', 'quality', 'reconcile', 'chunking', 'incremental', 'changeCapture', 'softDelete'] as const;
export type TableEntry = string | ({ name: string } & { [field in (typeof tableOverrideFields)[number]]?: unknown });
export const excludeSchema = z.array(tablePatternSchema).min(1).max(1_000);

/**
 * Each table of a many-table pipeline is copied as a run of its own, of a pipeline of its own
 * that no one creates or lists: `<pipeline>~<hash of schema.name>` (tables/tableSpec.ts). Its
 * runs, watermark, schema and change state live under that id, so a table keeps its own across
 * runs, and the stores need not know tables exist. The `~` keeps it apart from every pipeline id.
 */
export const tablePipelineIdPattern = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?~[0-9a-f]{12}$/;

/** The pipeline a table pipeline's id belongs to; a pipeline's own id is its own. */
export function owningPipelineId(id: string): string {
  const tilde = id.indexOf('~');
  return tilde < 0 ? id : id.slice(0, tilde);
}

/** The pattern of an entry. */
export function entryPattern(entry: TableEntry): string {
  return typeof entry === 'string' ? entry : entry.name;
}

/** True when the pattern names one table rather than matching many. */
export function isExactName(pattern: string): boolean {
  return !/[*%]/.test(pattern);
}

/** `schema.name` split at the first dot; no dot: the default schema's table. */
export function splitPattern(pattern: string): { schema?: string; name: string } {
  const dot = pattern.indexOf('.');
  return dot < 0 ? { name: pattern } : { schema: pattern.slice(0, dot), name: pattern.slice(dot + 1) };
}
