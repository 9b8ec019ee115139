import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getServices, type Services } from '../../src/services.js';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { SourceConnector } from '../../src/sources/sourceConnector.js';
import { sourceSlotKey } from '../../src/sources/sourceSessions.js';
import type { SourceSpec } from '../../src/spec/pipelineSpec.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { createTestMysqlDatabase, type TestMysqlDatabase } from '../support/testMariadb.js';
import type { TestDatabase } from '../support/testPostgres.js';
import { createTestSqlServer, type TestSqlServer } from '../support/tds-server/testSqlServer.js';
import { waitFor } from '../support/waitFor.js';

/**
 * source.maxSessions (issue 21, item 4) on real servers: three runs at once of pipelines that
 * name the same database through two different app settings, each wanting four sessions, with
 * maxSessions 2: the server itself (pg_stat_activity, MariaDB's PROCESSLIST, the TDS double's
 * open connections), sampled all along,
 * never sees more than two of Siphon's sessions, and at some point sees two (so the sampling can
 * fail); the chunks that waited say so on their run's timeline; every run succeeds with the
 * source's row count, read back with DuckDB. Then a holder that crashed holding both slots:
 * plan answers 503 with Retry-After meanwhile, and once the leases run out a run goes through.
 *
 * Each chunk's read is held a little (services.openSource is the injectable edge) so that
 * sessions overlap on any machine; the leases are short through SIPHON_SESSION_LEASE_SECONDS.
 */
const rows = 400;
const leaseSeconds = 2;
process.env.SIPHON_SESSION_LEASE_SECONDS = String(leaseSeconds);
process.env.SIPHON_SESSION_WAIT_SECONDS = '30';

/** Every chunk read starts after `ms`, with its session open: sessions overlap whatever the machine's speed. */
function slowReads(services: Services, ms: number): () => void {
  const original = services.openSource;
  services.openSource = async (source) => {
    const connector = await original(source);
    return new Proxy(connector, {
      get(target, property) {
        if (property === 'readChunk') {
          return async function* (...args: Parameters<SourceConnector['readChunk']>) {
            await new Promise((resolve) => setTimeout(resolve, ms));
            yield* target.readChunk(...args);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return () => (services.openSource = original);
}

/** Counts sessions every 25 ms until stopped; answers the largest count seen. */
function sampleSessions(count: () => Promise<number>): { stop: () => Promise<{ max: number; samples: number }> } {
  let running = true;
  let max = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await count());
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return { stop: async () => { running = false; await loop; return { max, samples }; } };
}

/** The table's row count through mssql of its own, not Siphon's connector. */
async function sqlServerCount(url: string): Promise<number> {
  const mssql = createRequire(import.meta.url)('mssql') as { connect(config: string): Promise<{ query(text: string): Promise<{ recordset: Array<{ n: number }> }>; close(): Promise<void> }> };
  const pool = await mssql.connect(url);
  try {
    return Number((await pool.query('SELECT COUNT(*) AS n FROM dbo.items')).recordset[0]!.n);
  } finally {
    await pool.close();
  }
}

describe('source.maxSessions', () => {
  let env: TestEnvironment<TestDatabase>;
  let maria: TestMysqlDatabase;
  let sqlServer: TestSqlServer;
  let services: Services;
  let restoreReads: () => void;

  beforeAll(async () => {
    const created = await Promise.all([
      startTestEnvironment('sessions', async (db) => {
        await db.query(`CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL)`);
        await db.query(`INSERT INTO items SELECT i, 'row ' || i FROM generate_series(1, ${rows}) i`);
      }),
      createTestMysqlDatabase('sessions'),
      createTestSqlServer('sessions_tds'),
    ]);
    [env, maria, sqlServer] = created;
    await sqlServer.createTable({ name: 'items', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'payload', type: 'nvarchar(40)', nullable: false }] }, []);
    await sqlServer.generateRows('items', rows, [{ pg: 'n + 1', tsql: 'n + 1' }, { pg: `'row ' || (n + 1)`, tsql: `CONCAT('row ', n + 1)` }]);
    await maria.query(`CREATE TABLE items (id BIGINT PRIMARY KEY, payload VARCHAR(40) NOT NULL)`);
    await maria.query(`INSERT INTO items VALUES ${Array.from({ length: rows }, (_, i) => `(${i + 1}, 'row ${i + 1}')`).join(', ')}`);
    // The same databases under a second setting each, spelled differently: still one source.
    const alias = new URL(env.database.url);
    alias.protocol = 'postgresql:';
    alias.searchParams.set('connect_timeout', '10');
    process.env.SIPHON_SOURCE_TEST_ALIAS = alias.toString();
    process.env.SIPHON_SOURCE_MARIA = maria.url;
    process.env.SIPHON_SOURCE_MARIA_ALIAS = maria.url.replace(/^mysql:/, 'mariadb:');
    process.env.SIPHON_SOURCE_MSSQL = sqlServer.url;
    process.env.SIPHON_SOURCE_MSSQL_ALIAS = `${sqlServer.url};Connect Timeout=20`;
    services = await getServices();
    restoreReads = slowReads(services, 150);
  }, 60_000);

  afterAll(async () => {
    restoreReads?.();
    await env?.stop();
    await maria?.drop();
    await sqlServer?.drop();
  });

  const engines = [
    {
      engine: 'postgres' as const,
      settings: [testSourceSetting, 'SIPHON_SOURCE_TEST_ALIAS', testSourceSetting],
      // Siphon's connector names its sessions; the test's own client does not.
      sessions: async () => Number((await env.database.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'siphon'`, [env.database.name]))[0]!.n),
    },
    {
      engine: 'mysql' as const,
      settings: ['SIPHON_SOURCE_MARIA', 'SIPHON_SOURCE_MARIA_ALIAS', 'SIPHON_SOURCE_MARIA'],
      // Every session on the test database but the sampler's own.
      sessions: async () => Number((await maria.query<{ n: number }>(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()`))[0]!.n),
    },
    {
      engine: 'sqlserver' as const,
      settings: ['SIPHON_SOURCE_MSSQL', 'SIPHON_SOURCE_MSSQL_ALIAS', 'SIPHON_SOURCE_MSSQL'],
      // Nothing but Siphon connects to the test double.
      sessions: async () => sqlServer.server!.openConnections,
    },
  ];

  for (const { engine, settings, sessions } of engines) {
    it(`holds Siphon to 2 sessions on ${engine} under three concurrent runs through two settings, and every run copies every row`, async () => {
      const ids = settings.map((_, i) => `cap-${engine}-${i}`);
      for (const [i, id] of ids.entries()) {
        const created = await env.api.post('/api/pipelines', {
          id,
          source: { engine, connectionSetting: settings[i], maxSessions: 2, ...(engine === 'sqlserver' ? sqlServer.source : {}) },
          table: { name: 'items' },
          chunking: { column: 'id', chunks: 4, maxParallel: 4 },
          output: { container: 'sessions' },
        });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
      }
      expect(await sessions()).toBe(0);
      const sampler = sampleSessions(sessions);
      let sampled: { max: number; samples: number };
      const finished: Array<Record<string, any>> = [];
      try {
        const triggered = await Promise.all(ids.map((id) => env.api.post(`/api/pipelines/${id}/runs`)));
        for (const answer of triggered) expect(answer.status, JSON.stringify(answer.body)).toBe(202);
        for (const answer of triggered) finished.push(await env.api.waitForRun(answer.headers.get('location')!));
      } finally {
        sampled = await sampler.stop();
      }
      // Without the cap, 3 runs x 4 chunks would hold up to 12; with it, 2, and 2 were reached.
      expect(sampled.samples).toBeGreaterThan(10);
      expect(sampled.max, `most sessions seen on ${engine}`).toBe(2);

      const sourceRows = engine === 'mysql'
        ? Number((await maria.query<{ n: number }>('SELECT COUNT(*) AS n FROM items'))[0]!.n)
        : engine === 'postgres'
          ? Number((await env.database.query<{ n: string }>('SELECT count(*) AS n FROM items'))[0]!.n)
          : await sqlServerCount(sqlServer.url);
      const waited: string[] = [];
      for (const [i, run] of finished.entries()) {
        expect(run.status, run.error).toBe('succeeded');
        const manifest = await readManifest(env.azurite.connectionString, run.manifestPath);
        const [count] = await queryManifestFiles(env.azurite.connectionString, 'sessions', manifest, 'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM {files}');
        expect({ rows: Number(count!.n), ids: Number(count!.ids) }, ids[i]).toEqual({ rows: sourceRows, ids: sourceRows });
        const events = (await env.api.get(`/api/pipelines/${ids[i]}/runs/${run.runId}/events`)).body!;
        const waits = (events.events as Array<{ type: string; chunk?: number; maxSessions?: number; message?: string }>).filter((event) => event.type === 'waitingForSource');
        for (const wait of waits) expect(wait).toMatchObject({ maxSessions: 2, message: expect.stringContaining('waiting for source') });
        if (waits.length) waited.push(ids[i]!);
      }
      // Twelve chunks for two slots: some chunk waited, and its run's timeline shows it.
      expect(waited.length).toBeGreaterThan(0);
      // Every slot was given back.
      const key = sourceSlotKey({ engine, connectionSetting: settings[0]! } as SourceSpec).key;
      expect(await services.sourceSlots.holders(key, new Date())).toEqual([]);
    });
  }

  it('runs a pipeline with more chunks in parallel than sessions at the pace its copies end, not the pace of the poll', async () => {
    const id = 'cap-one-run';
    const created = await env.api.post('/api/pipelines', {
      id,
      source: { engine: 'postgres', connectionSetting: testSourceSetting, maxSessions: 2 },
      table: { name: 'items' },
      chunking: { column: 'id', chunks: 8, maxParallel: 8 },
      output: { container: 'sessions' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // Leases of a minute: a waiting chunk would ask again only every 10 s.
    const lease = services.settings.SIPHON_SESSION_LEASE_SECONDS;
    services.settings.SIPHON_SESSION_LEASE_SECONDS = 60;
    try {
      const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
      // The run as the dashboard and the CLI read it, while it goes: chunks waiting for source.
      let mostWaiting = 0;
      let run: Record<string, any>;
      for (;;) {
        run = (await env.api.get(triggered.headers.get('location')!)).body!;
        mostWaiting = Math.max(mostWaiting, run.progress?.chunksWaiting ?? 0);
        if (!['queued', 'running'].includes(run.status)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(run.status, run.error).toBe('succeeded');
      expect(run.rows).toBe(rows);
      expect(mostWaiting).toBeGreaterThan(0);
      // finalize appends `finished` just after it records the status the loop above saw.
      const events = await waitFor(
        async () => (await env.api.get(`/api/pipelines/${id}/runs/${run.runId}/events`)).body!.events as Array<{ type: string; at: string }>,
        (list) => list.some((event) => event.type === 'finished'),
        'the run\'s finished event',
      );
      expect(events.filter((event) => event.type === 'waitingForSource').length).toBeGreaterThan(0);
      // Six chunks waited for two slots; each slot that came free went to the next at once.
      // Waiting out the poll instead would take at least 3 x 10 s.
      const span = Date.parse(events.find((event) => event.type === 'finished')!.at) - Date.parse(events.find((event) => event.type === 'prepared')!.at);
      expect(span).toBeLessThan(10_000);
    } finally {
      services.settings.SIPHON_SESSION_LEASE_SECONDS = lease;
    }
  });

  it('gives a crashed holder\'s slots back when their leases run out; meanwhile plan answers 503 with Retry-After', async () => {
    const id = 'cap-crashed';
    const created = await env.api.post('/api/pipelines', {
      id,
      source: { engine: 'postgres', connectionSetting: testSourceSetting, maxSessions: 2 },
      table: { name: 'items' },
      chunking: { column: 'id', chunks: 2, maxParallel: 2 },
      output: { container: 'sessions' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // A process that took both slots and died: never renewed, never released.
    const key = sourceSlotKey({ engine: 'postgres', connectionSetting: testSourceSetting } as SourceSpec).key;
    const crashedUntil = Date.now() + 2 * leaseSeconds * 1000;
    for (const holder of ['crashed-a', 'crashed-b']) {
      const taken = await services.sourceSlots.tryAcquire(key, holder, { limit: 2, now: new Date(), leaseInMs: crashedUntil - Date.now(), waiterTtlInMs: 10_000 });
      expect(taken.acquired, holder).toBe(true);
    }

    const waitSeconds = services.settings.SIPHON_SESSION_WAIT_SECONDS;
    services.settings.SIPHON_SESSION_WAIT_SECONDS = 1;
    try {
      const plan = await env.api.get(`/api/pipelines/${id}/plan`);
      expect(plan.status, JSON.stringify(plan.body)).toBe(503);
      expect(Number(plan.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(String(plan.body!.detail)).toContain('maxSessions');
    } finally {
      services.settings.SIPHON_SESSION_WAIT_SECONDS = waitSeconds;
    }

    const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
    expect(triggered.status).toBe(202);
    const run = await env.api.waitForRun(triggered.headers.get('location')!);
    expect(run.status, run.error).toBe('succeeded');
    expect(run.rows).toBe(rows);
    // It could only have read once the crashed leases ran out.
    const firstChunk = (await env.api.get(`/api/pipelines/${id}/runs/${run.runId}/chunks`)).body!;
    const starts = (firstChunk.chunks as Array<{ startedAt: string }>).map((chunk) => Date.parse(chunk.startedAt));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(crashedUntil - 50);
    expect(await services.sourceSlots.holders(key, new Date())).toEqual([]);
  });
});
