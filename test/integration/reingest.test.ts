import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { readBackRows, runPipeline, type FinishedRun } from '../support/readBack.js';
import { readManifest } from '../../src/local/manifestReader.js';
import { getServices } from '../../src/services.js';
import { readRunHistory } from '../../src/orchestration/runHistory.js';
import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { openReingestSource } from '../../src/orchestration/prepareReingestRun.js';
import { copyChunk } from '../../src/copy/copyChunk.js';
import { runPathsFor } from '../../src/sink/blobPaths.js';
import { schemaVersionOf } from '../../src/sink/schemaVersion.js';
import { readTargetOf } from '../../src/sources/readTarget.js';

/**
 * Re-ingest of quarantined rows (issue 18, point 4), on PostgreSQL: a run quarantines planted bad
 * rows; corrected rows uploaded (through the CLI) land in a run of their own, read back by DuckDB,
 * and with the good rows and the rows quarantined again add up to the source; a second re-ingest
 * is refused and lands nothing; a re-ingest after the rules changed lands what they now accept;
 * a bad file is refused naming line and column with nothing queued; of two concurrent re-ingests
 * one is queued.
 */
let env: TestEnvironment;
let scratch: string;

const rules = {
  code: { pattern: '^[A-Z]{3}-[0-9]{3}$' },
  amount: { min: '0.00' },
  qty: { min: 1, max: 100 },
};

/** Bad rows planted among 200 good ones: ids 5 and 77 in chunk 0, 150 and 190 in chunk 1. */
const planted = { 5: 'qty 500', 77: 'code bad', 150: 'amount -1.00', 190: 'qty 0, code x' };

const pipeline = (id: string, validation: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  source: { engine: 'postgres', connectionSetting: testSourceSetting },
  table: { schema: 'public', name: 'orders' },
  chunking: { column: 'id', chunks: 2, maxParallel: 2, strategy: 'equalWidth' },
  output: { container: 'reingest' },
  validation,
  ...extra,
});

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'siphon-reingest-'));
  env = await startTestEnvironment('reingest', async (db) => {
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, code text, amount numeric(12,2), qty int, big bigint, at timestamptz(6))`);
    await db.query(`INSERT INTO orders SELECT g, 'ABC-' || lpad(g::text, 3, '0'), g * 1.25, 1 + g % 100, 9007199254740993 + g, TIMESTAMPTZ '2024-05-01 00:00:00+00' + g * interval '1 minute 0.000001 second'
      FROM generate_series(1, 200) g`);
    await db.query(`UPDATE orders SET qty = 500 WHERE id = 5; UPDATE orders SET code = 'bad' WHERE id = 77;
      UPDATE orders SET amount = -1.00 WHERE id = 150; UPDATE orders SET qty = 0, code = 'x' WHERE id = 190`);
  });
});

afterAll(async () => {
  await env?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function container(): ContainerClient {
  return BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient('reingest');
}

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container().listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

/** The `values` of a manifest's quarantine lines, by id (read from the gzip files as stored). */
async function quarantinedValues(manifest: FinishedRun['manifest']): Promise<Map<string, Record<string, string | null>>> {
  const byId = new Map<string, Record<string, string | null>>();
  for (const file of manifest.quarantine?.files ?? []) {
    const text = gunzipSync(await container().getBlockBlobClient(file.path).downloadToBuffer()).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) {
      const values = (JSON.parse(line) as { values: Record<string, string | null> }).values;
      byId.set(values.id!, values);
    }
  }
  return byId;
}

async function finished(runUrl: string): Promise<FinishedRun> {
  const run = await env.api.waitForRun(runUrl);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  return { run, manifest: await readManifest(env.azurite.connectionString, run.manifestPath) };
}

function reingest(pipelineId: string, runId: string, body?: string) {
  return fetch(`${env.runtime.url}/api/pipelines/${pipelineId}/runs/${runId}/reingest`, {
    method: 'POST',
    headers: { 'content-type': body === undefined ? 'application/json' : 'application/x-ndjson' },
    body,
  }).then(async (response) => ({ status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> }));
}

function bufferIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) }, env: {}, readFile: async (path) => readFileSync(path, 'utf8') }, stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('re-ingest of quarantined rows', () => {
  it('lands corrected rows uploaded with the CLI once, in a run of their own, and never moves the watermark', async () => {
    const source = await runPipeline(env, pipeline('orders-fix', { rules }, { incremental: { column: 'id' } }));
    expect(source.manifest.rows).toBe(196);
    expect(source.manifest.quarantine!.rows).toBe(4);
    expect(source.manifest.quarantine!.files.length).toBe(2);
    const services = await getServices();
    const watermarkBefore = await services.watermarks.get('orders-fix');
    const quarantined = await quarantinedValues(source.manifest);
    expect([...quarantined.keys()].sort()).toEqual(Object.keys(planted).sort());

    // As a person would: the quarantine line for id 5 edited in place, the others written as values only;
    // id 190 is still wrong (qty 0) and must go to the new run's own quarantine.
    const line5 = JSON.stringify({ runId: source.run.runId, chunk: 0, key: { id: '5' }, failures: [{ column: 'qty', rule: 'max', message: '500 is above the maximum 100' }], values: { ...quarantined.get('5'), qty: '50' } });
    const corrected = [
      line5,
      JSON.stringify({ values: { ...quarantined.get('77'), code: 'FIX-077' } }),
      '',
      JSON.stringify({ values: { ...quarantined.get('150'), amount: '0.5' } }),
      JSON.stringify({ values: { ...quarantined.get('190'), code: 'FIX-190' } }),
    ].join('\n');
    const file = join(scratch, 'corrected.jsonl');
    writeFileSync(file, corrected);

    const cli = bufferIo();
    const code = await runCli(['--url', env.runtime.url, '-o', 'json', 'runs', 'reingest', source.run.runId, '--pipeline', 'orders-fix', '-f', file, '--wait'], cli.io);
    expect(code, cli.stderr()).toBe(0);
    const shown = JSON.parse(cli.stdout()) as Record<string, any>;
    expect(shown).toMatchObject({ status: 'succeeded', reason: 'reingest', reingestOf: source.run.runId });
    const again = await finished(`/api/pipelines/orders-fix/runs/${shown.runId}`);
    expect(again.manifest.reingestOf).toBe(source.run.runId);
    expect(again.run.outputFolder).toContain(`run=${shown.runId}`);

    const landed = await readBackRows(env, again, 'id');
    expect(landed.map((row) => row.id)).toEqual([5, 77, 150]);
    // Exact values back through text and Parquet: the decimal re-padded, the bigint past 2^53, the microsecond.
    expect(landed[0]).toMatchObject({ qty: 50, amount: '6.25', big: 9007199254740998n, code: 'ABC-005' });
    expect(landed[1]!.code).toBe('FIX-077');
    expect(landed[2]!.amount).toBe('0.50');
    const original = await env.database.query(`SELECT (extract(epoch FROM at) * 1000000)::bigint AS micros FROM orders WHERE id = 77`);
    expect(landed[1]!.at).toBe(BigInt(original[0]!.micros));
    expect(again.run.rowsRejected).toBe(1);
    const requarantined = await quarantinedValues(again.manifest);
    expect([...requarantined.keys()]).toEqual(['190']);
    expect(requarantined.get('190')).toMatchObject({ code: 'FIX-190', qty: '0' });
    // Nothing lost, nothing doubled: the good rows, the corrected rows and those quarantined again are the source.
    const good = await readBackRows(env, source, 'id');
    const sourceCount = Number((await env.database.query('SELECT count(*) AS n FROM orders'))[0]!.n);
    expect(good.length + landed.length + requarantined.size).toBe(sourceCount);
    expect(new Set([...good, ...landed].map((row) => row.id)).size).toBe(good.length + landed.length);

    // A re-ingest reads no source: the watermark is the source run's.
    expect(await services.watermarks.get('orders-fix')).toMatchObject({ runId: watermarkBefore!.runId, value: watermarkBefore!.value });

    // Again: refused naming the re-ingest that landed, and nothing more lands.
    const before = await blobNames('orders-fix/');
    const second = await reingest('orders-fix', source.run.runId, corrected);
    expect(second.status).toBe(409);
    expect(second.body.title).toContain(`already re-ingested by run ${shown.runId}`);
    expect(second.body.detail).toContain('is succeeded');
    const noBody = await reingest('orders-fix', source.run.runId);
    expect(noBody.status).toBe(409);
    const ofItself = await reingest('orders-fix', shown.runId);
    expect(ofItself.status).toBe(409);
    expect(ofItself.body.title).toContain('is itself a re-ingest');
    expect(await blobNames('orders-fix/')).toEqual(before);
    const runs = (await env.api.get('/api/pipelines/orders-fix/runs')).body!.runs as Array<{ runId: string }>;
    expect(runs.map((run) => run.runId).sort()).toEqual([source.run.runId, shown.runId].sort());
    // Read back once more: still the same three rows in the one re-ingest run.
    expect((await readBackRows(env, again, 'id')).map((row) => row.id)).toEqual([5, 77, 150]);
  });

  it('refuses a bad file naming line and column, and after the rules changed lands what they accept; of two concurrent re-ingests one goes', async () => {
    const source = await runPipeline(env, pipeline('orders-rules', { rules }));
    expect(source.manifest.quarantine!.rows).toBe(4);
    const quarantined = await quarantinedValues(source.manifest);
    const services = await getServices();
    const schemaBefore = await services.schemas.current('orders-rules');

    const bad = [
      JSON.stringify({ values: quarantined.get('5') }),
      JSON.stringify({ values: { ...quarantined.get('77'), amount: '12.345' } }),
      JSON.stringify({ values: { ...quarantined.get('150'), colour: 'red' } }),
      '{"values": ',
    ].join('\n');
    const refused = await reingest('orders-rules', source.run.runId, bad);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('line 2: values.amount: 12.345 has more than 2 digits after the point');
    expect(refused.body.detail).toContain('line 3: values.colour: is not a column of the run');
    expect(refused.body.detail).toContain('line 4: (line): is not JSON');
    // Nothing queued, nothing stored, nothing claimed.
    expect(((await env.api.get('/api/pipelines/orders-rules/runs')).body!.runs as unknown[]).length).toBe(1);
    expect((await services.runs.get('orders-rules', source.run.runId))!.reingestRunId).toBeUndefined();
    expect((await blobNames('orders-rules/')).filter((name) => name.includes('_reingest'))).toEqual([]);

    // A rule that names no column of the run fails the re-ingest at prepare, with nothing written;
    // a failed re-ingest lets go of the quarantine, so the next one may go.
    const setRules = async (validation: Record<string, unknown>) => {
      const current = await env.api.get('/api/pipelines/orders-rules');
      const put = await env.api.put('/api/pipelines/orders-rules', pipeline('orders-rules', validation), { 'if-match': current.headers.get('etag')! });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    };
    await setRules({ rules: { nope: { notNull: true } } });
    const failing = await reingest('orders-rules', source.run.runId);
    expect(failing.status).toBe(202);
    const failed = await env.api.waitForRun(failing.headers.get('location')!);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('validation names "nope"');
    expect(await blobNames(`orders-rules/`)).toEqual(expect.not.arrayContaining([expect.stringContaining(failed.runId)]));

    // The rules relaxed: qty and amount are no longer checked, the code pattern still is.
    await setRules({ rules: { code: rules.code } });

    const [first, second] = await Promise.all([reingest('orders-rules', source.run.runId), reingest('orders-rules', source.run.runId)]);
    expect([first.status, second.status].sort()).toEqual([202, 409]);
    const accepted = first.status === 202 ? first : second;
    const loser = first.status === 202 ? second : first;
    expect(loser.body.title).toContain(`already re-ingested by run ${accepted.body.runId}`);

    const again = await finished(accepted.headers.get('location')!);
    const landed = await readBackRows(env, again, 'id');
    // qty 500 and amount -1.00 now pass; the bad codes (77, 190) fail the rule that stayed.
    expect(landed.map((row) => row.id)).toEqual([5, 150]);
    expect(landed[0]).toMatchObject({ qty: 500 });
    expect(landed[1]).toMatchObject({ amount: '-1.00' });
    const requarantined = await quarantinedValues(again.manifest);
    expect([...requarantined.keys()].sort()).toEqual(['190', '77']);
    for (const file of again.manifest.quarantine!.files) expect(file.path).toContain(`/run=${again.run.runId}/_quarantine/`);
    const good = await readBackRows(env, source, 'id');
    expect(good.length + landed.length + requarantined.size).toBe(200);

    // A chunk of the re-ingest copied again (a crash, a retry) writes the same names with the same bytes.
    const stored = (await services.runs.get('orders-rules', again.run.runId))!;
    const chunk = (await services.chunks.get(stored.runId, 1))!;
    const names = [...chunk.files, ...(chunk.quarantine ?? [])].map((entry) => entry.path);
    const bytesBefore = await Promise.all(names.map((name) => container().getBlockBlobClient(name).downloadToBuffer()));
    const reread = await openReingestSource(services, stored, 1);
    const copied = await copyChunk(reread, container(), {
      chunk: 1, range: chunk.range, target: readTargetOf(stored.spec!), output: stored.spec!.output, columns: stored.columns!, orderBy: stored.orderBy!,
      paths: runPathsFor(stored.spec!.output, { pipelineId: 'orders-rules', runId: stored.runId, table: 'orders', schemaVersion: schemaVersionOf(stored.columns!) }),
      validation: stored.spec!.validation, runId: stored.runId,
    }, () => undefined);
    expect([...copied.files.map((entry) => entry.path), ...(copied.quarantine ?? []).map((entry) => entry.path)]).toEqual(names);
    const bytesAfter = await Promise.all(names.map((name) => container().getBlockBlobClient(name).downloadToBuffer()));
    expect(bytesAfter.every((bytes, index) => bytes.equals(bytesBefore[index]!))).toBe(true);

    // Not the pipeline's latest run for the schema or the planner: those still speak of the source run.
    expect((await services.schemas.current('orders-rules'))!.runId).toBe(schemaBefore!.runId);
    expect((await readRunHistory(services, 'orders-rules')).lastRows).toBe(196);
    expect((await reingest('orders-rules', source.run.runId)).status).toBe(409);
  });

  it('answers 404 for an unknown run and 409 for a run without a quarantine', async () => {
    expect((await reingest('orders-fix', '20200101T000000Z-00000000')).status).toBe(404);
    expect((await reingest('no-such-pipeline', '20200101T000000Z-00000000')).status).toBe(404);
    const clean = await runPipeline(env, { ...pipeline('orders-clean', { rules: { qty: { min: 0, max: 1000 } } }), table: { schema: 'public', name: 'orders' } });
    expect(clean.manifest.quarantine!.rows).toBe(0);
    const refused = await reingest('orders-clean', clean.run.runId);
    expect(refused.status).toBe(409);
    expect(refused.body.title).toContain('has no quarantine');
  });
});
