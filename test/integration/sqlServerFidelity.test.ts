import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { newRunId } from '../../src/jobs/runId.js';
import { copyChunkActivity } from '../../src/orchestration/copyChunkActivity.js';
import { finalizeRun } from '../../src/orchestration/finalizeRun.js';
import { prepareRun } from '../../src/orchestration/prepareRun.js';
import { getServices } from '../../src/services.js';
import type { OutputType } from '../../src/spec/columns.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { RunStatus } from '../../src/spec/runStatus.js';
import { allFormats, expectSameValue, readBackRows, runPipeline } from '../support/readBack.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { everyTypeColumns, everyTypeRows, expectedRows, wallMicros } from '../support/tds-server/everyType.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * Every SQL Server type, at its extremes, copied through the functions (HTTP API, queue,
 * orchestrator, activities) from the TDS test double (or a real SQL Server, SIPHON_TEST_MSSQL) to
 * every format and compression; DuckDB reads the manifest's files and each value must equal what
 * the source holds. datetime2(7), time(7) and datetimeoffset(7) lose their 100 ns digit, as the
 * README documents; a datetimeoffset is its UTC instant plus `<name>_offset_minutes` in Parquet
 * and its wall clock with the offset in CSV and JSON Lines.
 */
let env: TestEnvironment<TestSqlServer & { url: string; drop: () => Promise<void> }>;
const expected = expectedRows();

/** `2024-05-01 15:30:00.1234567 +05:30` -> `2024-05-01T15:30:00.123456+05:30`, by hand. */
function offsetText(literal: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d\d:\d\d)$/.exec(literal)!;
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(7, '0').slice(0, 6)}${m[4]}`;
}

beforeAll(async () => {
  env = await startTestEnvironment('mssql_fidelity', async (sql) => {
    await sql.createTable({ name: 'every_type', columns: everyTypeColumns }, everyTypeRows);
    await sql.createTable({
      name: 'awkward',
      columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'd', type: 'decimal(38,10)' }, { name: 'tm', type: 'time(7)' }, { name: 'f', type: 'float' }, { name: 'dt', type: 'datetime' }, { name: 'u', type: 'uniqueidentifier' }],
    }, [
      ['1', '12345678901234567890.1250000000', '13:45:00.1234567', '0.1', '2024-05-01 15:30:00.123', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'],
      ['2', '-0.0050000000', '00:00:00', '-1234.56785', '1753-01-01 00:00:00', null],
      ['3', null, null, null, null, null],
    ]);
    await sql.createTable({ name: 'many', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'amount', type: 'decimal(18,4)' }, { name: 'at', type: 'datetimeoffset(7)' }] }, []);
    await sql.generateRows('many', 60_000, [
      { pg: 'n', tsql: 'n' },
      { pg: `(n * 1.0001)::numeric(18,4)`, tsql: 'CAST(n * 1.0001 AS decimal(18,4))' },
      { pg: `to_char(timestamp '2024-01-01' + n * interval '1 second', 'YYYY-MM-DD HH24:MI:SS') || '.1234567 +05:30'`, tsql: `TODATETIMEOFFSET(DATEADD(SECOND, n, CAST('2024-01-01T00:00:00.1234567' AS datetime2(7))), '+05:30')` },
    ]);
  }, { createDatabase: createTestSqlServer });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const source = () => ({ engine: 'sqlserver', connectionSetting: testSourceSetting, ...env.database.source });

describe('every SQL Server type in every format', () => {
  it.each(allFormats)('copies every value exactly to $format ($compression)', async ({ format, compression }) => {
    const finished = await runPipeline(env, {
      id: `mssql-types-${format}-${compression}`,
      source: source(),
      table: { schema: env.database.schema, name: 'every_type' },
      chunking: { column: 'id', chunks: 2 },
      // The exact encodings (see expectExactCopy); the default readers' are held by deltaLake.test.ts.
      output: { container: 'fidelity', format, compression, readers: ['exact'] },
    });
    const { manifest } = finished;
    expect(manifest.rows).toBe(expected.length);
    const types = Object.fromEntries(manifest.columns.map((column) => [column.name, column.type])) as Record<string, OutputType>;
    expect(types).toMatchObject({ dec38: { kind: 'decimal', precision: 38, scale: 10 }, m: { kind: 'decimal', precision: 19, scale: 4 }, bi: { kind: 'int64' }, dto: { kind: 'timestampOffset' }, dt2: { kind: 'timestamp', utc: false }, u: { kind: 'uuid' } });
    const actual = await readBackRows(env, finished, 'id');
    expect(actual).toHaveLength(expected.length);
    for (const [r, row] of expected.entries()) {
      for (const column of manifest.columns) {
        const where = `${format}/${compression} row id=${String(row.id)} column ${column.name}`;
        const value = row[column.name];
        if (column.type.kind !== 'timestampOffset') {
          expectSameValue(actual[r]![column.name], value, column.type, where);
          continue;
        }
        const literal = everyTypeRows[r]![everyTypeColumns.findIndex((c) => c.name === column.name)] as string | null;
        if (format === 'parquet') {
          const offset = value as { micros: bigint; offsetMinutes: number } | null;
          expect(actual[r]![column.name], where).toEqual(offset?.micros ?? null);
          expect(actual[r]![`${column.name}_offset_minutes`], where).toEqual(offset?.offsetMinutes ?? null);
        } else {
          expect(actual[r]![column.name], where).toEqual(literal === null ? null : offsetText(literal));
        }
      }
    }
  });

  it('keeps datetime2(7) to the microsecond at both ends of its range, and the offsets of datetimeoffset', () => {
    // The expectations above come from these: the 100 ns digit is cut, not rounded into the next second.
    expect(expected[1]!.dt2).toBe(wallMicros('9999-12-31 23:59:59.999999'));
    expect(expected[0]!.dt2).toBe(wallMicros('0001-01-01 00:00:00'));
    expect(expected.slice(0, 4).map((row) => (row.dto as { offsetMinutes: number }).offsetMinutes)).toEqual([-480, 840, 330, -480]);
  });
});

describe('a connection dropped in the middle of a chunk', () => {
  it.skipIf(!!process.env.SIPHON_TEST_MSSQL)('fails the chunk, and its retry writes every row exactly once', async () => {
    const services = await getServices();
    const pipelineId = 'mssql-dropped';
    const spec = pipelineSpecSchema.parse({
      id: pipelineId,
      source: source(),
      table: { schema: env.database.schema, name: 'many' },
      chunking: { column: 'id', chunks: 1, maxParallel: 1 },
      // Several files per chunk, so the failed attempt leaves some behind for the retry to overwrite.
      output: { container: 'dropped', format: 'parquet', maxRowsPerFile: 10_000, rowGroupRows: 5_000 },
    });
    const created = await services.pipelines.create(spec, new Date());
    const runId = newRunId(new Date());
    // The run record alone, without a job message: this test plays the orchestrator itself.
    await services.runs.create({ pipelineId, pipelineGeneration: created!.generation, runId, status: RunStatus.queued, reason: 'manual', options: {}, attempt: 0, requestedAt: new Date().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0 });
    const plan = await prepareRun(services, { pipelineId, runId });
    expect(plan.chunkCount).toBe(1);

    env.database.server!.dropConnectionAfterRows(35_000, /many/);
    const failed = await copyChunkActivity(services, { pipelineId, runId, chunk: 0 }).then(() => undefined, (err: unknown) => err as Error);
    expect(failed).toBeInstanceOf(Error);
    expect(failed).not.toBeInstanceOf(NonRetryableError);
    expect(failed!.message).toContain(env.database.label);

    const retried = await copyChunkActivity(services, { pipelineId, runId, chunk: 0 });
    expect(retried).toMatchObject({ outcome: 'done', rows: 60_000 });
    await finalizeRun(services, { pipelineId, runId });
    const run = await services.runs.get(pipelineId, runId);
    const manifest = await readManifest(env.azurite.connectionString, run!.manifestPath!);
    expect(manifest.rows).toBe(60_000);
    const [counts] = await queryManifestFiles(env.azurite.connectionString, 'dropped', manifest, 'SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM {files}');
    expect(counts).toEqual({ n: '60000', ids: '60000', lo: 0, hi: 59999 });
  });
});

describe('columnTypes on SQL Server', () => {
  it('reads overridden columns as the server\'s text and writes the override, rounding only as asked', async () => {
    const finished = await runPipeline(env, {
      id: 'mssql-awkward',
      source: source(),
      table: { schema: env.database.schema, name: 'awkward' },
      columnTypes: { d: { type: 'decimal(22,2)', rounding: 'halfUp' }, tm: 'string', f: { type: 'decimal(12,4)', rounding: 'halfEven' }, dt: 'string', u: 'string' },
      output: { container: 'fidelity', format: 'csv' },
    });
    const types = Object.fromEntries(finished.manifest.columns.map((column) => [column.name, column.type]));
    expect(types).toEqual({ id: { kind: 'int32' }, d: { kind: 'decimal', precision: 22, scale: 2 }, tm: { kind: 'string' }, f: { kind: 'decimal', precision: 12, scale: 4 }, dt: { kind: 'string' }, u: { kind: 'string' } });
    const rows = await readBackRows(env, finished, 'id');
    expect(rows.map((row) => [row.d, row.tm, row.f, row.dt, row.u])).toEqual([
      ['12345678901234567890.13', '13:45:00.1234567', '0.1000', '2024-05-01 15:30:00.123', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'],
      ['-0.01', '00:00:00.0000000', '-1234.5678', '1753-01-01 00:00:00.000', null],
      [null, null, null, null, null],
    ]);
  });
});
