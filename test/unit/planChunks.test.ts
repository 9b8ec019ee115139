import { describe, expect, it } from 'vitest';
import { planChunks } from '../../src/copy/planChunks.js';
import { seededRandom } from '../../src/sources/seededRandom.js';
import type { KeyBounds } from '../../src/sources/sourceConnector.js';
import type { ChunkRange } from '../../src/spec/columns.js';

type Range = Extract<ChunkRange, { kind: 'range' }>;

function bounds(min: string | undefined, max: string | undefined, nullable = false): KeyBounds {
  return { kind: 'integer', min, max, nullable, rowsEstimate: 0 };
}

function rangesOf(chunks: ChunkRange[]): Range[] {
  return chunks.filter((c): c is Range => c.kind === 'range');
}

/** Ranges are contiguous: first starts at min, each starts where the previous ends, only the last is closed. */
function expectContiguous(chunks: ChunkRange[], min: bigint, max: bigint): void {
  const ranges = rangesOf(chunks);
  expect(ranges.length).toBeGreaterThan(0);
  expect(BigInt(ranges[0]!.lower)).toBe(min);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.lower).toBe(ranges[i - 1]!.upper);
  ranges.forEach((r, i) => expect(r.upperInclusive).toBe(i === ranges.length - 1));
  expect(BigInt(ranges.at(-1)!.upper)).toBe(max);
  for (const r of ranges) expect(BigInt(r.lower) <= BigInt(r.upper)).toBe(true);
}

function contains(r: Range, v: bigint): boolean {
  const lower = BigInt(r.lower);
  const upper = BigInt(r.upper);
  return v >= lower && (r.upperInclusive ? v <= upper : v < upper);
}

describe('planChunks', () => {
  it('splits an evenly divisible span into equal half-open ranges, the last closed', () => {
    expect(planChunks(bounds('0', '99'), 4)).toEqual([
      { kind: 'range', lower: '0', upper: '25', upperInclusive: false },
      { kind: 'range', lower: '25', upper: '50', upperInclusive: false },
      { kind: 'range', lower: '50', upper: '75', upperInclusive: false },
      { kind: 'range', lower: '75', upper: '99', upperInclusive: true },
    ]);
  });

  it('splits an uneven span without gaps', () => {
    // span 10 in 3: boundaries at 0 + floor(10*1/3)=3 and 0 + floor(10*2/3)=6
    expect(planChunks(bounds('0', '9'), 3)).toEqual([
      { kind: 'range', lower: '0', upper: '3', upperInclusive: false },
      { kind: 'range', lower: '3', upper: '6', upperInclusive: false },
      { kind: 'range', lower: '6', upper: '9', upperInclusive: true },
    ]);
  });

  it('handles negative keys', () => {
    expect(planChunks(bounds('-10', '-1'), 2)).toEqual([
      { kind: 'range', lower: '-10', upper: '-5', upperInclusive: false },
      { kind: 'range', lower: '-5', upper: '-1', upperInclusive: true },
    ]);
  });

  it('returns exactly the requested count when the span allows', () => {
    const chunks = planChunks(bounds('1', '1000000'), 8);
    expect(chunks).toHaveLength(8);
    expectContiguous(chunks, 1n, 1_000_000n);
  });

  it('returns one range per key value when the span is smaller than the count', () => {
    expect(planChunks(bounds('1', '3'), 10)).toEqual([
      { kind: 'range', lower: '1', upper: '2', upperInclusive: false },
      { kind: 'range', lower: '2', upper: '3', upperInclusive: false },
      { kind: 'range', lower: '3', upper: '3', upperInclusive: true },
    ]);
  });

  it('returns a single closed range when min equals max', () => {
    expect(planChunks(bounds('42', '42'), 8)).toEqual([{ kind: 'range', lower: '42', upper: '42', upperInclusive: true }]);
  });

  it('returns a single closed range for a count of one', () => {
    expect(planChunks(bounds('-5', '5'), 1)).toEqual([{ kind: 'range', lower: '-5', upper: '5', upperInclusive: true }]);
  });

  it('covers the full signed 64-bit range exactly, with no precision loss', () => {
    expect(planChunks(bounds('-9223372036854775808', '9223372036854775807'), 4)).toEqual([
      { kind: 'range', lower: '-9223372036854775808', upper: '-4611686018427387904', upperInclusive: false },
      { kind: 'range', lower: '-4611686018427387904', upper: '0', upperInclusive: false },
      { kind: 'range', lower: '0', upper: '4611686018427387904', upperInclusive: false },
      { kind: 'range', lower: '4611686018427387904', upper: '9223372036854775807', upperInclusive: true },
    ]);
  });

  it('keeps exact digits near the 64-bit maximum', () => {
    const chunks = planChunks(bounds('9223372036854775800', '9223372036854775807'), 3);
    expectContiguous(chunks, 9223372036854775800n, 9223372036854775807n);
    expect(chunks).toHaveLength(3);
    // span 8 in 3: boundaries at +floor(8/3)=2 and +floor(16/3)=5
    expect(rangesOf(chunks).map((r) => r.lower)).toEqual(['9223372036854775800', '9223372036854775802', '9223372036854775805']);
  });

  it('adds a nullKey chunk last when the key is nullable', () => {
    expect(planChunks(bounds('0', '9', true), 2)).toEqual([
      { kind: 'range', lower: '0', upper: '5', upperInclusive: false },
      { kind: 'range', lower: '5', upper: '9', upperInclusive: true },
      { kind: 'nullKey' },
    ]);
  });

  it('plans nothing for an empty table', () => {
    expect(planChunks(bounds(undefined, undefined, false), 8)).toEqual([]);
  });

  it('plans only the nullKey chunk for an empty nullable table (or one with only NULL keys)', () => {
    expect(planChunks(bounds(undefined, undefined, true), 8)).toEqual([{ kind: 'nullKey' }]);
  });

  it('puts every integer of random small ranges in exactly one range', () => {
    const random = seededRandom(20261121);
    for (let trial = 0; trial < 150; trial++) {
      const min = BigInt(Math.floor(random() * 201) - 100);
      const span = BigInt(Math.floor(random() * 80) + 1);
      const max = min + span - 1n;
      const count = Math.floor(random() * 24) + 1;
      const nullable = random() < 0.5;
      const chunks = planChunks(bounds(String(min), String(max), nullable), count);
      const ranges = rangesOf(chunks);

      expect(ranges).toHaveLength(Number(span < BigInt(count) ? span : BigInt(count)));
      expect(chunks.filter((c) => c.kind === 'nullKey')).toHaveLength(nullable ? 1 : 0);
      expectContiguous(chunks, min, max);
      const problems: string[] = [];
      for (let v = min - 1n; v <= max + 1n; v++) {
        const hits = ranges.filter((r) => contains(r, v)).length;
        const expected = v < min || v > max ? 0 : 1;
        if (hits !== expected) problems.push(`value ${v} of [${min},${max}] in ${count} chunks is in ${hits} ranges`);
      }
      // no range is empty
      for (const r of ranges) {
        const nonEmpty = r.upperInclusive ? BigInt(r.upper) >= BigInt(r.lower) : BigInt(r.upper) > BigInt(r.lower);
        if (!nonEmpty) problems.push(`empty range ${JSON.stringify(r)}`);
      }
      expect(problems).toEqual([]);
    }
  });
});
