import { describe, expect, it } from 'vitest';
import { chooseSplitKey } from '../../src/copy/chooseSplitKey.js';
import { chunksForSize, sizeChunkCount } from '../../src/copy/chunkSizing.js';
import { sizeChunks } from '../../src/copy/chunkBudget.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { heavyLeadValues, planCompositeChunks } from '../../src/copy/planCompositeChunks.js';
import { planPageChunks } from '../../src/copy/planPageChunks.js';
import { tupleRangeConditions } from '../../src/sources/tupleRangeConditions.js';
import type { ChunkRange, Column, OutputType } from '../../src/spec/columns.js';
import type { CatalogIndex, TableCatalog } from '../../src/sources/sourceConnector.js';

const column = (name: string, kind: OutputType['kind'], nullable = false): Column => ({
  name, sourceType: kind, nullable, type: (kind === 'timestamp' ? { kind, utc: false } : kind === 'decimal' ? { kind, precision: 10, scale: 0 } : { kind }) as OutputType,
});
const index = (name: string, columns: string[], flags: Partial<CatalogIndex> = {}): CatalogIndex => ({ name, columns, primaryKey: false, clustered: false, unique: true, ...flags });
const catalog = (indexes: CatalogIndex[]): TableCatalog => ({ indexes, rows: 1000, bytes: 100_000 });

describe('chooseSplitKey', () => {
  const columns = [column('id', 'int64'), column('uid', 'uuid'), column('at', 'timestamp'), column('code', 'int32', true), column('tenant', 'int32'), column('seq', 'int64'), column('name', 'string')];

  it('takes the primary key when it leads with an integer, date or timestamp', () => {
    expect(chooseSplitKey(catalog([index('u_code', ['code']), index('pk', ['id'], { primaryKey: true })]), columns, { pagesSplit: true }))
      .toMatchObject({ source: 'primaryKey', columns: ['id'], index: 'pk' });
    expect(chooseSplitKey(catalog([index('pk', ['at'], { primaryKey: true })]), columns, { pagesSplit: false })).toMatchObject({ source: 'primaryKey', columns: ['at'] });
  });

  it('keeps the second column of a composite key only when both are NOT NULL and splittable', () => {
    expect(chooseSplitKey(catalog([index('pk', ['tenant', 'seq'], { primaryKey: true })]), columns, { pagesSplit: false }).columns).toEqual(['tenant', 'seq']);
    expect(chooseSplitKey(catalog([index('pk', ['tenant', 'name'], { primaryKey: true })]), columns, { pagesSplit: false }).columns).toEqual(['tenant']);
    // A nullable first column: NULL would fall outside every tuple range.
    expect(chooseSplitKey(catalog([index('u', ['code', 'seq'])]), columns, { pagesSplit: false }).columns).toEqual(['code']);
  });

  it('passes over a uuid primary key to the clustered index, then to a unique index, saying why', () => {
    const choice = chooseSplitKey(catalog([index('pk', ['uid'], { primaryKey: true }), index('u_code', ['code']), index('cx', ['at'], { clustered: true, unique: false })]), columns, { pagesSplit: false });
    expect(choice).toMatchObject({ source: 'clusteredIndex', columns: ['at'], index: 'cx' });
    expect(choice.reason).toMatch(/primary key "pk" leads with "uid" \(uuid\), not an integer, date or timestamp; clustered index "cx" leads with "at"/);
    expect(chooseSplitKey(catalog([index('pk', ['uid'], { primaryKey: true }), index('u_code', ['code'])]), columns, { pagesSplit: false }))
      .toMatchObject({ source: 'uniqueIndex', columns: ['code'], index: 'u_code' });
  });

  it('ignores a non-unique index that is not clustered', () => {
    expect(chooseSplitKey(catalog([index('ix', ['id'], { unique: false })]), columns, { pagesSplit: false }).source).toBe('none');
  });

  it('without a usable key: ctid pages where the engine has them, else one chunk', () => {
    expect(chooseSplitKey(catalog([]), columns, { pagesSplit: true })).toMatchObject({ source: 'ctid', columns: [] });
    expect(chooseSplitKey(catalog([index('pk', ['name'], { primaryKey: true })]), columns, { pagesSplit: false })).toMatchObject({ source: 'none', columns: [] });
  });

  it('splits a partitioned SQL Server table without a key by its partitions', () => {
    const partitioned = { ...catalog([]), partitioning: { function: 'pf_year', column: 'year', count: 4, largestRows: 10 } };
    expect(chooseSplitKey(partitioned, columns, { pagesSplit: false })).toMatchObject({ source: 'partitions', columns: [], reason: expect.stringMatching(/4 partitions of "year"/) });
    // A key still comes first; one partition is no split.
    expect(chooseSplitKey({ ...partitioned, indexes: [index('pk', ['id'], { primaryKey: true })] }, columns, { pagesSplit: false }).source).toBe('primaryKey');
    expect(chooseSplitKey({ ...partitioned, partitioning: { ...partitioned.partitioning, count: 1 } }, columns, { pagesSplit: false }).source).toBe('none');
  });

  it('does not split on a column whose type an override replaced', () => {
    const overridden = [{ ...column('id', 'int64'), override: { from: { kind: 'int64' } as OutputType } }];
    expect(chooseSplitKey(catalog([index('pk', ['id'], { primaryKey: true })]), overridden, { pagesSplit: false }).source).toBe('none');
  });
});

describe('the spec', () => {
  it('takes chunking without a column for a table, and refuses it for a query (no catalog to choose from)', () => {
    const base = { id: 'p', source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' }, output: { container: 'out' } };
    expect(pipelineSpecSchema.safeParse({ ...base, table: { name: 't' }, chunking: { targetChunkMB: 64 } }).success).toBe(true);
    const query = pipelineSpecSchema.safeParse({ ...base, query: 'SELECT 1 AS x', chunking: { targetChunkMB: 64 } });
    expect(query.success ? [] : query.error.issues.map((issue) => issue.path.join('.'))).toEqual(['chunking.column', 'chunking.targetChunkMB']);
  });
});

describe('sizeChunkCount', () => {
  it('keeps explicit settings: the spec count, and 8 on a named column without a size', () => {
    expect(sizeChunkCount({ column: 'id', chunks: 3 }, 1e12)).toMatchObject({ from: 'spec', chunks: 3 });
    expect(sizeChunkCount({ chunks: 5 }, 1e12)).toMatchObject({ from: 'spec', chunks: 5 });
    expect(sizeChunkCount({ column: 'id' }, 1e12)).toMatchObject({ from: 'namedKeyDefault', chunks: 8 });
  });

  it('divides the bytes to read by the target size (256 MB by default)', () => {
    expect(sizeChunkCount({}, 1024 * 1_048_576)).toMatchObject({ from: 'size', chunks: 4, targetChunkMB: 256 });
    expect(sizeChunkCount({ column: 'id', targetChunkMB: 0.5 }, 1_048_576 + 1)).toMatchObject({ from: 'size', chunks: 3 });
    expect(sizeChunkCount({}, 0).chunks).toBe(1);
    expect(chunksForSize(1e18, 1, 10_000)).toBe(10_000);
  });
});

describe('planPageChunks', () => {
  it('covers page 0 to the end with no gap: the last range has no end', () => {
    expect(planPageChunks(10, 3)).toEqual([{ kind: 'pages', from: 0, to: 3 }, { kind: 'pages', from: 3, to: 6 }, { kind: 'pages', from: 6 }]);
    expect(planPageChunks(2, 8)).toEqual([{ kind: 'pages', from: 0, to: 1 }, { kind: 'pages', from: 1 }]);
    expect(planPageChunks(0, 8)).toEqual([{ kind: 'all' }]);
    expect(planPageChunks(100, 1)).toEqual([{ kind: 'all' }]);
  });
});

/** Whether (a, b) falls in a tuple range, by the same rules tupleRangeConditions writes in SQL. */
function inRange(range: Extract<ChunkRange, { kind: 'tuple' }>, a: bigint, b: bigint): boolean {
  const values = [a, b];
  const compare = (index: 0 | 1, operator: string, digits: string) => {
    const x = values[index]!;
    const y = BigInt(digits);
    return operator === '>=' ? x >= y : operator === '>' ? x > y : operator === '<' ? x < y : x <= y;
  };
  // Evaluate the SQL text's structure: every condition must hold; `(p OR q)` is either.
  const results: boolean[] = [];
  const record = (index: 0 | 1, operator: '>=' | '>' | '<' | '<=', digits: string) => {
    results.push(compare(index, operator, digits));
    return `#${results.length - 1}`;
  };
  const conditions = tupleRangeConditions(range, record);
  return conditions.every((condition) => condition.split(' OR ').some((part) => results[Number(part.replace(/[()#]/g, ''))]));
}

describe('planCompositeChunks', () => {
  // Tenant 1 holds 90% of the rows (seq 1..900), tenants 2..11 the rest (10 rows each).
  const rows: Array<[bigint, bigint]> = [];
  for (let s = 1n; s <= 900n; s++) rows.push([1n, s]);
  for (let t = 2n; t <= 11n; t++) for (let s = 1n; s <= 10n; s++) rows.push([t, s * 7n]);
  const distribution = { method: 'sample' as const, points: rows.filter((_, i) => i % 5 === 0).map(([a]) => ({ key: String(a), weight: 1 })) };

  it('finds the heavy value of a skewed first column', () => {
    expect(heavyLeadValues(distribution, 8)).toEqual([{ key: '1', parts: 7 }]);
    expect(heavyLeadValues({ method: 'sample', points: [{ key: '1', weight: 1 }, { key: '2', weight: 1 }] }, 1)).toEqual([]);
  });

  it('cuts the heavy value by its second column, and every row lands in exactly one chunk', () => {
    const ranges = planCompositeChunks({ min: '1', max: '11' }, distribution, 8, [{ key: '1', parts: 7, second: { min: '1', max: '900' } }]);
    expect(ranges.length).toBeGreaterThanOrEqual(8);
    const tuple = ranges as Array<Extract<ChunkRange, { kind: 'tuple' }>>;
    expect(tuple[0]!.lower).toEqual(['1']);
    expect(tuple.at(-1)!.upper).toEqual(['11']);
    expect(tuple.at(-1)!.upperInclusive).toBe(true);
    // Contiguous: each lower bound is the previous upper.
    for (let i = 1; i < tuple.length; i++) expect(tuple[i]!.lower).toEqual(tuple[i - 1]!.upper);
    const counts = tuple.map((range) => rows.filter(([a, b]) => inRange(range, a, b)).length);
    for (const [a, b] of rows) expect(tuple.filter((range) => inRange(range, a, b)), `row (${a}, ${b})`).toHaveLength(1);
    // Tenant 1's 900 rows are spread over its 7 chunks, none holding more than about a seventh.
    expect(Math.max(...counts)).toBeLessThanOrEqual(130);
  });

  it('stays exact when the statistics are wrong: a heavy value gone, values never sampled', () => {
    const ranges = planCompositeChunks({ min: '1', max: '11' }, { method: 'sample', points: [{ key: '5', weight: 10 }] }, 4, [{ key: '5', parts: 4, second: undefined }]);
    const tuple = ranges as Array<Extract<ChunkRange, { kind: 'tuple' }>>;
    for (const [a, b] of rows) expect(tuple.filter((range) => inRange(range, a, b)), `row (${a}, ${b})`).toHaveLength(1);
  });
});

describe('tupleRangeConditions', () => {
  it('writes a composite range as seekable comparisons of each column', () => {
    const sql = tupleRangeConditions({ kind: 'tuple', lower: ['1', '10'], upper: ['2'], upperInclusive: false }, (index, operator, digits) => `${index === 0 ? 'a' : 'b'} ${operator} ${digits}`);
    expect(sql).toEqual(['a >= 1', '(a > 1 OR b >= 10)', 'a < 2']);
    expect(tupleRangeConditions({ kind: 'tuple', lower: ['1'], upper: ['1', '5'], upperInclusive: true }, (index, operator, digits) => `${index === 0 ? 'a' : 'b'} ${operator} ${digits}`))
      .toEqual(['a >= 1', 'a <= 1', '(a < 1 OR b <= 5)']);
  });
});

describe('one chunk for a table without a key', () => {
  it('is warned about when it would outlast the time budget, saying why there is no key', () => {
    const budget = sizeChunks({ specChunks: undefined, rowsEstimate: 40_000_000, throughput: { rowsPerSecond: 10_000, from: 'default' }, oneChunkAdvice: 'no split key: no primary key, clustered or unique index; the engine offers no physical split, so the table is one chunk' });
    expect(budget.chunks).toBe(1);
    expect(budget.warnings).toEqual([expect.stringMatching(/^The run is one chunk \(no split key: no primary key.*\) expected to take about 66\.7 minutes per chunk .*the budget is 27\.5 minutes/)]);
    expect(sizeChunks({ specChunks: undefined, rowsEstimate: 1_000, throughput: { rowsPerSecond: 10_000, from: 'default' }, oneChunkAdvice: 'x' }).warnings).toEqual([]);
  });
});
