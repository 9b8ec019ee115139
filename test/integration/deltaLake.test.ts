import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { azuriteAccount } from '../../src/settings.js';
import { getServices, type Services } from '../../src/services.js';
import { newRunId } from '../../src/jobs/runId.js';
import { acquireRunLease, releaseRunLease } from '../../src/jobs/runLease.js';
import { RunStatus } from '../../src/spec/runStatus.js';
import { prepareRun } from '../../src/orchestration/prepareRun.js';
import { copyChunkActivity } from '../../src/orchestration/copyChunkActivity.js';
import { finalizeRun } from '../../src/orchestration/finalizeRun.js';
import { failRun } from '../../src/orchestration/failRun.js';
import { cleanupRun } from '../../src/orchestration/cleanupRun.js';
import { readDeltaTable } from '../../src/sink/delta/deltaLog.js';
import { deltaTableLayout } from '../../src/sink/delta/deltaPaths.js';
import { vacuumTable } from '../../src/sink/delta/vacuumTable.js';
import { commitToTable, type RunCommitRequest } from '../../src/sink/delta/commitToTable.js';
import { deltaFileStats } from '../../src/sink/delta/deltaStats.js';
import { ParquetFileWriter } from '../../src/formats/parquet/parquetFileWriter.js';
import type { Column } from '../../src/spec/columns.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { askPythonReader, azuriteStorageOptions } from '../support/pythonReader.js';

/**
 * Delta Lake output, read back by delta-rs (Python `deltalake`, pinned in
 * test/support/python-requirements.txt) straight from Azurite: every table the tests write must
 * open, and its version, schema, rows and values must be the source's. Expected values come from
 * PostgreSQL itself, in the exact text forms test/support/readDelta.py prints.
 */
type ColumnCase = { name: string; sql: string; expected: string; deltaType: string };

const exactMicros = (column: string) => `((extract(epoch from ${column}) * 1000000)::numeric(30,0))::text`;

const columns: ColumnCase[] = [
  { name: 'id', sql: 'int4 PRIMARY KEY', expected: 'id::text', deltaType: 'integer' },
  { name: 'i2', sql: 'int2', expected: 'i2::text', deltaType: 'short' },
  { name: 'i8', sql: 'int8', expected: 'i8::text', deltaType: 'long' },
  { name: 'dec38', sql: 'numeric(38,10)', expected: 'dec38::text', deltaType: 'decimal(38,10)' },
  { name: 'dec18', sql: 'numeric(18,4)', expected: 'dec18::text', deltaType: 'decimal(18,4)' },
  { name: 'dec9', sql: 'numeric(9,2)', expected: 'dec9::text', deltaType: 'decimal(9,2)' },
  { name: 'f4', sql: 'float4', expected: 'f4::text', deltaType: 'float' },
  { name: 'f8', sql: 'float8', expected: 'f8::text', deltaType: 'double' },
  { name: 'b', sql: 'bool', expected: 'b', deltaType: 'boolean' },
  { name: 't', sql: 'text', expected: 't', deltaType: 'string' },
  { name: 'js', sql: 'jsonb', expected: 'js::text', deltaType: 'string' },
  { name: 'u', sql: 'uuid', expected: 'u::text', deltaType: 'string' },
  { name: 'bin', sql: 'bytea', expected: "encode(bin, 'hex')", deltaType: 'binary' },
  { name: 'd', sql: 'date', expected: "d - DATE '1970-01-01'", deltaType: 'date' },
  { name: 'tm', sql: 'time(6)', expected: "to_char(tm, 'HH24:MI:SS.US')", deltaType: 'string' },
  { name: 'ts', sql: 'timestamp(6)', expected: exactMicros('ts'), deltaType: 'timestamp_ntz' },
  { name: 'tstz', sql: 'timestamptz(6)', expected: exactMicros('tstz'), deltaType: 'timestamp' },
  { name: 'm', sql: 'money', expected: 'm::numeric::text', deltaType: 'decimal(19,2)' },
  { name: 'arr', sql: 'int8[]', expected: 'to_json(arr)::text', deltaType: 'string' },
];

const extremes: Array<Array<string | Buffer | null>> = [
  ['1', '-32768', '-9223372036854775808', '-9999999999999999999999999999.9999999999', '-99999999999999.9999', '-9999999.99',
    '-3.4028235e38', '-1.7976931348623157e308', 'false', '', '{"a":[1,2,{"b":null}],"n":1e400}', '00000000-0000-0000-0000-000000000000', Buffer.alloc(0),
    '0001-01-01', '00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '-92233720368547758.08', '{}'],
  ['2', '32767', '9223372036854775807', '9999999999999999999999999999.9999999999', '99999999999999.9999', '9999999.99',
    '3.4028235e38', '1.7976931348623157e308', 'true', '🚀 rocket 👩‍👩‍👧 family 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文, a long text that goes on past thirty-two characters', '{"emoji":"👩‍👩‍👧"}', 'ffffffff-ffff-ffff-ffff-ffffffffffff', Buffer.from([0, 255, 0, 10]),
    '9999-12-31', '23:59:59.999999', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '92233720368547758.07', '{1,NULL,9223372036854775807}'],
  ['3', '0', '0', '0.0000000001', '-0.0001', '0.01', 'Infinity', 'NaN', 'true', ' quote " comma , newline \n end ', 'null',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', Buffer.from('binary'), '1970-01-01', '12:34:56.5', '2024-05-01 12:34:56.123456', '2024-05-01 12:34:56.654321+05:30', '0.00', '{-1}'],
  ['4', ...columns.slice(1).map(() => null)],
];

describe('Delta Lake tables, read by delta-rs', () => {
  let env: TestEnvironment;
  let container: ContainerClient;
  let expected: Array<Record<string, unknown>>;

  const read = (table: string, extra: Record<string, unknown> = {}) =>
    askPythonReader({ kind: 'delta', uri: `az://lake/${table}`, storage_options: azuriteStorageOptions(env.azurite.endpoints.blob, azuriteAccount), ...extra });

  beforeAll(async () => {
    env = await startTestEnvironment('delta', async (db) => {
      await db.query(`CREATE TABLE all_types (${columns.map((c) => `${c.name} ${c.sql}`).join(', ')})`);
      const casts = columns.map((c, i) => `$${i + 1}::${c.sql.replace(' PRIMARY KEY', '')}`);
      for (const row of extremes) await db.query(`INSERT INTO all_types VALUES (${casts.join(', ')})`, row);
      expected = await db.query(`SELECT ${columns.map((c) => `${c.expected} AS ${c.name}`).join(', ')} FROM all_types ORDER BY id`);
      // A few hundred rows over partitions whose values need escaping, NULL and the empty string among them.
      await db.query(`CREATE TABLE events (id int PRIMARY KEY, grp text, amount numeric(12,2), at timestamptz(6))`);
      await db.query(`CREATE TABLE odd_names (id int PRIMARY KEY, "unit price" numeric(10,2), f float8)`);
      // Accounts for merge: a clustered key, ten chunks, so ten files of 40 keys each.
      await db.query(`CREATE TABLE accounts (id int PRIMARY KEY, name text, balance numeric(12,2), updated_at timestamptz(6) NOT NULL)`);
      await db.query(`INSERT INTO accounts SELECT g, 'holder ' || g, g * 10, TIMESTAMPTZ '2024-01-01 00:00:00+00' FROM generate_series(1, 400) g`);
      await db.query(`INSERT INTO events SELECT g, (ARRAY['a', 'b b', 'x/y=z%:#', NULL, ''])[g % 5 + 1], g * 1.25, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 minute 0.000001 second' FROM generate_series(1, 300) g`);
    });
    container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('lake');
  });

  afterAll(async () => {
    await env?.stop();
  });

  /** Every blob under a prefix of the lake container. */
  const blobNames = async (prefix: string) => {
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
    return names.sort();
  };

  /**
   * A run driven activity by activity, as the orchestrator would, without the queue: so a test
   * can stop between the copy and the finalize (a crash), or finalize twice.
   */
  const startManualRun = async (services: Services, pipelineId: string) => {
    const runId = newRunId(services.now());
    const lease = await acquireRunLease(services, pipelineId, { runId, attempt: 0 });
    expect(lease.acquired).toBe(true);
    const pipeline = await services.pipelines.get(pipelineId);
    await services.runs.create({ pipelineId, pipelineGeneration: pipeline!.generation, runId, status: RunStatus.queued, reason: 'manual', options: {}, attempt: 0, requestedAt: services.now().toISOString(), rows: 0, bytes: 0, files: 0, chunksPlanned: 0 });
    const plan = await prepareRun(services, { pipelineId, runId });
    for (let chunk = 0; chunk < plan.chunkCount; chunk++) {
      const outcome = await copyChunkActivity(services, { pipelineId, runId, chunk });
      expect(outcome.outcome).toBe('done');
    }
    return runId;
  };

  const runOnce = async (id: string) => {
    const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
    return env.api.waitForRun(triggered.headers.get('location')!);
  };

  it('appends every type exactly, with the Delta types and protocol the table needs', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'all-types',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'all_types' },
      chunking: { column: 'id', chunks: 2 },
      output: { container: 'lake', format: 'delta' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await runOnce('all-types');
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('succeeded');
    const table = await read('all-types');
    expect(table.error).toBeUndefined();
    expect(table.version).toBe(0);
    expect(table.schema.fields.map((field: { name: string; type: string }) => [field.name, field.type])).toEqual(columns.map((c) => [c.name, c.deltaType]));
    expect(table.protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'] });
    const rows = [...table.rows].sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows.length).toBe(expected.length);
    rows.forEach((row, index) => expectRow(row, expected[index]!, `row ${index}`));
  });

  /** The events table as PostgreSQL has it now, in readDelta.py's forms. */
  const sourceEvents = () => env.database.query<Record<string, unknown>>(`SELECT id::text AS id, NULLIF(grp, '') AS grp, amount::text AS amount, ${exactMicros('at')} AS at FROM events ORDER BY events.id`);
  const sortedRows = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));

  it('overwrites a partitioned table in one commit, keeps the old version readable, and evolves the schema by added columns only', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'events',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'events' },
      chunking: { column: 'id', chunks: 3 },
      output: { container: 'lake', format: 'delta', mode: 'overwrite', partitionBy: ['grp'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await runOnce('events')).status).toBe('succeeded');
    const first = await sourceEvents();
    const v0 = await read('events');
    expect(v0.error).toBeUndefined();
    expect(v0.partitionColumns).toEqual(['grp']);
    expect(sortedRows(v0.rows)).toEqual(first);
    const v0Files = v0.files.length;
    // Four partition folders (NULL and '' share Hive's default one), three chunks: a file per chunk and folder.
    expect(v0Files).toBe(12);

    await env.database.query(`DELETE FROM events WHERE id > 250; UPDATE events SET amount = -amount WHERE id <= 10; ALTER TABLE events ADD COLUMN note text; UPDATE events SET note = 'n' || id WHERE id % 2 = 0`);
    expect((await runOnce('events')).status).toBe('succeeded');
    const v1 = await read('events');
    expect(v1.version).toBe(1);
    expect(v1.schema.fields.map((field: { name: string }) => field.name)).toEqual(['id', 'grp', 'amount', 'at', 'note']);
    const now = await env.database.query<Record<string, unknown>>(`SELECT id::text AS id, NULLIF(grp, '') AS grp, amount::text AS amount, ${exactMicros('at')} AS at, note FROM events ORDER BY events.id`);
    expect(sortedRows(v1.rows)).toEqual(now);
    // One commit: a remove per file of version 0, an add per file of the run.
    const log = await readDeltaTable(container, deltaTableLayout('{pipeline}', 'events', 'events'));
    const commit = log.commits[1]!.actions;
    expect(commit.filter((action) => action.remove).length).toBe(v0Files);
    expect(commit.filter((action) => action.add).length).toBe(v1.files.length);
    expect(commit.find((action) => action.metaData)).toBeDefined();
    // Time travel: version 0 still reads as the first run's rows (the old schema, without note).
    const old = await read('events', { version: 0 });
    expect(sortedRows(old.rows)).toEqual(first);

    // A column removed from the source: the run fails at prepare, naming it, before a file is written.
    await env.database.query(`ALTER TABLE events DROP COLUMN amount`);
    const failed = await runOnce('events');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/column "amount" of the table is not among the columns read/);
    expect((await blobNames('events/')).filter((name) => name.includes(failed.runId))).toEqual([]);
    expect((await read('events')).version).toBe(1);
    await env.database.query(`ALTER TABLE events ADD COLUMN amount numeric(12,2)`);
  });

  it('vacuums only files no version within the retention reads', async () => {
    const layout = deltaTableLayout('{pipeline}', 'events', 'events');
    const snapshot = await readDeltaTable(container, layout);
    const live = [...snapshot.files.keys()].map((path) => `events/${path}`);
    const removed = [...snapshot.tombstones.keys()].map((path) => `events/${path}`);
    expect(removed.length).toBe(12);
    // An orphan: a file no commit names, written just now.
    const orphan = 'events/grp=a/part-orphan.snappy.parquet';
    await container.getBlockBlobClient(orphan).upload('x', 1);

    // Within the retention nothing goes: the tombstones are younger than it, the orphan too.
    expect(await vacuumTable(container, layout, snapshot, { retentionHours: 168, now: new Date() })).toEqual([]);
    // Past it, the removed files and the orphan go; every file of the latest version stays.
    const later = new Date(Date.now() + 169 * 3_600_000);
    const deleted = await vacuumTable(container, layout, snapshot, { retentionHours: 168, now: later });
    expect(deleted.sort()).toEqual([...removed, orphan].sort());
    const left = await blobNames('events/');
    for (const file of live) expect(left).toContain(file);
    expect(left.filter((name) => name.includes('_delta_log/')).length).toBe(2);
    const latest = await read('events');
    expect(latest.version).toBe(1);
    expect(latest.numRows).toBe(250);
  });

  it('merges by key: rewrites only the file that holds the keys a run brings, in one commit with the run\'s rows', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'accounts',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'accounts' },
      incremental: { column: 'updated_at' },
      chunking: { column: 'id', chunks: 10, strategy: 'equalWidth' },
      output: { container: 'lake', format: 'delta', mode: 'merge', keys: ['id'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const accounts = () => env.database.query<Record<string, unknown>>(`SELECT id::text AS id, name, balance::text AS balance, ${exactMicros('updated_at')} AS updated_at FROM accounts ORDER BY accounts.id`);
    expect((await runOnce('accounts')).status).toBe('succeeded');
    const v0 = await read('accounts');
    expect(v0.files.length).toBe(10);
    expect(sortedRows(v0.rows)).toEqual(await accounts());

    // 1% of the keys change, all in one file's range; two keys are new.
    await env.database.query(`UPDATE accounts SET balance = -balance, name = 'changed', updated_at = TIMESTAMPTZ '2024-02-01 00:00:00+00' WHERE id BETWEEN 101 AND 104`);
    await env.database.query(`INSERT INTO accounts VALUES (401, 'new', 1, TIMESTAMPTZ '2024-02-01 00:00:00+00'), (402, 'newer', 2, TIMESTAMPTZ '2024-02-01 00:00:00+00')`);
    const run = await runOnce('accounts');
    expect(run.status).toBe('succeeded');
    expect(run.rows).toBe(6);
    const v1 = await read('accounts');
    expect(v1.version).toBe(1);
    expect(v1.history[0].operation).toBe('MERGE');
    expect(sortedRows(v1.rows)).toEqual(await accounts());
    // One file removed and rewritten without the four rows; the other nine untouched.
    const log = await readDeltaTable(container, deltaTableLayout('{pipeline}', 'accounts', 'accounts'));
    const actions = log.commits[1]!.actions;
    const removed = actions.filter((action) => action.remove).map((action) => action.remove!.path);
    expect(removed.length).toBe(1);
    const rewrites = actions.filter((action) => action.add && action.add.path.includes(`part-${run.runId}-m`));
    expect(rewrites.length).toBe(1);
    expect(JSON.parse(rewrites[0]!.add!.stats!)).toMatchObject({ numRecords: 36 });
    // The statistics kept the other nine from being read at all (keys 401 and 402 lie above every file's maximum).
    expect(actions.find((action) => action.commitInfo)!.commitInfo!.operationMetrics).toMatchObject({ numRewrittenFiles: '1', numRemovedFiles: '1', numTargetFilesExamined: '1' });
    expect(v1.files.length).toBe(10 + (actions.filter((action) => action.add).length - 1));
  });

  it('commits both of two writers racing for one version, at n and n + 1; an overwrite that loses the race removes what the winner added', async () => {
    const layout = deltaTableLayout('{pipeline}', 'race', 'race');
    const raceColumns: Column[] = [
      { name: 'id', sourceType: 'int4', nullable: false, type: { kind: 'int32' } },
      { name: 'v', sourceType: 'text', nullable: true, type: { kind: 'string' } },
    ];
    const stage = async (name: string, ids: number[]) => {
      const parts: Uint8Array[] = [];
      const writer = new ParquetFileWriter(raceColumns, 'snappy', async (bytes) => void parts.push(bytes.slice()));
      await writer.writeRows(ids.map((id) => [id, `v${id}`]));
      await writer.finish();
      const body = Buffer.concat(parts);
      await container.getBlockBlobClient(`race/${name}`).upload(body, body.length);
      return { path: `race/${name}`, rows: ids.length, bytes: body.length, partitionValues: {}, stats: deltaFileStats(ids.length, raceColumns, writer.statistics()), modificationTime: Date.now() };
    };
    const request = async (runId: string, ids: number[], extra: Partial<RunCommitRequest> = {}): Promise<RunCommitRequest> => ({
      layout, mode: 'append', partitionBy: [], retentionHours: 168, provenance: { pipelineId: 'race', runId, attempt: 0 }, readVersion: -1,
      writtenColumns: raceColumns, files: [await stage(`part-${runId}-c00000-0000.snappy.parquet`, ids)], now: () => new Date(), where: 'race', ...extra,
    });
    /** Lets both writers read the log before either writes: each then tries the same version. */
    const barrier = () => {
      let arrived = 0;
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return (delayInMs = 0) => async () => {
        if (++arrived === 2) open();
        await opened;
        await new Promise((resolve) => setTimeout(resolve, delayInMs));
      };
    };
    expect((await commitToTable(container, await request('r0', [1, 2]))).version).toBe(0);

    const both = barrier();
    const results = await Promise.all([commitToTable(container, await request('r1', [3], { beforeCommit: both() })), commitToTable(container, await request('r2', [4], { beforeCommit: both() }))]);
    expect(results.map((result) => result.version).sort()).toEqual([1, 2]);
    expect(results.every((result) => result.committedNow)).toBe(true);
    const appended = await read('race');
    expect(appended.version).toBe(2);
    expect(sortedRows(appended.rows).map((row) => row.id)).toEqual(['1', '2', '3', '4']);

    // The append wins version 3; the overwrite, planned on version 2, tries again on 3 and
    // removes every file there, the append's among them (as if it had come after it).
    const next = barrier();
    const [append, overwrite] = await Promise.all([
      commitToTable(container, await request('r3', [5], { beforeCommit: next() })),
      commitToTable(container, await request('r4', [6, 7], { mode: 'overwrite', beforeCommit: next(300) })),
    ]);
    expect([append.version, overwrite.version]).toEqual([3, 4]);
    expect(overwrite.removed).toBe(4);
    const final = await read('race');
    expect(final.version).toBe(4);
    expect(sortedRows(final.rows).map((row) => row.id)).toEqual(['6', '7']);
    expect(sortedRows((await read('race', { version: 3 })).rows).map((row) => row.id)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('refuses at validate what a Delta table cannot hold, each at its field, and shows each column\'s Delta type', async () => {
    const answer = await env.api.post('/api/pipelines:validate', {
      id: 'odd-names',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'odd_names' },
      output: { container: 'lake', format: 'delta', mode: 'merge', keys: ['f'] },
    });
    expect(answer.body!.valid).toBe(false);
    expect(answer.body!.refusals).toEqual([
      { path: 'columns', reason: expect.stringMatching(/"unit price": a Delta table without column mapping cannot hold a column name with a space/) },
      { path: 'output.keys', reason: expect.stringMatching(/merge key "f" \(double precision\) is written as float64, whose values do not compare exactly/) },
    ]);
    expect(answer.body!.columns.map((column: { forms: { delta: string } }) => column.forms.delta)).toEqual(['integer', 'decimal(10,2)', 'double']);
  });

  it('writes Parquet files every listed reader reads right: pyarrow reads each one with the profile\'s types and the source\'s values', async () => {
    const download = async (path: string) => {
      const local = join(scratch, path.replaceAll('/', '_'));
      writeFileSync(local, await container.getBlockBlobClient(path).downloadToBuffer());
      return local;
    };
    const scratch = mkdtempSync(join(tmpdir(), 'siphon-profiles-'));
    try {
      for (const [id, readers] of [['profile-default', undefined], ['profile-exact', ['exact']]] as const) {
        const created = await env.api.post('/api/pipelines', {
          id, source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'all_types' }, chunking: { column: 'id', chunks: 2 },
          output: { container: 'lake', ...(readers ? { readers } : {}) },
        });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        const run = await runOnce(id);
        expect(run.status).toBe('succeeded');
        const manifest = JSON.parse((await container.getBlockBlobClient(String(run.manifestPath).slice('lake/'.length)).downloadToBuffer()).toString('utf8'));
        const types = new Map<string, string>();
        const rows: Array<Record<string, unknown>> = [];
        for (const file of manifest.files as Array<{ path: string }>) {
          const read = await askPythonReader({ kind: 'parquet', path: await download(file.path) });
          expect(read.error).toBeUndefined();
          for (const field of read.arrowSchema as Array<{ name: string; type: string }>) types.set(field.name, field.type);
          rows.push(...read.rows);
        }
        if (!readers) {
          // The promise of the default profile (every reader): no UUID, TIME or unsigned type in the file.
          expect(manifest.readers).toEqual(['spark', 'synapse', 'fabric', 'duckdb']);
          expect(manifest.encodings.map((entry: { column: string }) => entry.column)).toEqual(['u', 'tm']);
          expect([types.get('u'), types.get('tm')]).toEqual(['string', 'string']);
          sortedRows(rows).forEach((row, index) => expectRow(row, expected[index]!, `${id} row ${index}`));
        } else {
          expect(manifest.encodings).toEqual([]);
          expect(types.get('u')).toMatch(/uuid|fixed_size_binary\[16\]/);
          expect(types.get('tm')).toBe('time64[us]');
        }
        expect([types.get('i8'), types.get('dec38'), types.get('ts'), types.get('tstz'), types.get('d')]).toEqual(['int64', 'decimal128(38, 10)', 'timestamp[us]', 'timestamp[us, tz=UTC]', 'date32[day]']);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('leaves the table at its version when a run crashes between its files and its commit, and commits once however often finalize runs', async () => {
    const services = await getServices();
    const runId = await startManualRun(services, 'all-types');
    // The crash: every chunk's files are in the table's folder, and no commit names them.
    const runFiles = (await blobNames('all-types/')).filter((name) => name.includes(`part-${runId}-`));
    expect(runFiles.length).toBeGreaterThan(0);
    const before = await read('all-types');
    expect(before.version).toBe(0);
    expect(before.numRows).toBe(expected.length);
    expect(before.files.some((uri: string) => uri.includes(runId))).toBe(false);

    // The finalize that follows the restart commits, and finalizes repeated after it (in turn and at once) find that commit.
    await finalizeRun(services, { pipelineId: 'all-types', runId });
    await Promise.all([finalizeRun(services, { pipelineId: 'all-types', runId }), finalizeRun(services, { pipelineId: 'all-types', runId })]);
    expect((await blobNames('all-types/_delta_log/')).filter((name) => name.endsWith('.json'))).toEqual([0, 1].map((v) => `all-types/_delta_log/${String(v).padStart(20, '0')}.json`));
    const after = await read('all-types');
    expect(after.version).toBe(1);
    expect(after.numRows).toBe(2 * expected.length);
    expect(after.history.map((entry: { operation: string }) => entry.operation)).toEqual(['WRITE', 'WRITE']);
    const run = await services.runs.get('all-types', runId);
    expect(run).toMatchObject({ status: 'succeeded', deltaVersion: 1 });
    const manifest = JSON.parse((await container.getBlockBlobClient(`_siphon_runs/all-types/run=${runId}/_manifest.json`).downloadToBuffer()).toString('utf8'));
    expect(manifest.delta).toEqual({ table: 'lake/all-types', mode: 'append', readVersion: 0, version: 1, committed: true });
    // Read as a table at its folder, not by the run's files.
    expect(manifest.readWith.duckdb).toBe(`SELECT * FROM delta_scan('az://lake/all-types');`);
    expect(manifest.readWith.synapse).toContain(`OPENROWSET(BULK 'https://devstoreaccount1.dfs.core.windows.net/lake/all-types/', FORMAT = 'DELTA')`);
    expect(manifest.files.map((file: { path: string }) => file.path).sort()).toEqual(runFiles);

    // Time travel: version 0 is the first run's rows, exactly.
    const first = await read('all-types', { version: 0 });
    expect(first.version).toBe(0);
    const rows = [...first.rows].sort((a, b) => Number(a.id) - Number(b.id));
    rows.forEach((row, index) => expectRow(row, expected[index]!, `version 0, row ${index}`));
  });

  it('keeps a committed run\'s files when its finalize fails after the commit, and deletes an uncommitted run\'s', async () => {
    const services = await getServices();
    const committed = await startManualRun(services, 'all-types');
    await finalizeRun(services, { pipelineId: 'all-types', runId: committed });
    // As if a step after the commit had failed: the run ends failed and its cleanup runs.
    await services.runs.update('all-types', committed, (current) => ({ ...current, status: RunStatus.failed, endedAt: services.now().toISOString() }));
    const committedFiles = (await blobNames('all-types/')).filter((name) => name.includes(committed));
    expect((await cleanupRun(services, { pipelineId: 'all-types', runId: committed })).cleaned).toBe(true);
    expect((await blobNames('all-types/')).filter((name) => name.includes(committed))).toEqual(committedFiles);
    expect((await read('all-types')).numRows).toBe(3 * expected.length);

    const uncommitted = await startManualRun(services, 'all-types');
    await failRun(services, { pipelineId: 'all-types', runId: uncommitted, error: 'the test stops it before finalize' });
    const cleaned = await cleanupRun(services, { pipelineId: 'all-types', runId: uncommitted });
    expect(cleaned.deleted).toBeGreaterThan(0);
    expect((await blobNames('')).filter((name) => name.includes(uncommitted))).toEqual([]);
    const table = await read('all-types');
    expect(table.version).toBe(2);
    expect(table.numRows).toBe(3 * expected.length);
    await releaseRunLease(services, 'all-types', uncommitted);
  });
});

/** A row read by delta-rs equals the source's: floats as numbers (float4 at its precision), the rest as exact text. */
function expectRow(actual: Record<string, unknown>, source: Record<string, unknown>, where: string): void {
  for (const column of columns) {
    const value = actual[column.name];
    const want = source[column.name];
    const at = `${where}, ${column.name}`;
    if (want === null || want === undefined) {
      expect(value, at).toBeNull();
    } else if (column.deltaType === 'float' || column.deltaType === 'double') {
      const number = (text: string) => Number(text.replace(/^inf$/, 'Infinity').replace(/^-inf$/, '-Infinity').replace(/^nan$/, 'NaN'));
      const sourceNumber = column.deltaType === 'float' ? Math.fround(number(String(want))) : number(String(want));
      expect(Object.is(number(String(value)), sourceNumber), `${at}: ${String(value)} vs ${String(want)}`).toBe(true);
    } else {
      expect(value, at).toEqual(typeof want === 'number' ? want : typeof want === 'boolean' ? want : String(want));
    }
  }
}
