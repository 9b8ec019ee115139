import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { waitFor } from '../support/waitFor.js';
import { PostgresConnector } from '../../src/sources/postgres/postgresConnector.js';
import { planBalancedChunks } from '../../src/copy/planBalancedChunks.js';
import { planChunks } from '../../src/copy/planChunks.js';
import type { KeyDistribution, ReadTarget } from '../../src/sources/sourceConnector.js';
import type { ChunkRange } from '../../src/spec/columns.js';

/**
 * A key where 90% of the rows sit in the lowest 10% of its range: chunks cut from PostgreSQL's
 * statistics (or a sample when there are none) must hold the largest chunk within 1.5x the
 * median, where equal-width chunks are far worse. Rows per chunk are counted by PostgreSQL.
 */
const rowCount = 200_000;
const chunkCount = 8;

let db: TestDatabase;
let connector: PostgresConnector;
const table: ReadTarget = { kind: 'table', table: { schema: 'public', name: 'skewed' } };
const sampled = new Map<string, KeyDistribution>();

beforeAll(async () => {
  db = await createTestDatabase('balance');
  // Autovacuum off so the test decides when statistics exist.
  await db.query(`CREATE TABLE skewed (id bigint PRIMARY KEY, k bigint, at timestamptz) WITH (autovacuum_enabled = false)`);
  await db.query(`
    INSERT INTO skewed
    SELECT i,
           CASE WHEN i % 50 = 0 THEN NULL WHEN i <= ${rowCount * 0.9} THEN (i * 7919) % 1000000 ELSE 1000000 + (i * 7919) % 9000000 END,
           timestamptz '2020-01-01' + CASE WHEN i <= ${rowCount * 0.9} THEN (i % 36500) * interval '1 second' ELSE (i % 3285) * interval '1 day' END
      FROM generate_series(1, ${rowCount}) i`);
  connector = await PostgresConnector.connect(db.url);
  // Sampled before any ANALYZE, while the table has no statistics.
  for (const [column, kind] of [['k', 'integer'], ['at', 'timestamptz']] as const) sampled.set(column, await connector.keyDistribution(table, column, kind, 10_000));
});

afterAll(async () => {
  await connector?.close();
  await db?.drop();
});

/** Rows per range chunk, counted by the server with the chunk's own bounds. */
async function rowsPerChunk(column: string, chunks: ChunkRange[], kind: 'integer' | 'timestamptz'): Promise<number[]> {
  const value = (n: number) => (kind === 'integer' ? `$${n}::bigint` : `timestamptz 'epoch' + $${n}::bigint * interval '1 microsecond'`);
  const counts: number[] = [];
  for (const chunk of chunks) {
    if (chunk.kind !== 'range') continue;
    const [row] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM skewed WHERE ${column} >= ${value(1)} AND ${column} ${chunk.upperInclusive ? '<=' : '<'} ${value(2)}`, [chunk.lower, chunk.upper]);
    counts.push(Number(row!.n));
  }
  return counts;
}

const ratio = (counts: number[]) => Math.max(...counts) / [...counts].sort((a, b) => a - b)[Math.floor(counts.length / 2)]!;

async function tableStatistics(): Promise<{ inserted: number; modified: number }> {
  const [row] = await db.query<{ inserted: number; modified: number }>(`SELECT n_tup_ins::float8 AS inserted, n_mod_since_analyze::float8 AS modified FROM pg_stat_user_tables WHERE relname = 'skewed'`);
  return row ?? { inserted: 0, modified: -1 };
}

describe.each([
  { column: 'k', kind: 'integer' as const },
  { column: 'at', kind: 'timestamptz' as const },
])('chunk balance on the skewed key $column', ({ column, kind }) => {
  it('is within 1.5x of the median from a sample before ANALYZE, and from statistics after', async () => {
    const bounds = await connector.keyBounds(table, column);
    expect(bounds.kind).toBe(kind);

    const sample = sampled.get(column)!;
    expect(sample.method).toBe('sample');
    const fromSample = await rowsPerChunk(column, planBalancedChunks(bounds, sample, chunkCount), kind);

    // PostgreSQL counts a session's inserts lazily (up to a second after its commit): counted after
    // the ANALYZE, the loader's rows would make fresh statistics look stale and the connector
    // would rightly sample instead. Let the counts land, analyze, and wait until the view shows it.
    await db.query('SELECT pg_stat_force_next_flush()');
    await waitFor(() => tableStatistics(), (stats) => stats.inserted >= rowCount, 'the loader\'s inserts to be counted');
    await db.query('ANALYZE skewed');
    await waitFor(() => tableStatistics(), (stats) => stats.modified === 0, 'ANALYZE to show in the table statistics');
    const statistics = await connector.keyDistribution(table, column, kind, 10_000);
    expect(statistics.method).toBe('statistics');
    const fromStatistics = await rowsPerChunk(column, planBalancedChunks(bounds, statistics, chunkCount), kind);

    const equalWidth = await rowsPerChunk(column, planChunks(bounds, chunkCount), kind);
    const nonNull = column === 'k' ? rowCount - rowCount / 50 : rowCount;
    for (const counts of [fromSample, fromStatistics, equalWidth]) expect(counts.reduce((a, b) => a + b, 0)).toBe(nonNull);

    expect(fromSample).toHaveLength(chunkCount);
    expect(fromStatistics).toHaveLength(chunkCount);
    expect(ratio(fromSample)).toBeLessThanOrEqual(1.5);
    expect(ratio(fromStatistics)).toBeLessThanOrEqual(1.5);
    expect(ratio(equalWidth)).toBeGreaterThan(5);
  });
});

it('falls back to a sample when statistics are stale (a tenth of the table changed since ANALYZE)', async () => {
  await db.query('ANALYZE skewed');
  await db.query(`UPDATE skewed SET k = k WHERE id <= ${rowCount * 0.2}`);
  // The statistics collector reports modifications asynchronously; wait until it has.
  for (let i = 0; i < 50; i++) {
    const [row] = await db.query<{ n: string }>(`SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables WHERE relname = 'skewed'`);
    if (Number(row!.n) > rowCount * 0.1) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect((await connector.keyDistribution(table, 'k', 'integer', 10_000)).method).toBe('sample');
});

it('samples a query target, which has no statistics of its own', async () => {
  const query: ReadTarget = { kind: 'query', sql: 'SELECT id, k FROM skewed WHERE k IS NOT NULL' };
  const distribution = await connector.keyDistribution(query, 'k', 'integer', 5_000);
  expect(distribution.method).toBe('sample');
  expect(distribution.points.length).toBeGreaterThan(2_000);
  expect(distribution.points.length).toBeLessThan(10_000);
});
