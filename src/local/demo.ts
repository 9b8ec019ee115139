import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from './azurite.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';
import { startLocalRuntime } from './localRuntime.js';
import { freePort } from './freePort.js';
import { sampleOrdersSql } from './sampleOrders.js';
import { ProgressBar, formatBytes, formatCount } from './progressBar.js';
import { manifestSchema } from '../sink/manifest.js';

/**
 * `npm run demo`: the main job end to end on embedded defaults. Azurite and an embedded
 * PostgreSQL start here; a pipeline is created and triggered through the HTTP API; the run goes
 * through the job queue, the orchestrator and its activities; the files are read back by DuckDB.
 */
const rows = Number(process.env.SIPHON_DEMO_ROWS ?? 1_000_000);

async function main(): Promise<void> {
  const started = Date.now();
  const say = (text: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}`);

  say('Starting Azurite (from node_modules) and an embedded PostgreSQL (PGlite over the wire protocol)');
  const [azurite, postgres] = await Promise.all([startAzurite(), startEmbeddedPostgres()]);
  say(`Generating sales.orders with ${formatCount(rows)} rows`);
  await postgres.db.exec(sampleOrdersSql(rows));

  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.SIPHON_DEMO_SOURCE = postgres.connectionString;
  const port = (await isFree(7071)) ? 7071 : await freePort();
  const runtime = await startLocalRuntime({ port, log: quietLog });
  say(`Local Functions runtime listening on ${runtime.url}`);

  try {
    const api = (path: string, init?: RequestInit) => fetch(`${runtime.url}${path}`, { ...init, headers: { 'content-type': 'application/json' } });
    const pipeline = {
      id: 'sales-orders',
      description: 'Demo: sales.orders to Parquet',
      source: { engine: 'postgres', connectionSetting: 'SIPHON_DEMO_SOURCE' },
      table: { schema: 'sales', name: 'orders' },
      chunking: { column: 'id', chunks: 8, maxParallel: 4 },
      output: { container: 'siphon-demo', format: 'parquet', compression: 'snappy' },
    };
    const created = await api('/api/pipelines', { method: 'POST', body: JSON.stringify(pipeline) });
    if (created.status !== 201) throw new Error(`Creating the pipeline answered ${created.status}: ${await created.text()}`);
    say('POST /api/pipelines -> 201');
    const triggered = await api('/api/pipelines/sales-orders/runs', { method: 'POST' });
    if (triggered.status !== 202) throw new Error(`Triggering the run answered ${triggered.status}: ${await triggered.text()}`);
    const runUrl = triggered.headers.get('location')!;
    say(`POST /api/pipelines/sales-orders/runs -> 202, run at ${runUrl}`);

    const bar = new ProgressBar('copying');
    let run: RunView;
    for (;;) {
      run = (await (await api(runUrl)).json()) as RunView;
      bar.update(run.progress.rowsCopied, Math.max(run.rowsEstimate ?? rows, run.progress.rowsCopied));
      if (['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'].includes(run.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    bar.done();
    if (run.status !== 'succeeded') throw new Error(`Run ${run.runId} ended ${run.status}: ${run.error ?? ''}`);

    const seconds = (Date.parse(run.endedAt!) - Date.parse(run.startedAt!)) / 1000;
    say(`Run ${run.runId} succeeded`);
    console.log(`  rows         ${formatCount(run.rows)}`);
    console.log(`  files        ${run.files} Parquet files in ${run.progress.chunksDone} chunks`);
    console.log(`  bytes        ${formatBytes(run.bytes)}`);
    console.log(`  throughput   ${formatCount(Math.round(run.rows / seconds))} rows/s (${seconds.toFixed(1)}s from prepare to manifest)`);
    console.log(`  files at     ${run.outputFolder}/ (manifest: ${run.manifestPath})`);

    const readBack = await countRowsWithDuckDb(azurite.connectionString, run.manifestPath!);
    const matches = readBack === rows && run.rows === rows;
    console.log(`  read back    DuckDB counts ${formatCount(readBack)} rows in the manifest's files; source has ${formatCount(rows)}: ${matches ? 'row count matches' : 'MISMATCH'}`);
    say('Done');
    if (!matches) process.exitCode = 1;
  } finally {
    await runtime.stop();
    await Promise.all([azurite.stop(), postgres.stop()]);
  }
}

type RunView = {
  runId: string; status: string; rows: number; bytes: number; files: number; error?: string; rowsEstimate?: number;
  startedAt?: string; endedAt?: string; outputFolder?: string; manifestPath?: string;
  progress: { rowsCopied: number; chunksDone: number };
};

/** Downloads the files the manifest lists and lets DuckDB, not our writer, count their rows. */
async function countRowsWithDuckDb(connectionString: string, manifestAt: string): Promise<number> {
  const [containerName, ...rest] = manifestAt.split('/');
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName!);
  const manifest = manifestSchema.parse(JSON.parse((await container.getBlockBlobClient(rest.join('/')).downloadToBuffer()).toString('utf8')));
  const folder = mkdtempSync(join(tmpdir(), 'siphon-demo-'));
  try {
    const paths = await Promise.all(manifest.files.map(async (file, index) => {
      const local = join(folder, `${index}.parquet`);
      writeFileSync(local, await container.getBlockBlobClient(file.path).downloadToBuffer());
      return local;
    }));
    const duckdb = await (await DuckDBInstance.create()).connect();
    const result = await duckdb.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet([${paths.map((p) => `'${p}'`).join(', ')}])`);
    return Number(result.getRowObjects()[0]!.n);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function quietLog(level: string, ...args: unknown[]): void {
  if (level === 'error' || level === 'warning') console.error(`[${level}]`, ...args);
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
