import { startAzurite } from './azurite.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';
import { startLocalRuntime } from './localRuntime.js';
import { freePort, isPortFree } from './freePort.js';
import { queryManifestFiles, readManifest } from './manifestReader.js';
import { sampleOrdersSql } from './sampleOrders.js';
import { ProgressBar, formatBytes, formatCount } from './progressBar.js';

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
  process.env.SIPHON_SOURCE_DEMO = postgres.connectionString;
  const port = (await isPortFree(7071)) ? 7071 : await freePort();
  const runtime = await startLocalRuntime({ port, log: quietLog });
  say(`Local Functions runtime listening on ${runtime.url}`);

  try {
    const api = (path: string, init?: RequestInit) => fetch(`${runtime.url}${path}`, { ...init, headers: { 'content-type': 'application/json' } });
    const pipeline = {
      id: 'sales-orders',
      description: 'Demo: sales.orders to Parquet',
      source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_DEMO' },
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

/** Counts the rows of the manifest's files with DuckDB, not with our writer. */
async function countRowsWithDuckDb(connectionString: string, manifestAt: string): Promise<number> {
  const manifest = await readManifest(connectionString, manifestAt);
  const [row] = await queryManifestFiles(connectionString, manifestAt.split('/')[0]!, manifest, 'SELECT count(*)::INTEGER AS n FROM {files}');
  return Number(row!.n);
}

function quietLog(level: string, ...args: unknown[]): void {
  if (level === 'error' || level === 'warning') console.error(`[${level}]`, ...args);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
