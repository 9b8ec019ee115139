import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { getServices, type Services } from '../../src/services.js';
import { scheduledRunId } from '../../src/jobs/runId.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import type { SourceConnector } from '../../src/sources/sourceConnector.js';
import { startTestEnvironment, testSourceSetting, type SourceDatabase, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestDatabase } from '../support/testPostgres.js';
import { createTestMysqlDatabase } from '../support/testMariadb.js';
import { waitFor } from '../support/waitFor.js';

/**
 * One run of a pipeline at a time (issue 13, point 2), on PostgreSQL and MariaDB: an incremental
 * pipeline whose table a writer keeps changing. Twenty concurrent manual triggers give exactly one
 * 202 and nineteen 409s naming that run; twenty concurrent scheduler ticks while it runs record its
 * scheduled run `skipped` once, naming it. Then, the writer stopped, runs go one after another
 * until one finds nothing new. Every output file is read back with DuckDB: the union is the
 * table's final state, and no row version appears twice (no lookback, so no band of re-reads).
 *
 * The run holding the lease is held in its copy step by a gate on the source connector's
 * readChunk (services.openSource is the injectable edge), so the ticks meet it running, whatever
 * the machine's speed; nothing waits on a sleep.
 */
type Db = SourceDatabase & { query: (sql: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>> };

type EngineCase = {
  engine: 'postgres' | 'mysql';
  createDatabase: (label: string) => Promise<Db>;
  createTable: (db: Db) => Promise<void>;
  insert: (db: Db, id: number, version: number) => Promise<unknown>;
  update: (db: Db, id: number, version: number) => Promise<unknown>;
};

const initialRows = 5_000;

const engines: EngineCase[] = [
  {
    engine: 'postgres',
    createDatabase: createTestDatabase,
    createTable: async (db) => {
      await db.query(`CREATE TABLE items (id bigint PRIMARY KEY, version bigint NOT NULL, payload text NOT NULL)`);
      await db.query(`INSERT INTO items SELECT i, i, 'v0 ' || i FROM generate_series(1, ${initialRows}) i`);
    },
    insert: (db, id, version) => db.query(`INSERT INTO items VALUES ($1, $2, $3)`, [id, version, `new ${id}@${version}`]),
    update: (db, id, version) => db.query(`UPDATE items SET version = $2, payload = $3 WHERE id = $1`, [id, version, `upd ${id}@${version}`]),
  },
  {
    engine: 'mysql',
    createDatabase: createTestMysqlDatabase,
    createTable: async (db) => {
      await db.query(`CREATE TABLE items (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, payload VARCHAR(100) NOT NULL)`);
      for (let first = 1; first <= initialRows; first += 1_000) {
        const ids = Array.from({ length: 1_000 }, (_, i) => first + i);
        await db.query(`INSERT INTO items VALUES ${ids.map((id) => `(${id}, ${id}, 'v0 ${id}')`).join(', ')}`);
      }
    },
    insert: (db, id, version) => db.query(`INSERT INTO items VALUES (?, ?, ?)`, [id, version, `new ${id}@${version}`]),
    update: (db, id, version) => db.query(`UPDATE items SET payload = ?, version = ? WHERE id = ?`, [`upd ${id}@${version}`, version, id]),
  },
];

/**
 * One writer, one short autocommitted statement at a time, each with a higher version than any
 * before: a version is visible only once every lower one is, as the incremental contract assumes.
 */
function startWriter(db: Db, engine: EngineCase): { stop: () => Promise<number> } {
  let running = true;
  let writes = 0;
  let version = 1_000_000;
  const loop = (async () => {
    let nextId = 100_000;
    while (running) {
      await engine.insert(db, nextId++, ++version);
      await engine.update(db, 1 + ((writes * 7919) % initialRows), ++version);
      writes += 2;
    }
  })();
  return { stop: async () => { running = false; await loop; return writes; } };
}

/** Holds every chunk copy at its first read until opened: the run stays `running`, holding its lease. */
function holdCopies(services: Services): { open: () => void; restore: () => void } {
  const original = services.openSource;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  services.openSource = async (source) => {
    const connector = await original(source);
    return new Proxy(connector, {
      get(target, property, receiver) {
        if (property === 'readChunk') {
          return async function* (...args: Parameters<SourceConnector['readChunk']>) {
            await gate;
            yield* target.readChunk(...args);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { open, restore: () => (services.openSource = original) };
}

for (const engine of engines) {
  describe(`one run at a time on ${engine.engine}`, () => {
    let env: TestEnvironment<Db>;
    const pipelineId = `once-${engine.engine}`;
    const container = `once-${engine.engine}`;
    const tables = (name: string) => TableClient.fromConnectionString(env.azurite.connectionString, name, { allowInsecureConnection: true });
    const storedRuns = async () => {
      const runs: Array<Record<string, unknown>> = [];
      for await (const run of tables('siphonRuns').listEntities({ queryOptions: { filter: `PartitionKey eq '${pipelineId}'` } })) runs.push(run);
      return runs;
    };
    const storedLease = async () => (await tables('siphonLeases').getEntity<{ runId: string }>(pipelineId, 'run').catch(() => undefined))?.runId;

    beforeAll(async () => {
      env = await startTestEnvironment(`lease_${engine.engine}`, engine.createTable, { createDatabase: engine.createDatabase });
    });

    afterAll(async () => {
      await env?.stop();
    });

    it('copies with exactly one run of twenty triggers and twenty ticks, and the union of all output is the final table, no version twice', async () => {
      const created = await env.api.post('/api/pipelines', {
        id: pipelineId,
        source: { engine: engine.engine, connectionSetting: testSourceSetting },
        table: { name: 'items' },
        chunking: { column: 'id', chunks: 4, maxParallel: 2 },
        incremental: { column: 'version' },
        schedule: { cron: '0 * * * * *' },
        output: { container },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      const services = await getServices();
      const held = holdCopies(services);
      const writer = startWriter(env.database, engine);
      const runUrls: string[] = [];
      try {
        // 1. Twenty triggers at once: one run, and every other answer names it.
        const answers = await Promise.all(Array.from({ length: 20 }, () => env.api.post(`/api/pipelines/${pipelineId}/runs`)));
        const accepted = answers.filter((answer) => answer.status === 202);
        expect(answers.map((answer) => answer.status).sort()).toEqual([202, ...Array<number>(19).fill(409)]);
        const holder = String(accepted[0]!.body!.runId);
        for (const refused of answers.filter((answer) => answer.status === 409)) expect(JSON.stringify(refused.body)).toContain(holder);
        runUrls.push(accepted[0]!.headers.get('location')!);
        expect((await storedRuns()).map((run) => run.runId)).toEqual([holder]);
        await waitFor(() => env.api.get(runUrls[0]!), (answer) => answer.body!.status === 'running', 'the run to start copying');
        expect(await storedLease()).toBe(holder);

        // 2. Twenty scheduler ticks at once while it runs, at a fire time after the pipeline was created.
        const firstFire = Math.floor(Date.parse(String(created.body!.createdAt)) / 60_000) * 60_000 + 60_000;
        const shift = Math.max(0, firstFire + 1_000 - Date.now());
        const realNow = services.now;
        services.now = () => new Date(Date.now() + shift);
        try {
          await Promise.all(Array.from({ length: 20 }, () => env.runtime.fireTimer('schedulerTick')));
        } finally {
          services.now = realNow;
        }
        const scheduled = (await storedRuns()).filter((run) => run.reason === 'schedule');
        // Recorded once, skipped, naming the run that holds the lease; never queued, never run.
        expect(scheduled).toHaveLength(1);
        expect(scheduled[0]).toMatchObject({ runId: scheduledRunId(pipelineId, (await env.api.get(`/api/pipelines/${pipelineId}`)).body!.generation, new Date(firstFire)), status: 'skipped' });
        expect(String(scheduled[0]!.statusReason)).toContain(`run ${holder} of pipeline ${pipelineId} is running and holds the pipeline's run lease`);
        expect(await storedLease()).toBe(holder);

        held.open();
        const first = await env.api.waitForRun(runUrls[0]!);
        expect(first.error).toBeUndefined();
        expect(first.status).toBe('succeeded');
        // Released at its end (finalize closes the record, then releases).
        await waitFor(storedLease, (runId) => runId === undefined, 'the run to release its lease');
      } finally {
        held.open();
        held.restore();
        const writes = await writer.stop();
        expect(writes).toBeGreaterThan(20);
      }

      // 3. The writer has stopped: run again, one after another, until a run finds nothing new.
      for (let round = 0; ; round++) {
        expect(round, 'runs needed to catch up').toBeLessThan(5);
        const triggered = await env.api.post(`/api/pipelines/${pipelineId}/runs`);
        expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
        runUrls.push(triggered.headers.get('location')!);
        const run = await env.api.waitForRun(runUrls.at(-1)!);
        expect(run.status, run.error).toBe('succeeded');
        if (run.rows === 0) break;
      }
      expect((await storedRuns()).filter((run) => run.status !== 'succeeded').map((run) => run.reason)).toEqual(['schedule']);

      // 4. Every file in the container is listed by a manifest of one of these runs (no stray
      //    output of a second run), and DuckDB reads them all back.
      const manifests: Manifest[] = [];
      for (const url of runUrls) manifests.push(await readManifest(env.azurite.connectionString, (await env.api.get(url)).body!.manifestPath));
      const listed = new Set(manifests.flatMap((manifest) => manifest.files.map((file) => file.path)));
      const blobs: string[] = [];
      for await (const blob of BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container).listBlobsFlat()) blobs.push(blob.name);
      expect(blobs.filter((name) => !/\/(_manifest\.json|_SUCCESS)$/.test(name)).sort()).toEqual([...listed].sort());

      const versions = new Map<string, number>();
      const latest = new Map<string, { version: bigint; payload: string }>();
      for (const manifest of manifests) {
        const rows = await queryManifestFiles(env.azurite.connectionString, container, manifest, 'SELECT id, version, payload FROM {files}', 'typed');
        for (const row of rows as Array<{ id: bigint; version: bigint; payload: string }>) {
          const key = `${row.id}@${row.version}`;
          versions.set(key, (versions.get(key) ?? 0) + 1);
          const seen = latest.get(String(row.id));
          if (!seen || row.version > seen.version) latest.set(String(row.id), { version: row.version, payload: row.payload });
        }
      }
      // No lookback: a row version read twice would be a window copied by two runs.
      expect([...versions].filter(([, count]) => count > 1)).toEqual([]);
      const final = await env.database.query(`SELECT id, version, payload FROM items ORDER BY id`);
      expect(latest.size).toBe(final.length);
      for (const row of final) expect(latest.get(String(row.id)), `id ${String(row.id)}`).toEqual({ version: BigInt(String(row.version)), payload: row.payload });
    });
  });
}
