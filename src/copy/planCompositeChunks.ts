import type { ChunkRange } from '../spec/columns.js';
import type { KeyDistribution } from '../sources/sourceConnector.js';

/** A value of a composite key's first column that holds the rows of two or more chunks, and how many chunks it gets. */
export type HeavyLeadValue = { key: string; parts: number };

/**
 * The values of a composite key's first column that each hold at least two chunks' worth of
 * rows (a tenant id with few values): those chunks must be cut inside the value, by the second
 * column. Empty when the first column alone can give the chunks.
 */
export function heavyLeadValues(distribution: KeyDistribution, count: number): HeavyLeadValue[] {
  const points = mergedPoints(distribution);
  const total = points.reduce((sum, point) => sum + point.weight, 0);
  if (total <= 0 || count < 2) return [];
  return points
    .map((point) => ({ key: String(point.key), parts: Math.min(count, Math.round((point.weight / total) * count)) }))
    .filter((value) => value.parts >= 2);
}

/** The second column's bounds under one heavy value of the first (undefined when no row has it any more). */
export type SecondBounds = { min: string; max: string } | undefined;

type Edge = { lead: bigint; second?: bigint };

/**
 * Chunks of a composite key (a, b) whose first column is skewed, as `tuple` ranges in the key's
 * order: each heavy value of a (heavyLeadValues) gets chunks of its own, cut at equal widths of
 * b between its smallest and largest b; the other values of a are grouped in key order until a
 * group holds about one chunk's share of the rows. The ranges run from [min a] to [max a]
 * inclusive, each lower bound the previous upper, so every row with a in [min, max] is in
 * exactly one chunk however good the statistics were: they only decide where the cuts fall.
 */
export function planCompositeChunks(lead: { min: string; max: string }, distribution: KeyDistribution, count: number, heavy: Array<HeavyLeadValue & { second: SecondBounds }>): ChunkRange[] {
  const min = BigInt(lead.min);
  const max = BigInt(lead.max);
  const points = mergedPoints(distribution);
  const total = points.reduce((sum, point) => sum + point.weight, 0);
  const heavyOf = new Map(heavy.map((value) => [BigInt(value.key), value]));
  const cuts: Edge[] = [];
  let share = 0;
  for (const [i, point] of points.entries()) {
    const next = points[i + 1]?.key;
    const value = heavyOf.get(point.key);
    if (value?.second) {
      // The value starts a chunk of its own, is cut by its second column, and the next value starts afresh.
      cuts.push({ lead: point.key });
      const low = BigInt(value.second.min);
      const span = BigInt(value.second.max) - low + 1n;
      const parts = BigInt(value.parts) < span ? BigInt(value.parts) : span;
      for (let j = 1n; j < parts; j++) cuts.push({ lead: point.key, second: low + (span * j) / parts });
      if (next !== undefined) cuts.push({ lead: next });
      share = 0;
      continue;
    }
    share += total > 0 ? point.weight / total : 0;
    if (share * count >= 1 && next !== undefined) {
      cuts.push({ lead: next });
      share = 0;
    }
  }
  const edges: Edge[] = [{ lead: min }];
  for (const cut of cuts.sort(compareEdges)) {
    if (cut.lead < min || cut.lead > max) continue;
    if (compareEdges(cut, edges.at(-1)!) > 0) edges.push(cut);
  }
  edges.push({ lead: max });
  const ranges: ChunkRange[] = [];
  for (let i = 0; i < edges.length - 1; i++) {
    ranges.push({ kind: 'tuple', lower: edgeDigits(edges[i]!), upper: edgeDigits(edges[i + 1]!), upperInclusive: i === edges.length - 2 });
  }
  return ranges;
}

/** Key order, where [a] (every b of a) comes before any [a, b]. */
function compareEdges(x: Edge, y: Edge): number {
  if (x.lead !== y.lead) return x.lead < y.lead ? -1 : 1;
  if (x.second === undefined || y.second === undefined) return x.second === y.second ? 0 : x.second === undefined ? -1 : 1;
  return x.second < y.second ? -1 : x.second > y.second ? 1 : 0;
}

function edgeDigits(edge: Edge): string[] {
  return edge.second === undefined ? [String(edge.lead)] : [String(edge.lead), String(edge.second)];
}

/** Points ascending by key, weights of equal keys summed. */
function mergedPoints(distribution: KeyDistribution): Array<{ key: bigint; weight: number }> {
  const merged = new Map<bigint, number>();
  for (const point of distribution.points) {
    if (!(point.weight > 0) || !Number.isFinite(point.weight)) continue;
    const key = BigInt(point.key);
    merged.set(key, (merged.get(key) ?? 0) + point.weight);
  }
  return [...merged].map(([key, weight]) => ({ key, weight })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
