import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorText } from '../../src/copy/cursorValues.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import { SqlServerConnector } from '../../src/sources/sqlserver/sqlServerConnector.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';

/**
 * Incremental loads on a SQL Server rowversion cursor, through the functions (HTTP API, queue,
 * orchestrator, activities), from the TDS test double or a real SQL Server (SIPHON_TEST_MSSQL).
 * Rows inserted and updated between runs land in the next run; a row committed above the
 * rowversion an open transaction holds waits (MIN_ACTIVE_ROWVERSION() caps the window) and lands
 * in the first run after that transaction ends. Across all runs no row version is missed and
 * none is read twice. On a real server the open transaction is real: an uncommitted insert on a
 * second connection; on the test double, its holdRowversion hook.
 */
let env: TestEnvironment<TestSqlServer>;
const table = 'ledger_rv';
const container = 'rowversion';

beforeAll(async () => {
  env = await startTestEnvironment('mssql_incremental', async (sql) => {
    await sql.createTable({
      name: table,
      columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'note', type: 'nvarchar(40)', nullable: false }, { name: 'rv', type: 'rowversion', nullable: false }],
    }, Array.from({ length: 40 }, (_, i) => [String(i + 1), `v0 ${i + 1}`, null]));
  }, { createDatabase: createTestSqlServer });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

/** A statement on the source table, for either engine. */
async function change(build: (table: string) => string): Promise<void> {
  await env.database.execute({ pg: build(`"${env.database.schema}"."${table}"`), tsql: build(`[${env.database.schema}].[${table}]`) });
}

type Row = { id: number; note: string; rv: bigint };
type RunOutput = { manifest: Manifest; rows: Row[] };

async function run(pipelineId: string, body?: unknown): Promise<RunOutput> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`, body);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const finished = await env.api.waitForRun(triggered.headers.get('location')!);
  expect(finished.error).toBeUndefined();
  expect(finished.status).toBe('succeeded');
  const manifest = await readManifest(env.azurite.connectionString, finished.manifestPath);
  const rows = await queryManifestFiles(env.azurite.connectionString, container, manifest, 'SELECT id, note, hex(rv) AS rv FROM {files} ORDER BY id');
  return { manifest, rows: rows.map((row) => ({ id: Number(row.id), note: String(row.note), rv: BigInt(`0x${String(row.rv)}`) })) };
}

/** The table as it is now, read with the connector itself. */
async function sourceRows(): Promise<Row[]> {
  const connector = await SqlServerConnector.connect(env.database.url, env.database.source);
  try {
    const target = { kind: 'table' as const, table: { schema: env.database.schema, name: table } };
    const { columns } = await connector.describe(target, ['id', 'note', 'rv']);
    const rows: Row[] = [];
    for await (const batch of connector.readChunk({ target, columns, orderBy: ['id'], range: { kind: 'all' }, batchRows: 1000 })) {
      for (const [id, note, rv] of batch) rows.push({ id: Number(id), note: String(note), rv: BigInt(`0x${Buffer.from(rv as Uint8Array).toString('hex')}`) });
    }
    return rows;
  } finally {
    await connector.close();
  }
}

const ids = (output: RunOutput) => output.rows.map((row) => row.id);

describe('incremental loads on a rowversion cursor', () => {
  it('read inserts and updates in the next run, hold back rows above an open transaction, and miss or double no row version', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'ledger-rowversion',
      source: { engine: 'sqlserver', connectionSetting: testSourceSetting, ...env.database.source },
      table: { schema: env.database.schema, name: table },
      // Chunked on the cursor itself: the chunk ranges are cut from the window and bound as binary(8).
      chunking: { column: 'rv', chunks: 3, maxParallel: 2 },
      incremental: { column: 'rv' },
      output: { container, format: 'jsonl' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runs: RunOutput[] = [];

    // 1. Everything there is.
    runs.push(await run('ledger-rowversion'));
    const first = runs[0]!;
    expect(ids(first)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const firstMax = first.rows.reduce((max, row) => (row.rv > max ? row.rv : max), 0n);
    expect(first.manifest.window).toMatchObject({ column: 'rv', mode: 'incremental', upTo: String(firstMax), upToText: cursorText('rowversion', String(firstMax)) });
    expect(first.manifest.window!.upToText).toMatch(/^0x[0-9A-F]{16}$/);
    expect(first.manifest.window!.after).toBeUndefined();

    // 2. Rows inserted and rows updated since: exactly those, with their new rowversions.
    await change((t) => `INSERT INTO ${t} (id, note) VALUES (41, 'v1 41'), (42, 'v1 42'), (43, 'v1 43')`);
    await change((t) => `UPDATE ${t} SET note = CASE id WHEN 3 THEN 'v1 3' ELSE 'v1 7' END WHERE id IN (3, 7)`);
    runs.push(await run('ledger-rowversion'));
    const second = runs[1]!;
    expect(ids(second)).toEqual([3, 7, 41, 42, 43]);
    expect(second.rows.map((row) => row.note)).toEqual(['v1 3', 'v1 7', 'v1 41', 'v1 42', 'v1 43']);
    expect(second.manifest.window).toMatchObject({ mode: 'incremental', after: first.manifest.window!.upTo, afterText: first.manifest.window!.upToText });
    for (const row of second.rows) expect(row.rv > firstMax && row.rv <= BigInt(second.manifest.window!.upTo), `id ${row.id}`).toBe(true);

    // 3. A transaction takes a rowversion and stays open; rows committed after it have higher
    // ones. The window closes below the open transaction's value, so they wait.
    const open = await env.database.openTransaction();
    let third: RunOutput;
    try {
      await change((t) => `INSERT INTO ${t} (id, note) VALUES (44, 'v1 44')`);
      await change((t) => `UPDATE ${t} SET note = 'v2 10' WHERE id = 10`);
      third = await run('ledger-rowversion');
    } finally {
      await open.end();
    }
    runs.push(third);
    expect(ids(third)).toEqual([]);
    expect(BigInt(third.manifest.window!.upTo)).toBeLessThan(open.rowversion);
    if (!env.database.real) expect(third.manifest.window!.upTo).toBe(String(open.rowversion - 1n));
    expect(third.manifest.window!.after).toBe(second.manifest.window!.upTo);

    // 4. The transaction has ended: what waited is read now, once.
    runs.push(await run('ledger-rowversion'));
    const fourth = runs[3]!;
    expect(ids(fourth)).toEqual([10, 44]);
    expect(fourth.rows.map((row) => row.note)).toEqual(['v2 10', 'v1 44']);
    expect(fourth.manifest.window!.after).toBe(third.manifest.window!.upTo);
    for (const row of fourth.rows) expect(row.rv > open.rowversion, `id ${row.id}`).toBe(true);

    // 5. Nothing changed: nothing read, the window closed where it was.
    runs.push(await run('ledger-rowversion'));
    expect(ids(runs[4]!)).toEqual([]);
    expect(runs[4]!.manifest.window).toMatchObject({ after: fourth.manifest.window!.upTo, upTo: fourth.manifest.window!.upTo });

    // No version missed: the latest version of each row across the runs is the table's state.
    const latest = new Map<number, Row>();
    for (const output of runs) for (const row of output.rows) if (!latest.has(row.id) || row.rv > latest.get(row.id)!.rv) latest.set(row.id, row);
    const state = await sourceRows();
    expect(state).toHaveLength(44);
    expect([...latest.values()].sort((a, b) => a.id - b.id)).toEqual(state);
    // None doubled: each version read by exactly one run, inside that run's window.
    const versions = runs.flatMap((output) => output.rows.map((row) => `${row.id}@${row.rv}`));
    expect(new Set(versions).size).toBe(versions.length);
    for (const output of runs) {
      const window = output.manifest.window!;
      for (const row of output.rows) expect(row.rv > BigInt(window.after ?? '-1') && row.rv <= BigInt(window.upTo), `id ${row.id}`).toBe(true);
    }
  });

  it('backfills a range given in rowversion hex and leaves the watermark alone', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'ledger-rowversion-ids',
      source: { engine: 'sqlserver', connectionSetting: testSourceSetting, ...env.database.source },
      table: { schema: env.database.schema, name: table },
      chunking: { column: 'id', chunks: 2 },
      incremental: { column: 'rv', lookbackValues: 1 },
      output: { container, format: 'jsonl' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const all = await run('ledger-rowversion-ids');
    expect(all.rows).toHaveLength(44);
    const sorted = all.rows.map((row) => row.rv).sort((a, b) => (a < b ? -1 : 1));
    const from = cursorText('rowversion', String(sorted[9]!));
    const to = cursorText('rowversion', String(sorted[19]!));
    const backfill = await run('ledger-rowversion-ids', { options: { backfill: { from, to: to.toLowerCase() } } });
    expect(backfill.rows.map((row) => row.rv).sort((a, b) => (a < b ? -1 : 1))).toEqual(sorted.slice(10, 20));
    expect(backfill.manifest.window).toMatchObject({ mode: 'backfill', after: String(sorted[9]), upTo: String(sorted[19]), afterText: from, upToText: to });
    // The watermark is still the first run's: the next run looks back one value from there.
    await change((t) => `UPDATE ${t} SET note = 'v3 1' WHERE id = 1`);
    const next = await run('ledger-rowversion-ids');
    expect(next.manifest.window).toMatchObject({ after: String(BigInt(all.manifest.window!.upTo) - 1n), lookback: '1' });
    expect(next.rows.map((row) => [row.id, row.note])).toContainEqual([1, 'v3 1']);
    expect(next.rows.every((row) => row.rv >= BigInt(all.manifest.window!.upTo))).toBe(true);
  });
});
