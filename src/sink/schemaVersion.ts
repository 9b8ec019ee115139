import { createHash } from 'node:crypto';
import type { Column, OutputType } from '../spec/columns.js';

/**
 * A short, stable name for an output schema: the first 12 hex digits of a SHA-256 over every
 * column's name, output type and nullability, in order. Source types are left out: a source
 * type that changes without changing what is written keeps the version. Type fields are sorted,
 * so the same type built in another order hashes the same.
 */
export function schemaVersionOf(columns: readonly Pick<Column, 'name' | 'type' | 'nullable'>[]): string {
  const text = JSON.stringify(columns.map((column) => [column.name, typeText(column.type), column.nullable]));
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function typeText(type: OutputType): string {
  return Object.entries(type)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(',');
}
