import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';

/**
 * Incremental loads on a real PostgreSQL table while a writer inserts and updates rows, before
 * and *during* runs. The union of every run's manifest-listed output, deduplicated by key and
 * cursor, must equal the table's final state (no row missed), and a row version may appear in two
 * runs only within the later run's lookback window (no doubles beyond what was asked for).
 */
const lookbackSeconds = 2;
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment('incremental', async (db) => {
    await db.query(`CREATE TABLE events (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, payload text NOT NULL)`);
    await db.query(`INSERT INTO events SELECT i, clock_timestamp() - interval '1 day' + i * interval '1 millisecond', 'v0 ' || i FROM generate_series(1, 20000) i`);
    await db.query(`CREATE TABLE ledger (seq bigint PRIMARY KEY, amount numeric(12,2) NOT NULL)`);
    await db.query(`INSERT INTO ledger SELECT i, i / 100.0 FROM generate_series(1, 1000) i`);
  });
});

afterAll(async () => {
  await env?.stop();
});

type RunOutput = { manifest: Manifest; rows: Array<{ id: bigint; at: bigint; payload: string }> };

async function runAndRead(pipelineId: string, body?: unknown): Promise<RunOutput> {
  const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`, body);
  expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
  const run = await env.api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
  const rows = await queryManifestFiles(env.azurite.connectionString, 'incremental', manifest, 'SELECT id, epoch_us(updated_at) AS at, payload FROM {files}', 'typed');
  return { manifest, rows: rows as RunOutput['rows'] };
}

/** Inserts new rows and updates existing ones, one short transaction at a time, until stopped. */
function startWriter(): { stop: () => Promise<number> } {
  let running = true;
  let writes = 0;
  const loop = (async () => {
    let next = 100_000;
    while (running) {
      await env.database.query(`INSERT INTO events VALUES ($1, clock_timestamp(), $2)`, [next, `v1 ${next}`]);
      next++;
      await env.database.query(`UPDATE events SET updated_at = clock_timestamp(), payload = 'v' || $2 || ' ' || id WHERE id = $1`, [1 + ((writes * 7919) % 20_000), writes + 2]);
      writes += 2;
    }
  })();
  return { stop: async () => { running = false; await loop; return writes; } };
}

describe('incremental loads', () => {
  it('miss no row and double none beyond the lookback window, with a writer committing during runs', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'events-incremental',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'events' },
      chunking: { column: 'id', chunks: 4, maxParallel: 2 },
      incremental: { column: 'updated_at', lookbackSeconds },
      output: { container: 'incremental' },
    });
    expect(created.status).toBe(201);

    const runs: RunOutput[] = [await runAndRead('events-incremental')];
    const writer = startWriter();
    runs.push(await runAndRead('events-incremental'));
    runs.push(await runAndRead('events-incremental'));
    const writes = await writer.stop();
    expect(writes).toBeGreaterThan(20);
    await new Promise((resolve) => setTimeout(resolve, lookbackSeconds * 1000 + 200));
    runs.push(await runAndRead('events-incremental'));

    // Each run's window starts where the previous one's watermark was, less the lookback.
    expect(runs[0]!.manifest.window).toMatchObject({ column: 'updated_at', mode: 'incremental' });
    expect(runs[0]!.manifest.window!.after).toBeUndefined();
    for (let i = 1; i < runs.length; i++) {
      const window = runs[i]!.manifest.window!;
      expect(BigInt(window.after!)).toBe(BigInt(runs[i - 1]!.manifest.window!.upTo) - BigInt(lookbackSeconds) * 1_000_000n);
      expect(window.lookback).toBe(String(lookbackSeconds * 1_000_000));
    }

    // No missed row: the latest version of every key across all runs is the table's final state.
    const latest = new Map<bigint, { at: bigint; payload: string }>();
    for (const run of runs) {
      for (const row of run.rows) {
        const seen = latest.get(row.id);
        if (!seen || row.at > seen.at) latest.set(row.id, { at: row.at, payload: row.payload });
      }
    }
    const final = await env.database.query<{ id: string; at: string; payload: string }>(`SELECT id::text, (extract(epoch from updated_at) * 1000000)::numeric(30,0)::text AS at, payload FROM events ORDER BY id`);
    expect(latest.size).toBe(final.length);
    for (const row of final) expect(latest.get(BigInt(row.id)), `id ${row.id}`).toEqual({ at: BigInt(row.at), payload: row.payload });

    // No double beyond the lookback: a version read by two runs lies in the later run's lookback band.
    const firstSeen = new Map<string, number>();
    runs.forEach((run, index) => {
      for (const row of run.rows) {
        const version = `${row.id}@${row.at}`;
        const earlier = firstSeen.get(version);
        if (earlier === undefined) {
          firstSeen.set(version, index);
          continue;
        }
        const window = run.manifest.window!;
        const watermark = BigInt(window.after!) + BigInt(window.lookback!);
        expect(row.at > BigInt(window.after!) && row.at <= watermark, `version ${version} re-read outside the lookback`).toBe(true);
      }
    });
  });

  it('reads everything again on a full refresh, a given range on a backfill, and keeps the watermark through a backfill', async () => {
    const created = await env.api.post('/api/pipelines', {
      id: 'ledger-incremental',
      source: { engine: 'postgres', connectionSetting: testSourceSetting },
      table: { name: 'ledger' },
      chunking: { column: 'seq', chunks: 3 },
      incremental: { column: 'seq' },
      output: { container: 'incremental', format: 'jsonl' },
    });
    expect(created.status).toBe(201);
    const readSeqs = async (body?: unknown) => {
      const triggered = await env.api.post('/api/pipelines/ledger-incremental/runs', body);
      expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
      const run = await env.api.waitForRun(triggered.headers.get('location')!);
      expect(run.status).toBe('succeeded');
      const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
      const rows = await queryManifestFiles(env.azurite.connectionString, 'incremental', manifest, 'SELECT seq FROM {files} ORDER BY seq');
      return { seqs: rows.map((row) => Number(row.seq)), manifest };
    };
    const watermark = async () => (await TableClient.fromConnectionString(env.azurite.connectionString, 'siphonWatermarks', { allowInsecureConnection: true }).getEntity<{ value: string }>('ledger-incremental', 'cursor')).value;

    expect((await readSeqs()).seqs).toHaveLength(1000);
    expect(await watermark()).toBe('1000');
    await env.database.query(`INSERT INTO ledger SELECT i, 1 FROM generate_series(1001, 1010) i`);
    expect((await readSeqs()).seqs).toEqual(Array.from({ length: 10 }, (_, i) => 1001 + i));

    const backfill = await readSeqs({ options: { backfill: { from: '100', to: '110' } } });
    expect(backfill.seqs).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i));
    expect(backfill.manifest.window).toMatchObject({ mode: 'backfill', after: '100', upTo: '110' });
    expect(await watermark()).toBe('1010');

    const refresh = await readSeqs({ options: { fullRefresh: true } });
    expect(refresh.seqs).toHaveLength(1010);
    expect(refresh.manifest.window).toMatchObject({ mode: 'fullRefresh', upTo: '1010' });
    expect((await readSeqs()).seqs).toEqual([]);
  });

  it('refuses run options that do not fit the pipeline, naming the field, and starts nothing', async () => {
    const plain = await env.api.post('/api/pipelines', { id: 'not-incremental', source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'ledger' }, output: { container: 'incremental' } });
    expect(plain.status).toBe(201);
    const refused = await env.api.post('/api/pipelines/not-incremental/runs', { options: { fullRefresh: true } });
    expect(refused.status).toBe(400);
    expect(refused.body!.detail).toBe('options.fullRefresh: pipeline not-incremental keeps no position to start over from (neither incremental nor change capture)');
    const both = await env.api.post('/api/pipelines/ledger-incremental/runs', { options: { fullRefresh: true, backfill: { from: '1', to: '2' } } });
    expect(both.status).toBe(400);
    expect(both.body!.errors[0].path).toBe('options.backfill');
    expect((await env.api.get('/api/pipelines/not-incremental/runs')).body!.runs).toEqual([]);
  });
});
