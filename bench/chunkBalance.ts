import { planChunks } from '../src/copy/planChunks.js';
import { planBalancedChunks } from '../src/copy/planBalancedChunks.js';
import type { ChunkRange } from '../src/spec/columns.js';
import type { ReadTarget } from '../src/sources/sourceConnector.js';
import { connectSource } from './siphonCopy.js';
import { median } from './measure.js';
import type { SourceDatabase } from './sourceTables.js';

export type PlanBalance = { planner: string; chunks: number; largest: number; median: number; total: number };

/** As prepareRun's samplePointsFor: enough sampled keys that each boundary rests on dozens. */
const samplePointsFor = (chunks: number) => Math.min(200_000, Math.max(10_000, chunks * 50));

/**
 * Plans `chunks` chunks of the skewed table the way prepareRun does (keyBounds, then
 * keyDistribution and planBalancedChunks), and the equal-width way (planChunks), then counts the
 * rows of every planned range with COUNT(*) in SQL.
 */
export async function chunkBalance(db: SourceDatabase, table: string, key: string, chunks: number): Promise<PlanBalance[]> {
  const source = await connectSource(db.engine, db.url);
  try {
    const target: ReadTarget = { kind: 'table', table: { name: table } };
    const bounds = await source.keyBounds(target, key);
    const distribution = await source.keyDistribution(target, key, bounds.kind, samplePointsFor(chunks));
    const plans: Array<[string, ChunkRange[]]> = [
      [`Siphon (${distribution.method}, ${distribution.points.length} points)`, planBalancedChunks(bounds, distribution, chunks)],
      ['equal width', planChunks(bounds, chunks)],
    ];
    const results: PlanBalance[] = [];
    for (const [planner, ranges] of plans) {
      const counts: number[] = [];
      for (const range of ranges) {
        if (range.kind !== 'range') continue;
        counts.push(await db.countRows(table, key, range));
      }
      results.push({ planner, chunks: counts.length, largest: Math.max(...counts), median: median(counts), total: counts.reduce((a, b) => a + b, 0) });
    }
    return results;
  } finally {
    await source.close();
  }
}
