import type { ChunkRange } from '../spec/columns.js';
import type { KeyBounds } from '../sources/sourceConnector.js';

/**
 * Splits the key range [min, max] into `count` ranges of equal width (fewer when there are fewer
 * distinct key values than chunks), the last closed at the top so max is included, plus one
 * chunk for NULL keys when the key is nullable: no row falls between two chunks.
 */
export function planChunks(bounds: KeyBounds, count: number): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  if (bounds.min !== undefined && bounds.max !== undefined) {
    const min = BigInt(bounds.min);
    const max = BigInt(bounds.max);
    const span = max - min + 1n;
    const n = span < BigInt(count) ? span : BigInt(count);
    for (let i = 0n; i < n; i++) {
      const lower = min + (span * i) / n;
      const last = i === n - 1n;
      const upper = last ? max : min + (span * (i + 1n)) / n;
      ranges.push({ kind: 'range', lower: String(lower), upper: String(upper), upperInclusive: last });
    }
  }
  if (bounds.nullable) ranges.push({ kind: 'nullKey' });
  return ranges;
}
