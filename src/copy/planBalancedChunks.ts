import type { ChunkRange } from '../spec/columns.js';
import type { KeyBounds, KeyDistribution } from '../sources/sourceConnector.js';
import { planChunks } from './planChunks.js';

/** Fraction resolution when interpolating inside a histogram bucket. */
const scale = 1_000_000n;

/**
 * Cuts the key range [min, max] where the distribution says each chunk holds an equal share of
 * the rows: each point's weight is spread evenly over the keys between the previous point and
 * itself, and a cut falls where the running weight crosses k/count. On a skewed key this gives
 * narrow ranges where rows are dense and wide ones where they are sparse, unlike equal-width
 * splitting. Ranges stay contiguous (each lower bound is the previous upper), the last is closed
 * at max, and a chunk for NULL keys is added when the key is nullable, so no row is missed.
 */
export function planBalancedChunks(bounds: KeyBounds, distribution: KeyDistribution, count: number): ChunkRange[] {
  if (bounds.min === undefined || bounds.max === undefined) return planChunks(bounds, count);
  const min = BigInt(bounds.min);
  const max = BigInt(bounds.max);
  const points = mergedPoints(distribution, min, max);
  const total = points.reduce((sum, point) => sum + point.weight, 0);
  if (points.length === 0 || total <= 0) return planChunks(bounds, count);

  const cuts: bigint[] = [];
  let previousKey = min - 1n;
  let before = 0;
  let pointIndex = 0;
  for (let i = 1; i < count; i++) {
    const target = (total * i) / count;
    while (pointIndex < points.length && before + points[pointIndex]!.weight < target) {
      before += points[pointIndex]!.weight;
      previousKey = points[pointIndex]!.key;
      pointIndex++;
    }
    if (pointIndex >= points.length) break;
    const point = points[pointIndex]!;
    const fraction = BigInt(Math.round(((target - before) / point.weight) * Number(scale)));
    const cut = previousKey + 1n + ((point.key - previousKey) * fraction) / scale;
    if (cut > min && cut <= max && (cuts.length === 0 || cut > cuts.at(-1)!)) cuts.push(cut);
  }

  const edges = [min, ...cuts, max];
  const ranges: ChunkRange[] = [];
  for (let i = 0; i < edges.length - 1; i++) {
    const last = i === edges.length - 2;
    ranges.push({ kind: 'range', lower: String(edges[i]), upper: String(edges[i + 1]), upperInclusive: last });
  }
  if (bounds.nullable) ranges.push({ kind: 'nullKey' });
  return ranges;
}

/** Points inside [min, max], ascending, duplicates summed, so the walk above is a single pass. */
function mergedPoints(distribution: KeyDistribution, min: bigint, max: bigint): Array<{ key: bigint; weight: number }> {
  const sorted = distribution.points
    .map((point) => ({ key: BigInt(point.key), weight: point.weight }))
    .filter((point) => point.weight > 0 && Number.isFinite(point.weight))
    .map((point) => ({ key: point.key < min ? min : point.key > max ? max : point.key, weight: point.weight }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const merged: Array<{ key: bigint; weight: number }> = [];
  for (const point of sorted) {
    const last = merged.at(-1);
    if (last && last.key === point.key) last.weight += point.weight;
    else merged.push({ ...point });
  }
  return merged;
}
