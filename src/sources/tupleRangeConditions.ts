import type { ChunkRange } from '../spec/columns.js';

/** One comparison of a key column (0: the first, 1: the second) with a bound's digits, as the dialect writes it (quoted column, bound value). */
export type KeyComparison = (column: 0 | 1, operator: '>=' | '>' | '<' | '<=', digits: string) => string;

/**
 * The conditions of a `tuple` chunk over a composite key (a, b) in its order, for every engine
 * (SQL Server has no row-value comparison): a lower bound [v] is `a >= v`, [v, c] is
 * `a >= v AND (a > v OR b >= c)`; an upper bound [w] is `a < w` (`<=` inclusive), [w, d] is
 * `a <= w AND (a < w OR b < d)`. The leading `a >= v` / `a <= w` are implied by the rest and
 * are there so the engine seeks the key's index. Chunks whose bounds follow one another in that
 * order cover every row once: the key's columns are NOT NULL (planSplit uses a composite key only then).
 */
export function tupleRangeConditions(range: Extract<ChunkRange, { kind: 'tuple' }>, compare: KeyComparison): string[] {
  const conditions: string[] = [];
  const [low, lowNext] = range.lower;
  conditions.push(compare(0, '>=', low!));
  if (lowNext !== undefined) conditions.push(`(${compare(0, '>', low!)} OR ${compare(1, '>=', lowNext)})`);
  const [high, highNext] = range.upper;
  if (highNext === undefined) conditions.push(compare(0, range.upperInclusive ? '<=' : '<', high!));
  else conditions.push(compare(0, '<=', high!), `(${compare(0, '<', high!)} OR ${compare(1, range.upperInclusive ? '<=' : '<', highNext)})`);
  return conditions;
}
