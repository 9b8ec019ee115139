import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import { readBackRows } from './readBack.js';
import { testSourceSetting, type SourceDatabase, type TestEnvironment } from './testEnvironment.js';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { customEventNameAttribute, useTelemetryExporter } from '../../src/observability/telemetry.js';

/**
 * The schema contract on one engine (issue 18, points 1 and 2): a table per case, a first run
 * that records the schema, a change through the engine's own DDL, and a second run whose outcome
 * is read back independently: the files through DuckDB, the container's blobs, the timeline.
 */
/** A statement for the source: one text, or one per engine where the double's storage differs (SQL Server). */
export type DriftStatement = string | { pg: string; tsql: string };

export type DriftEngine = {
  engine: 'postgres' | 'mysql' | 'sqlserver';
  /** Source spec fields beside engine and connectionSetting. */
  sourceFields?: Record<string, unknown>;
  /** The table in the pipeline spec, and as SQL (quoted so every engine here reads it). */
  tableSpec: (name: string) => Record<string, string>;
  tableRef: (name: string) => string;
  run: (statement: DriftStatement) => Promise<unknown>;
  /** Creates `name (id int primary key, amount int not null)`, with the engine's own helper where it has one. */
  createTable?: (name: string) => Promise<void>;
  addColumn: (table: string, column: string, type: string) => DriftStatement;
  dropColumn: (table: string, column: string) => DriftStatement;
  /** Changes the type of a NOT NULL column, keeping it NOT NULL. */
  retype: (table: string, column: string, type: string) => DriftStatement;
  /** A 32-bit integer, a 64-bit one, and text: int -> bigint widens, int -> text does not. */
  types: { int: string; bigint: string; text: string };
};

export function describeDrift(label: string, engine: DriftEngine, start: () => Promise<TestEnvironment<SourceDatabase>>): void {
  let env: TestEnvironment<SourceDatabase>;
  const container = `drift-${label}`;
  // The SiphonSchemaDrift customEvents the runs emit (the local runtime runs in this process).
  const telemetry = new InMemoryLogRecordExporter();
  let stopTelemetry: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    stopTelemetry = await useTelemetryExporter(telemetry);
    env = await start();
  });
  afterAll(async () => {
    await stopTelemetry?.();
    await env?.stop();
  });

  function driftTelemetry(runId: string) {
    return telemetry.getFinishedLogRecords()
      .filter((record) => record.attributes[customEventNameAttribute] === 'SiphonSchemaDrift' && record.attributes.runId === runId)
      .map((record) => ({ dimensions: record.attributes, measurements: (record.body as { measurements: Record<string, number> }).measurements }));
  }

  async function table(name: string): Promise<void> {
    if (engine.createTable) await engine.createTable(name);
    else {
      await engine.run(`CREATE TABLE ${engine.tableRef(name)} (id ${engine.types.int} NOT NULL PRIMARY KEY, amount ${engine.types.int} NOT NULL)`);
      await engine.run(`INSERT INTO ${engine.tableRef(name)} (id, amount) VALUES (1, 10), (2, 20)`);
    }
  }

  async function create(id: string, tableName: string, extra: Record<string, unknown> = {}, output: Record<string, unknown> = {}): Promise<void> {
    const created = await env.api.post('/api/pipelines', { id, source: { engine: engine.engine, connectionSetting: testSourceSetting, ...engine.sourceFields }, table: engine.tableSpec(tableName), output: { container, ...output }, ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }

  async function run(id: string): Promise<Record<string, any>> {
    const triggered = await env.api.post(`/api/pipelines/${id}/runs`);
    expect(triggered.status).toBe(202);
    return env.api.waitForRun(triggered.headers.get('location')!);
  }

  async function driftEvents(id: string, runId: string): Promise<Array<Record<string, any>>> {
    const page = await env.api.get(`/api/pipelines/${id}/runs/${runId}/events`);
    expect(page.status).toBe(200);
    return (page.body!.events as Array<Record<string, any>>).filter((event) => event.type === 'drift');
  }

  async function blobsOf(runId: string): Promise<string[]> {
    const names: string[] = [];
    const client = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container);
    for await (const blob of client.listBlobsFlat()) if (blob.name.includes(runId)) names.push(blob.name);
    return names;
  }

  async function blobsUnder(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container).listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  }

  async function blobText(name: string): Promise<string> {
    return (await BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(container).getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
  }

  async function rowsOf(finished: Record<string, any>): Promise<Record<string, unknown>[]> {
    expect(finished.status, finished.error).toBe('succeeded');
    const manifest = await readManifest(env.azurite.connectionString, finished.manifestPath);
    return readBackRows(env, { run: finished, manifest }, 'id');
  }

  describe(`schema drift on ${label}`, () => {
    it('evolves an added column by default: recorded as drift, written, read back; {schemaVersion} changes folder only with the schema', async () => {
      await table('added_evolve');
      await create('added-evolve', 'added_evolve', {}, { pathTemplate: '{pipeline}/v={schemaVersion}/run={runId}/part-{chunk}-{file}' });
      const first = await run('added-evolve');
      // The first run only records the schema: nothing to compare with.
      expect(await driftEvents('added-evolve', first.runId)).toEqual([]);
      expect(first.drift).toBeUndefined();
      await engine.run(engine.addColumn(engine.tableRef('added_evolve'), 'note', engine.types.text));
      await engine.run(`INSERT INTO ${engine.tableRef('added_evolve')} (id, amount, note) VALUES (3, 30, 'new')`);
      const second = await run('added-evolve');
      expect(await rowsOf(second)).toEqual([{ id: 1, amount: 10, note: null }, { id: 2, amount: 20, note: null }, { id: 3, amount: 30, note: 'new' }]);
      const [event] = await driftEvents('added-evolve', second.runId);
      expect(event).toMatchObject({ outcome: 'evolved', comparedWithRun: first.runId });
      expect(JSON.parse(event!.added)).toEqual([{ column: 'note', new: expect.objectContaining({ name: 'note', nullable: true, type: { kind: 'string' } }) }]);
      expect(event!.message).toContain('added "note"');
      expect(second.drift).toMatchObject({ outcome: 'evolved', added: [{ column: 'note' }] });
      // The same drift reaches Application Insights as one customEvent with its counts as numbers.
      expect(driftTelemetry(first.runId)).toEqual([]);
      const [drifted, ...more] = driftTelemetry(second.runId);
      expect(more).toEqual([]);
      expect(drifted!.dimensions).toMatchObject({ pipelineId: 'added-evolve', outcome: 'evolved' });
      expect(String(drifted!.dimensions.changes)).toContain('added "note"');
      expect(drifted!.measurements).toEqual({ columnsAdded: 1, columnsRemoved: 0, columnsRetyped: 0 });

      const third = await run('added-evolve');
      expect(third.drift).toBeUndefined();
      const [m1, m2, m3] = await Promise.all([first, second, third].map((finished) => readManifest(env.azurite.connectionString, finished.manifestPath)));
      // The folder names the version the manifest names; a new schema, a new folder; the same schema, the same token.
      expect(m1!.schemaVersion).toMatch(/^[0-9a-f]{12}$/);
      expect(first.manifestPath).toContain(`/v=${m1!.schemaVersion}/`);
      expect(second.manifestPath).toContain(`/v=${m2!.schemaVersion}/`);
      expect(m2!.schemaVersion).not.toBe(m1!.schemaVersion);
      expect(m3!.schemaVersion).toBe(m2!.schemaVersion);
      expect(third.manifestPath).toContain(`/v=${m2!.schemaVersion}/`);

      // The current schema is the third run's; the history holds each schema once, oldest first.
      const schema = await env.api.get('/api/pipelines/added-evolve/schema');
      expect(schema.status).toBe(200);
      expect((await env.api.get('/api/pipelines/added-evolve/schema?x=1')).status).toBe(400);
      expect(schema.body).toMatchObject({ current: { runId: third.runId, version: m2!.schemaVersion }, contract: { added: 'evolve', removed: 'ignore' } });
      expect(schema.body!.current.columns.map((column: { name: string }) => column.name)).toEqual(['id', 'amount', 'note']);
      expect(schema.body!.history.map((entry: { runId: string; version: string }) => [entry.runId, entry.version])).toEqual([[first.runId, m1!.schemaVersion], [second.runId, m2!.schemaVersion]]);
    });

    it('freezes an added column: the run fails naming it, with nothing written', async () => {
      await table('added_freeze');
      await create('added-freeze', 'added_freeze', { schemaContract: { added: 'freeze' } });
      await run('added-freeze');
      await engine.run(engine.addColumn(engine.tableRef('added_freeze'), 'secret_note', engine.types.text));
      const second = await run('added-freeze');
      expect(second.status).toBe('failed');
      expect(second.error).toContain('"secret_note"');
      expect(second.manifestPath).toBeUndefined();
      expect(await blobsOf(second.runId)).toEqual([]);
      const [event] = await driftEvents('added-freeze', second.runId);
      expect(event).toMatchObject({ outcome: 'frozen' });
      expect(JSON.parse(event!.added)[0].column).toBe('secret_note');
    });

    it('discards an added column: the run reads only the columns it knew', async () => {
      await table('added_discard');
      await create('added-discard', 'added_discard', { schemaContract: { added: 'discardColumn' } });
      await run('added-discard');
      await engine.run(engine.addColumn(engine.tableRef('added_discard'), 'extra', engine.types.int));
      await engine.run(`UPDATE ${engine.tableRef('added_discard')} SET extra = 7`);
      const second = await run('added-discard');
      expect(await rowsOf(second)).toEqual([{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
      expect(second.drift).toMatchObject({ outcome: 'evolved', discarded: ['extra'] });
    });

    it('stops writing a removed column by default, fills it with NULLs under nullFill, and fails on it under freeze', async () => {
      await table('removed_ignore');
      await table('removed_freeze');
      await table('removed_fill');
      await table('removed_fill_delta');
      await create('removed-ignore', 'removed_ignore');
      await create('removed-freeze', 'removed_freeze', { schemaContract: { removed: 'freeze' } });
      await create('removed-fill', 'removed_fill', { schemaContract: { removed: 'nullFill' } });
      await create('removed-fill-delta', 'removed_fill_delta', { schemaContract: { removed: 'nullFill' } }, { format: 'delta' });
      const [, , filledFirst] = await Promise.all([run('removed-ignore'), run('removed-freeze'), run('removed-fill'), run('removed-fill-delta')]);
      for (const name of ['removed_ignore', 'removed_freeze', 'removed_fill', 'removed_fill_delta']) await engine.run(engine.dropColumn(engine.tableRef(name), 'amount'));
      // A Delta table goes on holding the column too: the table check takes the filled column as
      // written (without it, it refuses a table column missing from the run), and the table's
      // schema, its last metaData, still has it as an integer (Siphon's Delta fields are all nullable).
      const filledDelta = await run('removed-fill-delta');
      expect(await rowsOf(filledDelta)).toEqual([{ id: 1, amount: null }, { id: 2, amount: null }]);
      const logs = (await blobsUnder('removed-fill-delta/_delta_log/')).filter((name) => name.endsWith('.json')).sort();
      expect(logs).toHaveLength(2);
      const actions = (await Promise.all(logs.map(blobText))).flatMap((commit) => commit.split('\n').filter(Boolean).map((line) => JSON.parse(line)));
      const metaData = actions.filter((action) => action.metaData).at(-1).metaData;
      expect(JSON.parse(metaData.schemaString).fields.find((field: { name: string }) => field.name === 'amount')).toMatchObject({ type: 'integer', nullable: true });

      // The plan shows the drift the next run would see, and records nothing.
      const planned = await env.api.get('/api/pipelines/removed-fill/plan');
      expect(planned.body).toMatchObject({ valid: true, drift: { comparedWithRun: filledFirst!.runId, outcome: 'evolved', removed: [{ column: 'amount', action: 'nullFill' }], added: [], retyped: [] } });
      const frozenPlan = await env.api.get('/api/pipelines/removed-freeze/plan');
      expect(frozenPlan.body).toMatchObject({ valid: true, drift: { outcome: 'frozen', removed: [{ column: 'amount', action: 'freeze' }] } });
      expect(frozenPlan.body!.warnings).toEqual([expect.stringContaining('the next run would fail: ')]);
      expect((await env.api.get('/api/pipelines/removed-fill/schema')).body!.current.runId).toBe(filledFirst!.runId);

      // The output keeps its schema: the column is there, every value NULL, with its old type.
      const filled = await run('removed-fill');
      expect(await rowsOf(filled)).toEqual([{ id: 1, amount: null }, { id: 2, amount: null }]);
      const manifest = await readManifest(env.azurite.connectionString, filled.manifestPath);
      const [types] = await queryManifestFiles(env.azurite.connectionString, container, manifest, 'SELECT typeof(amount) AS type, count(amount) AS amounts FROM {files} GROUP BY 1');
      expect(types).toEqual({ type: 'INTEGER', amounts: '0' });
      const [fillEvent] = await driftEvents('removed-fill', filled.runId);
      expect(JSON.parse(fillEvent!.nullFilled)).toEqual(['amount']);
      expect(fillEvent!.message).toContain('removed "amount"');
      expect(fillEvent!.message).toContain('(null-filled)');
      const schema = await env.api.get('/api/pipelines/removed-fill/schema');
      expect(schema.body!.current.columns[1]).toMatchObject({ name: 'amount', type: { kind: 'int32' }, nullable: true, nullFilled: true });
      // The next run goes on filling it, and that is no longer drift.
      const again = await run('removed-fill');
      expect(again.drift).toBeUndefined();
      expect(await rowsOf(again)).toEqual([{ id: 1, amount: null }, { id: 2, amount: null }]);
      const ignored = await run('removed-ignore');
      expect(await rowsOf(ignored)).toEqual([{ id: 1 }, { id: 2 }]);
      const [event] = await driftEvents('removed-ignore', ignored.runId);
      expect(JSON.parse(event!.removed)).toEqual([{ column: 'amount', old: expect.objectContaining({ name: 'amount', nullable: false, type: { kind: 'int32' } }) }]);
      const frozen = await run('removed-freeze');
      expect(frozen.status).toBe('failed');
      expect(frozen.error).toContain('columns removed (schemaContract.removed is freeze): "amount"');
      expect(await blobsOf(frozen.runId)).toEqual([]);
    });

    it('evolves a safe widening, refuses any other retype unless the contract says evolve', async () => {
      for (const name of ['retype_widen', 'retype_refused', 'retype_evolve']) await table(name);
      await create('retype-widen', 'retype_widen');
      await create('retype-refused', 'retype_refused');
      await create('retype-evolve', 'retype_evolve', { schemaContract: { retyped: 'evolve' } });
      await Promise.all(['retype-widen', 'retype-refused', 'retype-evolve'].map(run));
      await engine.run(engine.retype(engine.tableRef('retype_widen'), 'amount', engine.types.bigint));
      await engine.run(engine.retype(engine.tableRef('retype_refused'), 'amount', engine.types.text));
      await engine.run(engine.retype(engine.tableRef('retype_evolve'), 'amount', engine.types.text));

      const widened = await run('retype-widen');
      expect(await rowsOf(widened)).toEqual([{ id: 1, amount: 10n }, { id: 2, amount: 20n }]);
      const [event] = await driftEvents('retype-widen', widened.runId);
      const [change] = JSON.parse(event!.retyped);
      expect(change).toMatchObject({ column: 'amount', widening: true, old: { type: { kind: 'int32' } }, new: { type: { kind: 'int64' } } });

      const refused = await run('retype-refused');
      expect(refused.status).toBe('failed');
      expect(refused.error).toMatch(/columns retyped \(not a safe widening.*\): "amount"/);
      expect(await blobsOf(refused.runId)).toEqual([]);
      expect(refused.drift).toMatchObject({ outcome: 'frozen', retyped: [{ column: 'amount', widening: false }] });

      const evolved = await run('retype-evolve');
      expect(await rowsOf(evolved)).toEqual([{ id: 1, amount: '10' }, { id: 2, amount: '20' }]);
      // The schema the next run compares with is the evolved one: no drift again.
      expect((await run('retype-evolve')).drift).toBeUndefined();
    });
  });
}
