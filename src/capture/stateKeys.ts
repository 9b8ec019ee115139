import { NonRetryableError } from '../errors/errorTypes.js';
import type { Column, OutputType } from '../spec/columns.js';

/**
 * A row's key in the change state: its key columns' values as integers (integers themselves,
 * dates as days and timestamps as microseconds since the epoch), compared as numbers. The state
 * is merged with each read in key order, so the order here must be the database's ORDER BY order:
 * that holds for these types on every engine, and for no text collation, so text, uuid and
 * binary keys are refused at prepare.
 */
export type StateKey = bigint[];

const keyKinds: ReadonlySet<OutputType['kind']> = new Set(['int16', 'int32', 'int64', 'uint64', 'date', 'timestamp']);

/** Why `column` cannot be a change-capture key, or undefined when it can. */
export function keyColumnRefusal(column: Column): string | undefined {
  if (column.override) return `"${column.name}" has a columnTypes override; a key is read as the source has it`;
  if (!keyKinds.has(column.type.kind)) return `"${column.name}" is ${column.sourceType} (${column.type.kind}); hashDiff keys are integers, dates or timestamps (ordered alike by every engine)`;
  if (column.nullable) return `"${column.name}" is nullable; a key must be NOT NULL`;
  return undefined;
}

/** The key of a row as read, and the canonical key values of a state key (for a delete row). */
export function keyCodec(columns: Column[], keys: string[], where: string): { indexes: number[]; of(row: unknown[]): StateKey; values(key: StateKey): unknown[] } {
  const indexes = keys.map((name) => {
    const index = columns.findIndex((column) => column.name === name);
    if (index < 0) throw new NonRetryableError(`${where}: the key column "${name}" is not read`);
    return index;
  });
  const asNumber = indexes.map((index) => ['int16', 'int32', 'date'].includes(columns[index]!.type.kind));
  const part = (row: unknown[], index: number): bigint => {
    const value = row[index];
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number') return BigInt(value);
    throw new NonRetryableError(`${where}: key column "${columns[index]!.name}" is NULL in a row`);
  };
  const only = indexes.length === 1 ? indexes[0]! : -1;
  return {
    indexes,
    of: only >= 0 ? (row) => [part(row, only)] : (row) => indexes.map((index) => part(row, index)),
    values: (key) => key.map((part, i) => (asNumber[i] ? Number(part) : part)),
  };
}

export function compareKeys(a: StateKey, b: StateKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function keyText(key: StateKey): string {
  return key.length === 1 ? String(key[0]) : key.join(',');
}

export function parseKeyText(text: string): StateKey {
  return text.includes(',') ? text.split(',').map((part) => BigInt(part)) : [BigInt(text)];
}

/**
 * The part of the first key column a chunk's state covers: `lower <= k < upper`, either end
 * open when absent. The first chunk is open below and the last above, so state keys the read no
 * longer reaches (the lowest or highest rows deleted) still fall in a chunk and become deletes.
 */
export type StateRange = { lower?: string | undefined; upper?: string | undefined };

export function inStateRange(range: StateRange, first: bigint): boolean {
  return (range.lower === undefined || first >= BigInt(range.lower)) && (range.upper === undefined || first < BigInt(range.upper));
}

export function rangesOverlap(a: StateRange, b: StateRange): boolean {
  const belowB = a.upper !== undefined && b.lower !== undefined && BigInt(a.upper) <= BigInt(b.lower);
  const aboveB = a.lower !== undefined && b.upper !== undefined && BigInt(a.lower) >= BigInt(b.upper);
  return !belowB && !aboveB;
}
