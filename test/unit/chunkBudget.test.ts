import { describe, expect, it } from 'vitest';
import { chunkBudgetSeconds, defaultRowsPerSecond, functionTimeoutMinutes, maxPlannedChunks, measuredRowsPerSecond, sizeChunks, type Throughput } from '../../src/copy/chunkBudget.js';
import { rowsToRead } from '../../src/orchestration/planRead.js';
import { chunkingSchema } from '../../src/spec/pipelineSpec.js';
import type { KeyBounds } from '../../src/sources/sourceConnector.js';
import type { CursorWindow } from '../../src/spec/cursorWindow.js';

const byDefault: Throughput = { rowsPerSecond: defaultRowsPerSecond, from: 'default' };
const measured = (rowsPerSecond: number): Throughput => ({ rowsPerSecond, from: 'lastSuccessfulRun', runId: 'r1' });

describe('sizeChunks', () => {
  it('budgets half of the 55-minute function timeout, and caps at the schema maximum of chunks', () => {
    expect(functionTimeoutMinutes).toBe(55);
    expect(chunkBudgetSeconds).toBe(27.5 * 60);
    const schemaMax = chunkingSchema.safeParse({ column: 'id', chunks: maxPlannedChunks + 1 });
    expect(schemaMax.success).toBe(false);
    expect(chunkingSchema.safeParse({ column: 'id', chunks: maxPlannedChunks }).success).toBe(true);
  });

  it("keeps the spec's chunks when each fits the budget (the small tables of the test suites)", () => {
    const budget = sizeChunks({ specChunks: 8, rowsEstimate: 1_000_000, throughput: byDefault });
    expect(budget).toMatchObject({ chunks: 8, warnings: [], throughputFrom: 'default', rowsPerSecond: defaultRowsPerSecond });
    expect(budget.expectedChunkSeconds).toBeCloseTo(1_000_000 / defaultRowsPerSecond / 8);
    // Never fewer than the spec asks for, however fast the copy.
    expect(sizeChunks({ specChunks: 64, rowsEstimate: 10, throughput: measured(1e9) }).chunks).toBe(64);
    // Nothing known of the size: nothing raised, nothing warned.
    expect(sizeChunks({ specChunks: 4, rowsEstimate: 0, throughput: byDefault })).toMatchObject({ chunks: 4, warnings: [] });
  });

  it('raises the chunks until each is expected to finish within the budget', () => {
    // 200M rows at 10,000 rows/s is 20,000 s: 8 chunks of 2,500 s each exceed 1,650 s.
    const budget = sizeChunks({ specChunks: 8, rowsEstimate: 200_000_000, throughput: byDefault });
    expect(budget.chunks).toBe(Math.ceil(20_000 / chunkBudgetSeconds));
    expect(budget.chunks).toBe(13);
    expect(budget.expectedChunkSeconds).toBeLessThanOrEqual(chunkBudgetSeconds);
    expect(budget.warnings).toEqual([]);
  });

  it('uses the measured throughput over the default', () => {
    const slow = sizeChunks({ specChunks: 8, rowsEstimate: 200_000_000, throughput: measured(1_000) });
    expect(slow).toMatchObject({ chunks: 122, throughputFrom: 'lastSuccessfulRun', throughputRunId: 'r1', rowsPerSecond: 1_000 });
    const fast = sizeChunks({ specChunks: 8, rowsEstimate: 200_000_000, throughput: measured(250_000) });
    expect(fast.chunks).toBe(8);
  });

  it('stops at 10,000 chunks and warns when even they would outlast the budget', () => {
    const budget = sizeChunks({ specChunks: 8, rowsEstimate: 1e12, throughput: byDefault });
    expect(budget.chunks).toBe(maxPlannedChunks);
    expect(budget.warnings).toHaveLength(1);
    expect(budget.warnings[0]).toMatch(/^Even 10,000 chunks leave about 166\.7 minutes per chunk \(1,000,000,000,000 rows at 10,000 rows\/s, the default throughput\); the budget is 27\.5 minutes, half of the 55-minute function timeout/);
    expect(budget.warnings[0]).toMatch(/incremental/);
  });

  it('warns when a pipeline without chunking is expected to take longer than the budget, and keeps one chunk', () => {
    const budget = sizeChunks({ specChunks: undefined, rowsEstimate: 50_000_000, throughput: measured(20_000) });
    expect(budget.chunks).toBe(1);
    expect(budget.warnings).toEqual([expect.stringMatching(/^The run is one chunk \(no chunking\) expected to take about 41\.7 minutes per chunk \(50,000,000 rows at 20,000 rows\/s, as the last successful run copied\); the budget is 27\.5 minutes.*Add chunking/)]);
    expect(sizeChunks({ specChunks: undefined, rowsEstimate: 1_000_000, throughput: measured(20_000) }).warnings).toEqual([]);
  });

  it('takes a budget given to it (a shorter one binds sooner)', () => {
    expect(sizeChunks({ specChunks: 2, rowsEstimate: 600, throughput: measured(10), budgetSeconds: 10 }).chunks).toBe(6);
  });
});

describe('measuredRowsPerSecond', () => {
  it('divides the rows by the time the finishing attempts took, skipping chunks without both times', () => {
    expect(measuredRowsPerSecond([
      { rows: 1_000, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z' },
      { rows: 3_000, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:03.000Z' },
      { rows: 5_000, startedAt: '2026-01-01T00:00:00.000Z' },
    ])).toBe(1_000);
  });

  it('tells nothing without rows or time', () => {
    expect(measuredRowsPerSecond([])).toBeUndefined();
    expect(measuredRowsPerSecond([{ rows: 0, startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:05Z' }])).toBeUndefined();
    expect(measuredRowsPerSecond([{ rows: 10, startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:00Z' }])).toBeUndefined();
  });
});

describe('rowsToRead', () => {
  const table: KeyBounds = { kind: 'integer', min: '1', max: '1000', nullable: false, rowsEstimate: 1_000_000 };
  const window = (after: string | undefined): CursorWindow => ({ column: 'id', kind: 'integer', mode: 'incremental', after, upTo: '1000' });

  it("is the table's estimate for a full run", () => {
    expect(rowsToRead(table, table, undefined, false, {})).toBe(1_000_000);
  });

  it("narrows to the window's share of the key range when an incremental run splits on its cursor", () => {
    expect(rowsToRead(table, { ...table, min: '901', max: '1000' }, window('900'), true, {})).toBe(100_000);
    expect(rowsToRead(table, { ...table, min: undefined, max: undefined }, window('1000'), true, {})).toBe(0);
  });

  it('is what the last successful run read when an incremental run splits on another column', () => {
    expect(rowsToRead(table, table, window('900'), false, { lastRows: 1_234 })).toBe(1_234);
    expect(rowsToRead(table, table, window('900'), false, {})).toBe(1_000_000);
    expect(rowsToRead(table, table, window(undefined), false, { lastRows: 1_234 })).toBe(1_000_000);
  });
});
