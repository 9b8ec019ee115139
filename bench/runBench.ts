import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../src/local/azurite.js';
import { chunkBalance } from './chunkBalance.js';
import { formatFixed, formatInteger, progress, timed } from './measure.js';
import { measureRun, type MeasureRunInput, type MeasureRunOutput } from './measureRunProtocol.js';
import { methodIds, methods, type MethodId } from './methods.js';
import { orchestrationOverhead, type OverheadResult } from './orchestrationOverhead.js';
import { ensureBenchVenv } from './pythonVenv.js';
import { report, type BenchReport, type EngineResult } from './report.js';
import { benchContainer } from './runner.js';
import {
  createMariadbDatabase, createMixedTable, createPostgresDatabase, createSkewedTable, databaseName, mixedColumns,
  skewedKeyMax, type EngineName, type KeyRange, type SourceDatabase,
} from './sourceTables.js';

/**
 * `npm run bench`: per engine (PostgreSQL, MariaDB), one chunk copied by Siphon in its default
 * configuration side by side with the wire's read limit and the strongest peer scripts (DuckDB
 * from server-made CSV, ConnectorX, dlt), every run in a child process of its own, methods
 * alternating, median of the rounds: rows/s, MB/s, CPU s per million rows, peak RSS; Siphon's CPU
 * split into phases; Siphon's peak RSS at 1M vs 5M rows; chunk balance on a skewed key; the local
 * runtime's orchestration overhead per chunk. Knobs: SIPHON_BENCH_ROWS, SIPHON_BENCH_BIG_ROWS,
 * SIPHON_BENCH_REPEATS, SIPHON_BENCH_ENGINES=postgres,mariadb, SIPHON_BENCH_RECONCILE_SESSIONS=2 (PostgreSQL
 * reconciled in a second session sharing the read's snapshot, not in the read's transaction), SIPHON_BENCH_OVERHEAD=0 (skip the
 * runtime part), SIPHON_BENCH_PYTHON=0 (skip the Python peers and their venv),
 * SIPHON_BENCH_ONLY=transforms (only the plain copy and the copy with five transforms, side by
 * side: no peers, no big table, no chunk balance, no runtime part), SIPHON_BENCH_ONLY=hashdiff (only
 * the plain copy and the hashDiff copy with 1% changed, side by side, and both at the big size for
 * peak RSS; every hashDiff run's output is read back afterwards and must be exactly the changes
 * made, or the bench fails: no peers, no chunk balance, no runtime part), SIPHON_BENCH_ONLY=reconcile (the plain
 * copy and the copy with per-chunk reconciliation, side by side: no peers, no big table, no chunk
 * balance, no runtime part).
 */
const rows = Number(process.env.SIPHON_BENCH_ROWS ?? 1_000_000);
const bigRows = Number(process.env.SIPHON_BENCH_BIG_ROWS ?? 5_000_000);
const repeats = Number(process.env.SIPHON_BENCH_REPEATS ?? 3);
const wantedEngines = (process.env.SIPHON_BENCH_ENGINES ?? 'postgres,mariadb').split(',') as EngineName[];
const onlyReconcile = process.env.SIPHON_BENCH_ONLY === 'reconcile';
/** Transforms and reconcile runs are the same shape: two methods side by side and nothing else. */
const onlyTransforms = process.env.SIPHON_BENCH_ONLY === 'transforms' || onlyReconcile;
const onlyHashDiff = process.env.SIPHON_BENCH_ONLY === 'hashdiff';
const overheadEnabled = process.env.SIPHON_BENCH_OVERHEAD !== '0' && !onlyTransforms && !onlyHashDiff;
const pythonEnabled = process.env.SIPHON_BENCH_PYTHON !== '0' && !onlyTransforms && !onlyHashDiff;
/** The warm-up each child runs before its measured run: a tenth of the chunk, at most 100k rows. */
const warmRows = Math.min(100_000, Math.ceil(rows / 10));
const skewedRows = rows;
const balanceChunks = 16;
const overheadChunks = 100;
const overheadRowsPerChunk = 10;
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

const inclusive = (upper: number): KeyRange => ({ lower: '1', upper: String(upper), upperInclusive: true });

async function main(): Promise<void> {
  const startedAt = Date.now();
  const load = () => loadavg().map((value) => value.toFixed(1)).join(' ');
  console.log(`Siphon bench: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, load average ${load()} at start`);
  progress(`Starting Azurite (in memory); databases ${databaseName}`);
  const databases: SourceDatabase[] = [];
  let azurite: AzuriteHandle | undefined;
  const scratchDir = mkdtempSync(join(tmpdir(), 'siphon-bench-'));
  const cleanup = async () => {
    await Promise.allSettled([...databases.map((db) => db.drop()), azurite?.stop()]);
    rmSync(scratchDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    progress('Interrupted: dropping the bench databases');
    // Dropping a database ends its open sessions, whose clients then report errors: expected now.
    process.on('uncaughtException', () => undefined);
    void cleanup().finally(() => process.exit(130));
  });

  const notes: string[] = [];
  const engineResults: EngineResult[] = [];
  const balance: BenchReport['balance'] = [];
  let overhead: OverheadResult[] = [];
  try {
    const engines = (['postgres', 'mariadb'] as const).filter((engine) => wantedEngines.includes(engine));
    const venv = pythonEnabled ? ensureBenchVenv(repositoryRoot) : Promise.resolve({ skipped: 'SIPHON_BENCH_PYTHON=0' });
    const [started, ...created] = await Promise.all([
      startAzurite(),
      ...engines.map((engine) => (engine === 'postgres' ? createPostgresDatabase() : createMariadbDatabase())),
    ]);
    azurite = started as AzuriteHandle;
    databases.push(...(created as SourceDatabase[]));
    const connectionString = azurite.connectionString;
    await BlobServiceClient.fromConnectionString(connectionString).getContainerClient(benchContainer).createIfNotExists();

    // Engines generate their tables at the same time: each server works mostly on its own.
    progress(onlyTransforms
      ? `Generating tables: mixed_small (${formatInteger(rows)} rows)`
      : onlyHashDiff ? `Generating tables: mixed_small (${formatInteger(rows)} rows), mixed_big (${formatInteger(bigRows)})`
      : `Generating tables: mixed_small (${formatInteger(rows)} rows), mixed_big (${formatInteger(bigRows)}), skewed (${formatInteger(skewedRows)}), tiny (${overheadChunks * overheadRowsPerChunk})`);
    const tableBytes = new Map<EngineName, number>();
    await Promise.all(databases.map(async (db) => {
      const { seconds } = await timed(async () => {
        await createMixedTable(db, 'mixed_small', rows);
        if (!onlyTransforms && !onlyHashDiff) await createSkewedTable(db, 'skewed', skewedRows);
        if (!onlyTransforms) await createMixedTable(db, 'mixed_big', bigRows);
        if (db.engine === 'postgres' && overheadEnabled) await createMixedTable(db, 'tiny', overheadChunks * overheadRowsPerChunk);
        tableBytes.set(db.engine, await db.tableBytes('mixed_small'));
      });
      progress(`  ${db.label}: tables ready in ${seconds.toFixed(1)}s`);
    }));
    const python = await venv;
    if ('skipped' in python) notes.push(`Python peers (ConnectorX, dlt) not run: ${python.skipped}.`);
    const measured = methodIds.filter((id) => (!methods[id].python || 'python' in python)
      && (!onlyTransforms || id === 'siphon' || id === (onlyReconcile ? 'siphon-reconcile' : 'siphon-transforms'))
      && (!onlyHashDiff || id === 'siphon' || id === 'siphon-hashdiff'));

    const inputFor = (db: SourceDatabase, method: MethodId, table: string, count: number): MeasureRunInput => ({
      method, engine: db.engine, url: db.url, table, columns: mixedColumns, key: 'id', range: inclusive(count), warmRange: inclusive(warmRows),
      connectionString, scratchDir, ...('python' in python ? { python: python.python } : {}),
    });

    for (const db of databases) {
      const runs = new Map<MethodId, MeasureRunOutput[]>(measured.map((id) => [id, []]));
      const failed = new Set<MethodId>();
      for (let round = 1; round <= repeats; round++) {
        for (const method of measured) {
          if (failed.has(method)) continue;
          let output: MeasureRunOutput;
          try {
            output = await measureRun(inputFor(db, method, 'mixed_small', rows));
          } catch (err) {
            // A peer that cannot run here is reported and left out; Siphon's own runs must work.
            if (!methods[method].python) throw err;
            failed.add(method);
            runs.delete(method);
            notes.push(`${db.label}: ${method} failed and was left out: ${err instanceof Error ? err.message.split('\n').slice(0, 3).join(' / ') : String(err)}`);
            progress(`  ${db.label} ${method} failed (left out): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
            continue;
          }
          if (output.rows !== rows) throw new Error(`${db.label} ${method} moved ${output.rows} rows, expected ${rows}`);
          if (method === 'siphon-hashdiff') requireVerified(db, output, rows);
          progress(`  ${db.label} round ${round}/${repeats}: ${method.padEnd(13)} ${output.seconds.toFixed(2).padStart(6)}s  CPU ${output.cpuSeconds.toFixed(2).padStart(5)}s  peak RSS ${output.maxRssMb.toFixed(0).padStart(4)} MB`);
          runs.get(method)!.push(output);
        }
      }
      engineResults.push({ engine: db.engine, label: db.label, tableBytes: tableBytes.get(db.engine) ?? 0, runs });
    }

    // Peak RSS at the big size: one Siphon copy per engine, each in its own process; the engines'
    // copies run at the same time to keep the bench short (RSS and CPU are per process).
    if (!onlyTransforms) progress(`  Siphon peak RSS at ${formatInteger(bigRows)} rows (a child process per engine: ${databases.map((db) => db.label).join(', ')})`);
    await Promise.all((onlyTransforms ? [] : databases).map(async (db) => {
      const output = await measureRun(inputFor(db, 'siphon', 'mixed_big', bigRows));
      if (output.rows !== bigRows) throw new Error(`${db.label} mixed_big copy moved ${output.rows} rows, expected ${bigRows}`);
      progress(`    ${db.label}: ${formatInteger(bigRows)} rows in ${output.seconds.toFixed(1)}s, peak RSS ${output.maxRssMb.toFixed(0)} MB`);
      engineResults.find((result) => result.engine === db.engine)!.big = output;
    }));
    // The same for the hashDiff copy (1% changed): its state is merged chunk-wide in key order,
    // so its peak RSS must not grow with the rows either.
    for (const db of onlyTransforms ? [] : databases) {
      const output = await measureRun(inputFor(db, 'siphon-hashdiff', 'mixed_big', bigRows));
      if (output.rows !== bigRows) throw new Error(`${db.label} mixed_big hashDiff read ${output.rows} rows, expected ${bigRows}`);
      requireVerified(db, output, bigRows);
      progress(`    ${db.label}: hashDiff of ${formatInteger(bigRows)} rows in ${output.seconds.toFixed(1)}s (${formatInteger(output.changeRows ?? 0)} change rows), peak RSS ${output.maxRssMb.toFixed(0)} MB`);
      engineResults.find((result) => result.engine === db.engine)!.bigHashDiff = output;
    }

    for (const db of onlyTransforms || onlyHashDiff ? [] : databases) {
      progress(`  ${db.label}: planning ${balanceChunks} chunks of the skewed table, counting rows per chunk`);
      balance.push({ engine: db.label, plans: await chunkBalance(db, 'skewed', 'id', balanceChunks) });
    }

    const postgres = databases.find((db) => db.engine === 'postgres');
    if (overheadEnabled && postgres) {
      progress(`  PostgreSQL: ${overheadChunks} chunks of ${overheadRowsPerChunk} rows through the local runtime`);
      const overheadContainer = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('siphon-bench-runtime');
      await overheadContainer.createIfNotExists();
      overhead = await orchestrationOverhead(postgres, 'tiny', overheadChunks, [1, 4], connectionString, overheadContainer, overheadRowsPerChunk);
    }
  } finally {
    progress('Dropping the bench databases, stopping Azurite');
    await cleanup();
  }

  notes.push(`Load average at the end ${load()} on ${cpus().length} CPU(s): the databases, Azurite and every run share them, and so does any other work on this machine (figures move with it).`);
  console.log(report({
    rows, bigRows, repeats, warmRows, engines: engineResults, balance, balanceChunks, skewedRows, skewedKeyMax: skewedKeyMax(skewedRows),
    overhead, overheadChunks, overheadRowsPerChunk, notes,
  }));
  console.log(`\nTotal bench time ${formatFixed((Date.now() - startedAt) / 1000, 0)}s.`);
  // The local runtime's pollers and clients may hold the event loop open; everything is stopped.
  process.exit(0);
}

/**
 * A hashDiff run's output must have been read back and found exact (its child throws otherwise);
 * this also checks the counts against the perturbation's arithmetic: of every 300 keys one
 * dropped (slot 0), one rehashed (slot 100), and one key added per slot-200 key.
 */
function requireVerified(db: SourceDatabase, output: MeasureRunOutput, count: number): void {
  const verified = output.verified;
  if (!verified) throw new Error(`${db.label} hashDiff of ${count} rows: its output was not verified`);
  const slots = (slot: number) => (count > slot ? Math.floor((count - 1 - slot) / 300) + 1 : 0);
  const want = { inserts: slots(0), updates: slots(100), deletes: slots(200) };
  if (verified.inserts !== want.inserts || verified.updates !== want.updates || verified.deletes !== want.deletes) {
    throw new Error(`${db.label} hashDiff of ${count} rows: verified ${JSON.stringify(verified)}, expected ${JSON.stringify(want)}`);
  }
  progress(`    ${db.label}: hashDiff output verified at ${formatInteger(count)} rows: ${formatInteger(verified.inserts)} inserts, ${formatInteger(verified.updates)} updates, ${formatInteger(verified.deletes)} deletes exactly; new state = source state (read back in ${(output.verifySeconds ?? 0).toFixed(1)}s)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
