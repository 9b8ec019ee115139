import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readBackRows, runPipeline, toCanonical } from '../support/readBack.js';
import { schemaFileSchema } from '../../src/sink/schemaFile.js';

/**
 * A run's manifest carries statements that read its files with every type declared. Run the
 * DuckDB one as generated (only its az:// prefix pointed at a local copy of the folder, as the
 * azure extension cannot be fetched here) and DuckDB must give the source's types, not its
 * sniffer's guesses: a decimal(38,10) stays DECIMAL(38,10) (sniffed, it becomes DOUBLE), a quoted
 * empty string stays '' (by default DuckDB reads it as NULL).
 */
let env: TestEnvironment;
let scratch: string;

const columns = {
  id: 'BIGINT',
  d: 'DECIMAL(38,10)',
  big: 'BIGINT',
  label: 'VARCHAR',
  day: 'DATE',
  at: 'TIMESTAMP',
  at_utc: 'TIMESTAMP WITH TIME ZONE',
  tick: 'TIME',
  ref: 'UUID',
  raw: 'BLOB',
  flag: 'BOOLEAN',
  ratio: 'DOUBLE',
};

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'siphon-snippets-'));
  env = await startTestEnvironment('snippets', async (db) => {
    await db.query(`CREATE TABLE typed (
      id bigint PRIMARY KEY, d numeric(38,10), big bigint, label text, day date, at timestamp(6), at_utc timestamptz(6),
      tick time(6), ref uuid, raw bytea, flag boolean, ratio double precision, region text NOT NULL)`);
    await db.query(`INSERT INTO typed VALUES
      (1, '1234567890123456789012345678.1234567890', 9223372036854775807, '', '2024-02-29', '2024-05-01 15:30:00.123456', '2024-05-01 15:30:00.654321+00', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10', true, 0.1, 'north'),
      (2, NULL, -9223372036854775808, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'south'),
      (3, '-0.0000000001', 0, 'comma, "quote"
newline', '0001-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', '00:00:00', '00000000-0000-0000-0000-000000000000', '\\x', false, -1e300, 'north')`);
    await db.query(`CREATE TABLE awkward (id int PRIMARY KEY, d numeric(60,20), tm time(6), amount numeric(12,4), price money, tags int[])`);
    await db.query(`INSERT INTO awkward VALUES (1, '1234567890123456789012345678901234567890.12345678901234567890', '13:45:00.5', '1.0050', '1234.56', '{1,NULL,3}'), (2, NULL, NULL, '-7.1250', NULL, NULL), (3, '0', '00:00:00', '99999999.9949', '-0.01', '{}')`);
    await db.query(`CREATE TABLE wide (id int PRIMARY KEY, d numeric(60,20))`);
    await db.query(`INSERT INTO wide VALUES (1, '9999999999999999999999999999999999999999.99999999999999999999'), (2, '-0.00000000000000000001'), (3, NULL), (4, 0)`);
  });
});

afterAll(async () => {
  await env?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Copies the run's folder to disk and runs the manifest's DuckDB statement over the copy. */
async function runDuckDbSnippet(snippet: string, container: ContainerClient, folder: string): Promise<{ types: Record<string, string>; rows: Record<string, unknown>[] }> {
  const local = mkdtempSync(join(scratch, 'run-'));
  for await (const blob of container.listBlobsFlat({ prefix: `${folder}/` })) {
    const path = join(local, blob.name.slice(folder.length + 1));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, await container.getBlockBlobClient(blob.name).downloadToBuffer());
  }
  const prefix = `az://${container.containerName}/${folder}/`;
  expect(snippet).toContain(prefix);
  const connection = await (await DuckDBInstance.create()).connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  const reader = await connection.runAndReadAll(snippet.replace(prefix, `${local}/`).replace(/;$/, ''));
  const types = Object.fromEntries(reader.columnNames().map((name, index) => [name, reader.columnTypes()[index]!.toString()]));
  return { types, rows: reader.getRowObjects() as Record<string, unknown>[] };
}

describe.each([
  { format: 'csv', compression: 'none' },
  { format: 'csv', compression: 'gzip' },
  { format: 'jsonl', compression: 'none' },
  { format: 'parquet', compression: 'snappy' },
] as const)('$format/$compression', ({ format, compression }) => {
  it('the manifest\'s DuckDB statement reads the source\'s types and values, partitions included', async () => {
    const { run, manifest } = await runPipeline(env, {
      id: `typed-${format}-${compression}`,
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'typed' },
      // Exact encodings, so a Parquet uuid is a UUID (the default readers write its text; deltaLake.test.ts).
      output: { container: 'snippets', format, compression, partitionBy: ['region'], readers: ['exact'] },
    });
    const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('snippets');
    const folder = dirname(String(run.manifestPath).slice('snippets/'.length));
    const { types, rows } = await runDuckDbSnippet(manifest.readWith!.duckdb, container, folder);
    expect(types).toEqual({ ...columns, region: 'VARCHAR' });

    const byId = new Map(rows.map((row) => [Number(row.id), Object.fromEntries(Object.entries(row).map(([name, value]) => [name, toCanonical(value)]))]));
    expect([...byId.keys()].sort()).toEqual([1, 2, 3]);
    expect(byId.get(1)!.d).toBe('1234567890123456789012345678.1234567890');
    expect(byId.get(1)!.big).toBe(9223372036854775807n);
    expect(byId.get(1)!.label).toBe('');
    expect(byId.get(1)!.at).toBe(1714577400123456n);
    expect(byId.get(1)!.ref).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect([...(byId.get(1)!.raw as Uint8Array)]).toEqual([0, 255, 16]);
    expect(byId.get(1)!.region).toBe('north');
    expect(byId.get(2)!.label).toBeNull();
    expect(byId.get(2)!.d).toBeNull();
    expect(byId.get(3)!.label).toBe('comma, "quote"\nnewline');
    expect(byId.get(3)!.d).toBe('-0.0000000001');
    expect(byId.get(3)!.day).toBe(-719162);
    expect([...(byId.get(3)!.raw as Uint8Array)]).toEqual([]);

    // The other readers' statements name the same folder and declare every column.
    expect(manifest.readWith!.spark).toContain(`abfss://snippets@devstoreaccount1.dfs.core.windows.net/${folder}`);
    expect(manifest.readWith!.synapse).toContain(`https://devstoreaccount1.dfs.core.windows.net/snippets/${folder}/`);
    for (const name of Object.keys(columns)) expect(manifest.readWith!.spark).toContain(`\`${name}\``);

    // Text formats get _schema.json beside the files; Parquet carries its schema in the footer.
    const schemaBlob = container.getBlockBlobClient(`${folder}/_schema.json`);
    if (format === 'parquet') {
      expect(await schemaBlob.exists()).toBe(false);
    } else {
      const schema = schemaFileSchema.parse(JSON.parse((await schemaBlob.downloadToBuffer()).toString('utf8')));
      expect(schema.columns.map((column) => [column.name, column.type])).toEqual(manifest.columns.map((column) => [column.name, column.type]));
      expect(schema.columns.find((column) => column.name === 'd')!.textForm).toBe(format === 'csv' ? 'plain digits with 10 decimals' : 'string of plain digits');
      expect(schema.partitionBy).toEqual(['region']);
    }
  });
});

describe('decimals wider than Parquet holds', () => {
  it('a numeric(60,20) goes to CSV and JSON Lines with every digit, read as text by the generated statement; Parquet refuses it speaking of Parquet', async () => {
    const source = (await env.database.query<{ id: number; d: string | null }>('SELECT id, d::text AS d FROM wide ORDER BY id'));
    const container = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('snippets');
    for (const format of ['csv', 'jsonl'] as const) {
      const { run, manifest } = await runPipeline(env, { id: `wide-${format}`, source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'wide' }, output: { container: 'snippets', format } });
      expect(manifest.columns.find((column) => column.name === 'd')!.type).toEqual({ kind: 'decimal', precision: 60, scale: 20 });
      const { types, rows } = await runDuckDbSnippet(manifest.readWith!.duckdb, container, dirname(String(run.manifestPath).slice('snippets/'.length)));
      expect(types.d).toBe('VARCHAR');
      expect(rows.map((row) => [Number(row.id), row.d]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(source.map((row) => [row.id, row.d]));
    }
    const refused = await env.api.post('/api/pipelines:validate', { id: 'wide-parquet', source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'wide' }, output: { container: 'snippets', format: 'parquet' } });
    expect(refused.body!.valid).toBe(false);
    expect(refused.body!.refusals).toEqual([{ path: 'columns', column: 'd', reason: 'Table wide, column "d" (numeric(60,20)): decimal(60,20) exceeds the 38 digits a Parquet DECIMAL holds exactly; write csv or jsonl (text keeps every digit), or cast it in a query pipeline' }]);
    const created = await env.api.post('/api/pipelines', { id: 'wide-parquet', source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'wide' }, output: { container: 'snippets', format: 'parquet' } });
    const run = await env.api.waitForRun((await env.api.post(`/api/pipelines/${String(created.body!.id)}/runs`)).headers.get('location')!);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('exceeds the 38 digits a Parquet DECIMAL holds exactly');
  });
});

describe('columnTypes', () => {
  const awkward = { source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'awkward' } };

  it('reads overridden columns as the server\'s text and writes the override: exact text, and decimals rounded only as asked', async () => {
    const finished = await runPipeline(env, {
      ...awkward,
      id: 'awkward-parquet',
      columnTypes: { d: 'string', tm: 'string', tags: 'string', price: 'decimal(10,2)', amount: { type: 'decimal(10,2)', rounding: 'halfEven' } },
      output: { container: 'snippets', format: 'parquet' },
    });
    const types = Object.fromEntries(finished.manifest.columns.map((column) => [column.name, column.type]));
    expect(types).toEqual({ id: { kind: 'int32' }, d: { kind: 'string' }, tm: { kind: 'string' }, amount: { kind: 'decimal', precision: 10, scale: 2 }, price: { kind: 'decimal', precision: 10, scale: 2 }, tags: { kind: 'string' } });
    expect(finished.manifest.columns.find((column) => column.name === 'amount')!.override).toEqual({ from: { kind: 'decimal', precision: 12, scale: 4 }, rounding: 'halfEven' });
    const source = await env.database.query<Record<string, string | null>>('SELECT id, d::text AS d, tm::text AS tm, tags::text AS tags FROM awkward ORDER BY id');
    const rows = await readBackRows(env, finished, 'id');
    expect(rows.map((row) => [row.d, row.tm, row.tags])).toEqual(source.map((row) => [row.d, row.tm, row.tags]));
    // 1.0050 -> 1.00 (a tie, to even), -7.1250 -> -7.12, 99999999.9949 -> 99999999.99; money through numeric.
    expect(rows.map((row) => row.amount)).toEqual(['1.00', '-7.12', '99999999.99']);
    expect(rows.map((row) => row.price)).toEqual(['1234.56', null, '-0.01']);
  });

  it('refuses a value that does not fit, naming its row and column, when no rounding was chosen', async () => {
    const created = await env.api.post('/api/pipelines', { ...awkward, id: 'awkward-strict', columns: ['id', 'amount'], columnTypes: { amount: 'decimal(10,2)' }, output: { container: 'snippets', format: 'csv' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await env.api.waitForRun((await env.api.post('/api/pipelines/awkward-strict/runs')).headers.get('location')!);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('column "amount" (numeric(12,4) read as decimal(10,2)): 1.0050 has more than 2 digits after the point (set rounding to round it)');
  });

  it('names what it cannot override at columnTypes', async () => {
    const answer = await env.api.post('/api/pipelines:validate', { ...awkward, id: 'awkward-bad', columns: ['id', 'tm'], columnTypes: { tm: 'decimal(10,2)', nope: 'string' }, output: { container: 'snippets' } });
    expect(answer.body!.valid).toBe(false);
    expect(answer.body!.refusals).toEqual([
      { path: 'columnTypes', column: 'nope', reason: 'columnTypes names "nope", which Table awkward does not read' },
      { path: 'columnTypes', column: 'tm', reason: 'Table awkward, column "tm" (time(6) without time zone): columnTypes cannot read it as decimal: a time is not a number' },
    ]);
    const refused = await env.api.post('/api/pipelines', { ...awkward, id: 'awkward-bad', columnTypes: { tm: 'float' }, output: { container: 'snippets' } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('columnTypes.tm.type');
  });
});
