import { describe, expect, it } from 'vitest';
import { planBalancedChunks } from '../../src/copy/planBalancedChunks.js';
import { planChunks } from '../../src/copy/planChunks.js';
import type { KeyBounds, KeyDistribution } from '../../src/sources/sourceConnector.js';
import type { ChunkRange } from '../../src/spec/columns.js';

type Range = Extract<ChunkRange, { kind: 'range' }>;

const bounds = (min: number, max: number, nullable = false): KeyBounds => ({ kind: 'integer', min: String(min), max: String(max), nullable, rowsEstimate: 0 });

function rowsPerChunk(chunks: ChunkRange[], keys: number[]): number[] {
  return chunks
    .filter((c): c is Range => c.kind === 'range')
    .map((r) => keys.filter((k) => k >= Number(r.lower) && (r.upperInclusive ? k <= Number(r.upper) : k < Number(r.upper))).length);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** 90% of 100,000 keys in the lowest 10% of 1..1,000,000, the rest spread over the remaining 90%. */
const skewedKeys = Array.from({ length: 100_000 }, (_, i) => (i < 90_000 ? 1 + Math.floor((i * 100_000) / 90_000) : 100_001 + Math.floor(((i - 90_000) * 900_000) / 10_000)));

describe('planBalancedChunks', () => {
  it('holds the largest chunk within 1.5x the median on a skewed key, where equal widths do not', () => {
    // Every 100th key as a sample, each standing for the same share of rows.
    const distribution: KeyDistribution = { method: 'sample', points: skewedKeys.filter((_, i) => i % 100 === 0).map((k) => ({ key: String(k), weight: 1 })) };
    const balanced = rowsPerChunk(planBalancedChunks(bounds(1, 1_000_000), distribution, 8), skewedKeys);
    const equal = rowsPerChunk(planChunks(bounds(1, 1_000_000), 8), skewedKeys);
    expect(balanced.reduce((a, b) => a + b, 0)).toBe(skewedKeys.length);
    expect(Math.max(...balanced) / median(balanced)).toBeLessThanOrEqual(1.5);
    expect(Math.max(...equal) / Math.max(1, median(equal))).toBeGreaterThan(10);
  });

  it('interpolates inside histogram buckets, so a few buckets still give many even chunks', () => {
    // A uniform key 0..9999 described by 5 equal-count buckets.
    const distribution: KeyDistribution = { method: 'statistics', points: [0, 2000, 4000, 6000, 8000, 9999].map((k, i) => ({ key: String(k), weight: i === 0 ? 0 : 0.2 })) };
    const chunks = planBalancedChunks(bounds(0, 9999), distribution, 20);
    const counts = rowsPerChunk(chunks, Array.from({ length: 10_000 }, (_, i) => i));
    expect(counts).toHaveLength(20);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
  });

  it('keeps ranges contiguous from min to max, the last closed, plus the NULL chunk', () => {
    const distribution: KeyDistribution = { method: 'sample', points: [5, 6, 7, 50, 900].map((k) => ({ key: String(k), weight: 1 })) };
    const chunks = planBalancedChunks(bounds(-3, 1000, true), distribution, 4);
    const ranges = chunks.filter((c): c is Range => c.kind === 'range');
    expect(ranges[0]!.lower).toBe('-3');
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.lower).toBe(ranges[i - 1]!.upper);
    expect(ranges.at(-1)).toMatchObject({ upper: '1000', upperInclusive: true });
    expect(ranges.slice(0, -1).every((r) => !r.upperInclusive)).toBe(true);
    expect(chunks.at(-1)).toEqual({ kind: 'nullKey' });
  });

  it('stays exact beyond 2^53 (timestamps in microseconds, bigint keys)', () => {
    const min = 9_007_199_254_740_993n;
    const points = [0n, 10n, 20n, 30n].map((d) => ({ key: String(min + d), weight: 1 }));
    const chunks = planBalancedChunks({ kind: 'integer', min: String(min), max: String(min + 30n), nullable: false, rowsEstimate: 0 }, { method: 'sample', points }, 3);
    // Cuts at a third and two thirds of the weight: 1/3 into (min, min+10], 2/3 into (min+10, min+20].
    // min+4 and min+17 are odd numbers above 2^53, which a float would have rounded.
    expect(chunks.map((c) => (c.kind === 'range' ? [c.lower, c.upper] : []))).toEqual([
      [String(min), String(min + 4n)],
      [String(min + 4n), String(min + 17n)],
      [String(min + 17n), String(min + 30n)],
    ]);
  });

  it('never cuts twice at one key: a single hot key gives fewer chunks, not empty ones', () => {
    const chunks = planBalancedChunks(bounds(1, 3), { method: 'statistics', points: [{ key: '2', weight: 1 }] }, 10);
    const ranges = chunks.filter((c): c is Range => c.kind === 'range');
    expect(ranges.length).toBeLessThan(10);
    expect(new Set(ranges.map((r) => r.lower)).size).toBe(ranges.length);
  });

  it('falls back to equal widths without points, and plans nothing but NULLs for an empty table', () => {
    expect(planBalancedChunks(bounds(0, 99), { method: 'sample', points: [] }, 4)).toEqual(planChunks(bounds(0, 99), 4));
    expect(planBalancedChunks({ kind: 'integer', nullable: true, rowsEstimate: 0 }, { method: 'sample', points: [] }, 4)).toEqual([{ kind: 'nullKey' }]);
  });
});
