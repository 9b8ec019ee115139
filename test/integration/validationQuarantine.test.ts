import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readBackRows, runPipeline } from '../support/readBack.js';
import { waitFor } from '../support/waitFor.js';
import { getServices } from '../../src/services.js';
import { copyChunk } from '../../src/copy/copyChunk.js';
import { runPathsFor } from '../../src/sink/blobPaths.js';
import { schemaVersionOf } from '../../src/sink/schemaVersion.js';
import { readTargetOf } from '../../src/sources/readTarget.js';
import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { useTelemetryExporter, customEventNameAttribute } from '../../src/observability/telemetry.js';

/**
 * Declared validation with quarantine (issue 18, points 3 and 4): 300 good rows and planted bad
 * rows of every rule; the good rows must be in the output and the bad ones in `_quarantine/`,
 * both read back by DuckDB, adding up to the source's count.
 */
let env: TestEnvironment;
let scratch: string;
// The runs' run events as Application Insights would get them (issue 19, point 5): the local
// runtime runs in this process, so its activities emit into this exporter.
const telemetry = new InMemoryLogRecordExporter();
let stopTelemetry: (() => Promise<void>) | undefined;

const rules = {
  code: { notNull: true, pattern: '^[A-Z]{3}-[0-9]{3}$' },
  // 1000.50 passes, 1000.51 does not: a float would not tell them apart at larger scales, exact compare does.
  amount: { min: '0.00', max: '1000.50' },
  qty: { min: 1, max: 100 },
  status: { allowedValues: ['new', 'paid', 'shipped'] },
  note: { maxLength: 10 },
  day: { min: '2020-01-01' },
  at: { max: '2030-01-01T00:00:00Z' },
};

/** id -> the rules it breaks (column.rule). */
const planted: Record<number, string[]> = {
  1001: ['code.notNull'],
  1002: ['code.pattern'],
  1003: ['amount.min'],
  1004: ['amount.max'],
  1005: ['qty.min'],
  1006: ['qty.max'],
  1007: ['status.allowedValues'],
  1008: ['note.maxLength'],
  1009: ['day.min'],
  1010: ['at.max'],
  1011: ['code.pattern', 'qty.max', 'note.maxLength'],
};

const pipeline = (id: string, validation: Record<string, unknown>) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'orders' },
  chunking: { column: 'id', chunks: 2, maxParallel: 2, strategy: 'equalWidth' },
  output: { container: 'quality' },
  validation,
});

beforeAll(async () => {
  stopTelemetry = await useTelemetryExporter(telemetry);
  scratch = mkdtempSync(join(tmpdir(), 'siphon-quarantine-'));
  env = await startTestEnvironment('quarantine', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, code text, amount numeric(12,2), qty int, status text, note text, day date, at timestamptz(6), flag boolean)`);
    // Good rows: every value inside every rule, the bounds themselves included (amount 1000.50 at id 300).
    await db.query(`INSERT INTO orders SELECT g, 'ABC-' || lpad((g % 1000)::text, 3, '0'), CASE WHEN g = 300 THEN 1000.50 ELSE g * 1.25 END,
      1 + g % 100, (ARRAY['new','paid','shipped'])[1 + g % 3], 'n' || g, DATE '2020-01-01' + g, TIMESTAMPTZ '2024-05-01 00:00:00+00' + g * interval '1 hour', g % 2 = 0
      FROM generate_series(1, 300) g`);
    await db.query(`INSERT INTO orders VALUES
      (1001, NULL,      10.00, 5,   'new',     'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1002, 'abc-123', 10.00, 5,   'new',     'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1003, 'ABC-123', -0.01, 5,   'new',     'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1004, 'ABC-123', 1000.51, 5, 'new',     'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1005, 'ABC-123', 10.00, 0,   'new',     'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1006, 'ABC-123', 10.00, 101, 'new',     'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1007, 'ABC-123', 10.00, 5,   'lost',    'ok', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1008, 'ABC-123', 10.00, 5,   'new',     'far too long', '2024-01-01', '2024-01-01 00:00:00+00', true),
      (1009, 'ABC-123', 10.00, 5,   'new',     'ok', '2019-12-31', '2024-01-01 00:00:00+00', true),
      (1010, 'ABC-123', 10.00, 5,   'new',     'ok', '2024-01-01', '2030-01-01 00:00:00.000001+00', NULL),
      (1011, 'x',       10.00, 500, 'shipped', 'also too long', '2024-01-01', '2024-01-01 00:00:00+00', false)`);
  });
});

afterAll(async () => {
  await stopTelemetry?.();
  await env?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function container(): ContainerClient {
  return BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('quality');
}

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container().listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

/** The quarantine files' rows as DuckDB reads the downloaded gzip JSON Lines. */
async function readQuarantine(paths: string[]): Promise<Record<string, unknown>[]> {
  const local = await Promise.all(paths.map(async (path, index) => {
    const file = join(scratch, `${index}-${path.split('/').pop()}`);
    writeFileSync(file, await container().getBlockBlobClient(path).downloadToBuffer());
    return file;
  }));
  const connection = await (await DuckDBInstance.create()).connect();
  const result = await connection.runAndReadAll(`SELECT runId, chunk, key, failures, "values" FROM read_json([${local.map((file) => `'${file}'`).join(', ')}], format = 'newline_delimited', compression = 'gzip', columns = {runId: 'VARCHAR', chunk: 'INTEGER', key: 'JSON', failures: 'JSON', "values": 'JSON'}) ORDER BY CAST(json_extract_string(key, '$.id') AS INTEGER)`);
  return result.getRowObjectsJson() as Record<string, unknown>[];
}

describe('validation with quarantine', () => {
  it('writes good rows to the output and bad rows, with their failed rules, to _quarantine/', async () => {
    const finished = await runPipeline(env, pipeline('orders-checked', { rules }));
    const { run, manifest } = finished;
    const sourceCount = Number((await env.database.query('SELECT count(*) AS n FROM orders'))[0]!.n);

    const good = await readBackRows(env, finished, 'id');
    expect(good.map((row) => row.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(manifest.rows).toBe(300);

    const quarantined = await readQuarantine(manifest.quarantine!.files.map((file) => file.path));
    expect(quarantined.length).toBe(Object.keys(planted).length);
    // Nothing lost: every source row is in exactly one of the two places.
    expect(good.length + quarantined.length).toBe(sourceCount);
    expect(manifest.quarantine!.rows).toBe(quarantined.length);
    expect(run.rowsRejected).toBe(quarantined.length);
    // The failed rules' summary adds up what the quarantine files say, a row under each rule it broke.
    const byRule = new Map<string, number>();
    for (const rules of Object.values(planted)) for (const rule of rules) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
    expect(Object.fromEntries((run.rejectedByRule as Array<{ column: string; rule: string; rows: number }>).map((count) => [`${count.column}.${count.rule}`, count.rows]))).toEqual(Object.fromEntries(byRule));
    expect(manifest.quarantine!.files.reduce((sum, file) => sum + file.rows, 0)).toBe(quarantined.length);
    for (const file of manifest.quarantine!.files) expect(file.path).toMatch(new RegExp(`/run=${run.runId}/_quarantine/part-0000${file.chunk}-0000\\.jsonl\\.gz$`));

    for (const row of quarantined) {
      const key = JSON.parse(String(row.key)) as Record<string, string>;
      const failures = JSON.parse(String(row.failures)) as Array<{ column: string; rule: string; message: string }>;
      expect(row.runId).toBe(run.runId);
      expect(failures.map((failure) => `${failure.column}.${failure.rule}`)).toEqual(planted[Number(key.id)]);
    }
    const byId = new Map(quarantined.map((row) => [JSON.parse(String(row.key)).id as string, { failures: JSON.parse(String(row.failures)), values: JSON.parse(String(row.values)) }]));
    // Every value in its exact text form, NULL as null.
    expect(byId.get('1010')!.values).toEqual({ id: '1010', code: 'ABC-123', amount: '10.00', qty: '5', status: 'new', note: 'ok', day: '2024-01-01', at: '2030-01-01T00:00:00.000001Z', flag: null });
    expect(byId.get('1004')!.failures).toEqual([{ column: 'amount', rule: 'max', message: '1000.51 is above the maximum 1000.50' }]);
    expect(byId.get('1001')!.failures).toEqual([{ column: 'code', rule: 'notNull', message: 'is NULL' }]);
    expect(byId.get('1007')!.failures[0].message).toBe('lost is not one of new, paid, shipped');
    expect(byId.get('1010')!.failures[0].message).toBe('2030-01-01T00:00:00.000001Z is above the maximum 2030-01-01T00:00:00Z');

    // The folder holds what the manifest lists: finalize's clean-up kept the quarantine files.
    const folder = manifest.quarantine!.files[0]!.path.split('/_quarantine/')[0]!;
    expect((await blobNames(`${folder}/_quarantine/`)).sort()).toEqual(manifest.quarantine!.files.map((file) => file.path).sort());
  });

  it('quarantines the same rows into the same file when a chunk is copied again', async () => {
    const services = await getServices();
    const [latest] = await services.runs.listByPipeline('orders-checked', 1);
    const stored = (await services.runs.get('orders-checked', latest!.runId))!;
    const chunk = (await services.chunks.get(stored.runId, 1))!;
    const before = await container().getBlockBlobClient(chunk.quarantine![0]!.path).downloadToBuffer();
    const source = await services.openSource(stored.spec!.source);
    try {
      const target = readTargetOf(stored.spec!);
      const again = await copyChunk(source, container(), {
        chunk: 1, range: chunk.range, target, output: stored.spec!.output, columns: stored.columns!, orderBy: stored.orderBy!, key: { column: 'id', kind: stored.keyKind! },
        paths: runPathsFor(stored.spec!.output, { pipelineId: 'orders-checked', runId: stored.runId, table: 'orders', schemaVersion: schemaVersionOf(stored.columns!) }),
        validation: stored.spec!.validation, runId: stored.runId,
      }, () => undefined);
      expect(again.quarantine).toEqual(chunk.quarantine);
      expect(again.rowsRejected).toBe(chunk.rowsRejected);
    } finally {
      await source.close();
    }
    const after = await container().getBlockBlobClient(chunk.quarantine![0]!.path).downloadToBuffer();
    expect(after.equals(before)).toBe(true);
  });

  it('fails the run before its manifest when more rows than allowed were rejected', async () => {
    for (const [id, limits, named] of [
      ['orders-strict-rows', { maxRejectedRows: 10 }, 'more than maxRejectedRows 10'],
      ['orders-strict-percent', { maxRejectedPercent: 3.5, maxRejectedRows: 11 }, 'more than maxRejectedPercent 3.5% (3.54%)'],
    ] as const) {
      const created = await env.api.post('/api/pipelines', pipeline(id, { rules, ...limits }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const runUrl = (await env.api.post(`/api/pipelines/${id}/runs`)).headers.get('location')!;
      const run = await env.api.waitForRun(runUrl);
      expect(run.status).toBe('failed');
      expect(run.error).toContain(`validation rejected 11 of 311 rows read, ${named}`);
      expect(run.manifestPath).toBeUndefined();
      expect(run.rowsRejected).toBe(11);
      // No manifest lists the quarantine files of a failed run: its cleanup deletes them with the rest.
      await waitFor(() => env.api.get(runUrl), (r) => r.body!.cleanedAt !== undefined, `${id}'s cleanup`);
      expect(await blobNames(`${id}/`)).toEqual([]);
    }
  });

  it('puts a Delta run\'s quarantine in its run folder beside the table, listed by its manifest', async () => {
    const { manifest } = await runPipeline(env, { ...pipeline('orders-delta', { rules }), output: { container: 'quality', format: 'delta' } });
    expect(manifest.rows).toBe(300);
    expect(manifest.quarantine!.rows).toBe(Object.keys(planted).length);
    for (const file of manifest.quarantine!.files) expect(file.path).toMatch(/^_siphon_runs\/orders-delta\/run=[^/]+\/_quarantine\/part-\d{5}-0000\.jsonl\.gz$/);
    const quarantined = await readQuarantine(manifest.quarantine!.files.map((file) => file.path));
    expect(quarantined.map((row) => Number(JSON.parse(String(row.key)).id))).toEqual(Object.keys(planted).map(Number));
  });

  it('sends each run\'s chunk, run and rejected-rows events with their dimensions and the invocation\'s operation id', async () => {
    const events = (runId: string) =>
      telemetry.getFinishedLogRecords()
        .filter((record) => record.attributes.runId === runId)
        .map((record: ReadableLogRecord) => ({
          name: record.attributes[customEventNameAttribute],
          dimensions: record.attributes,
          measurements: (record.body as { measurements: Record<string, number> }).measurements,
          traceId: record.spanContext?.traceId,
        }));
    const services = await getServices();
    const [checked] = await services.runs.listByPipeline('orders-checked', 1);
    const checkedEvents = events(checked!.runId);
    const chunks = checkedEvents.filter((e) => e.name === 'SiphonChunkCompleted');
    expect(chunks.map((e) => e.measurements.chunk).sort()).toEqual([0, 1]);
    // The source, not the writer, says how many rows were good: all of them but the planted ones.
    const good = Number((await env.database.query('SELECT count(*) AS n FROM orders'))[0]!.n) - Object.keys(planted).length;
    expect(chunks.reduce((sum, e) => sum + e.measurements.rows!, 0)).toBe(good);
    for (const e of chunks) {
      expect(e.dimensions).toMatchObject({ pipelineId: 'orders-checked', runId: checked!.runId, status: 'done' });
      expect(Object.keys(e.measurements).sort()).toEqual(['bytes', 'chunk', 'durationInMs', 'files', 'rows', 'rowsPerSecond']);
      expect(Object.values(e.measurements).every((value) => typeof value === 'number')).toBe(true);
    }
    const completed = checkedEvents.find((e) => e.name === 'SiphonRunCompleted')!;
    expect(completed.dimensions).toMatchObject({ pipelineId: 'orders-checked', status: 'succeeded' });
    expect(completed.measurements).toMatchObject({ rows: good, rowsRejected: Object.keys(planted).length });
    expect(checkedEvents.find((e) => e.name === 'SiphonRowsRejected')!.measurements).toEqual({ rowsRejected: Object.keys(planted).length });
    // Each invocation (activity) has its own W3C trace context, and each of its events carries it.
    for (const e of checkedEvents) expect(e.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(new Set(chunks.map((e) => e.traceId)).size).toBe(2);
    expect(chunks.map((e) => e.traceId)).not.toContain(completed.traceId);

    const [strict] = await services.runs.listByPipeline('orders-strict-rows', 1);
    const failed = events(strict!.runId).filter((e) => e.name === 'SiphonRunFailed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.dimensions.error)).toContain('more than maxRejectedRows 10');
    expect(failed[0]!.dimensions.status).toBe('failed');
  });

  it('refuses hostile validation specs with 400s naming the field', async () => {
    const badPattern = await env.api.post('/api/pipelines', pipeline('bad-pattern', { rules: { code: { pattern: '(a+' } } }));
    expect(badPattern.status).toBe(400);
    expect(JSON.stringify(badPattern.body)).toContain('validation.rules.code.pattern');
    expect(JSON.stringify(badPattern.body)).toContain('not a pattern re2 compiles');

    const misfit = await env.api.post('/api/pipelines?validateSource=true', pipeline('bad-rules', { rules: { nope: { notNull: true }, flag: { min: 0 }, qty: { pattern: '^1' } } }));
    expect(misfit.status).toBe(400);
    const errors = (misfit.body as { errors: Array<{ path: string; message: string }> }).errors;
    expect(errors).toEqual(expect.arrayContaining([
      { path: 'validation.rules.nope', message: 'validation names "nope", which Table public.orders does not read' },
      { path: 'validation.rules.flag.min', message: expect.stringContaining('min does not apply to a boolean') },
      { path: 'validation.rules.qty.pattern', message: expect.stringContaining('pattern applies to text only, not a int32') },
    ]));
    expect((await env.api.get('/api/pipelines/bad-rules')).status).toBe(404);
  });

  it('quarantines the second and later rows of a unique key within a chunk, NULL never a duplicate', async () => {
    // Chunk 0 holds ids 1..505 (ABC-123 once, at id 123), chunk 1 ids 506..1011: 1003..1010 all have
    // ABC-123, so 1004..1010 are duplicates of 1003 there; id 123 in chunk 0 is not seen from chunk 1.
    const finished = await runPipeline(env, pipeline('orders-unique', { unique: [['code']] }));
    const quarantined = await readQuarantine(finished.manifest.quarantine!.files.map((file) => file.path));
    expect(quarantined.map((row) => Number(JSON.parse(String(row.key)).id))).toEqual([1004, 1005, 1006, 1007, 1008, 1009, 1010]);
    expect(JSON.parse(String(quarantined[0]!.failures))).toEqual([{ column: 'code', rule: 'unique', message: 'duplicate key code = ABC-123: it first appeared earlier in the chunk' }]);
    const good = await readBackRows(env, finished, 'id');
    expect(good.length + quarantined.length).toBe(311);
    expect(good.filter((row) => row.code === 'ABC-123').map((row) => row.id)).toEqual([123, 1003]);
    expect(good.some((row) => row.id === 1001)).toBe(true);
    expect(finished.run.rowsRejected).toBe(7);
    expect(finished.run.rejectedByRule).toEqual([{ column: 'code', rule: 'unique', rows: 7 }]);
    // The run's files list its quarantine files, which the dashboard and `siphon runs get` show.
    const listed = await env.api.get(`/api/pipelines/orders-unique/runs/${finished.run.runId}/files`);
    expect(listed.body!.quarantine).toEqual({ rows: 7, files: finished.manifest.quarantine!.files.map(({ path, rows, bytes, chunk, md5 }) => ({ path, rows, bytes, chunk, md5 })) });

    const misfit = await env.api.post('/api/pipelines/validate', pipeline('bad-unique', { unique: [['code'], ['status', 'nope']] }));
    expect(misfit.status).toBe(200);
    expect(misfit.body).toMatchObject({ valid: false, refusals: [{ path: 'validation.unique[1]', reason: 'validation.unique[1] names "nope", which Table public.orders does not read' }] });
  });
});
