import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteHandle } from '../src/local/azurite.js';
import { openBareRead, openPlainScript, type Runner } from './baselines.js';
import { chunkBalance, type PlanBalance } from './chunkBalance.js';
import type { CopyOneChunkInput, CopyOneChunkOutput } from './copyOneChunk.js';
import { formatFixed, formatInteger, median, percent, progress, runChild, table, timed } from './measure.js';
import { orchestrationOverhead, type OverheadResult } from './orchestrationOverhead.js';
import { benchContainer, openSiphonCopy } from './siphonCopy.js';
import {
  createMariadbDatabase, createMixedTable, createPostgresDatabase, createSkewedTable, databaseName, mixedColumns,
  skewedKeyMax, type EngineName, type SourceDatabase,
} from './sourceTables.js';

/**
 * `npm run bench`: Siphon's copy path measured side by side with the bare driver and with a plain
 * script, in one run on this machine, per engine available; plus peak memory at 1M vs 5M rows,
 * chunk balance on a skewed key, and orchestration overhead per chunk in the local runtime.
 * Sizes can be lowered for a quick look: SIPHON_BENCH_ROWS, SIPHON_BENCH_BIG_ROWS, SIPHON_BENCH_REPEATS,
 * SIPHON_BENCH_ENGINES=postgres,mariadb, SIPHON_BENCH_OVERHEAD=0 to skip the runtime part.
 */
const rows = Number(process.env.SIPHON_BENCH_ROWS ?? 1_000_000);
const bigRows = Number(process.env.SIPHON_BENCH_BIG_ROWS ?? 5_000_000);
const repeats = Number(process.env.SIPHON_BENCH_REPEATS ?? 3);
const wantedEngines = (process.env.SIPHON_BENCH_ENGINES ?? 'postgres,mariadb').split(',') as EngineName[];
const overheadEnabled = process.env.SIPHON_BENCH_OVERHEAD !== '0';
const skewedRows = rows;
const balanceChunks = 16;
const overheadChunks = 100;
const overheadRowsPerChunk = 10;

const copyScript = fileURLToPath(new URL('./copyOneChunk.js', import.meta.url));

type Method = { id: string; label: string; open: () => Promise<Runner>; diagnostic?: boolean };
type Measured = { engine: string; method: Method; seconds: number[]; rows: number; bytes: number };
type MemoryResult = { engine: string; rows: number; output: CopyOneChunkOutput };
type BalanceResult = { engine: string; plans: PlanBalance[] };

async function main(): Promise<void> {
  const startedAt = Date.now();
  console.log(`Siphon bench: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`);
  progress(`Starting Azurite (in memory); databases ${databaseName}`);
  const databases: SourceDatabase[] = [];
  let azurite: AzuriteHandle | undefined;
  const cleanup = async () => {
    await Promise.allSettled([...databases.map((db) => db.drop()), azurite?.stop()]);
  };
  process.once('SIGINT', () => {
    progress('Interrupted: dropping the bench databases');
    // Dropping a database ends its open sessions, whose clients then report errors: expected now.
    process.on('uncaughtException', () => undefined);
    void cleanup().finally(() => process.exit(130));
  });

  const notes: string[] = [];
  const measured: Measured[] = [];
  const memory: MemoryResult[] = [];
  const balance: BalanceResult[] = [];
  let overhead: OverheadResult[] = [];
  const tableBytes = new Map<string, number>();
  try {
    const engines = (['postgres', 'mariadb'] as const).filter((engine) => wantedEngines.includes(engine));
    const [started, ...created] = await Promise.all([
      startAzurite(),
      ...engines.map((engine) => (engine === 'postgres' ? createPostgresDatabase() : createMariadbDatabase())),
    ]);
    azurite = started as AzuriteHandle;
    databases.push(...(created as SourceDatabase[]));
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(benchContainer);
    await container.createIfNotExists();

    // Engines generate their tables at the same time: each server works mostly on its own.
    progress(`Generating tables: mixed_small (${formatInteger(rows)} rows), mixed_big (${formatInteger(bigRows)}), skewed (${formatInteger(skewedRows)}), tiny (${overheadChunks * overheadRowsPerChunk})`);
    await Promise.all(databases.map(async (db) => {
      const { seconds } = await timed(async () => {
        await createMixedTable(db, 'mixed_small', rows);
        await createSkewedTable(db, 'skewed', skewedRows);
        await createMixedTable(db, 'mixed_big', bigRows);
        if (db.engine === 'postgres' && overheadEnabled) await createMixedTable(db, 'tiny', overheadChunks * overheadRowsPerChunk);
        tableBytes.set(db.label, await db.tableBytes('mixed_small'));
      });
      progress(`  ${db.label}: tables ready in ${seconds.toFixed(1)}s`);
    }));

    for (const db of databases) {
      const methodsFor = (count: number): Method[] => {
        const read = { table: 'mixed_small', columns: mixedColumns, key: 'id', range: { lower: '1', upper: String(count), upperInclusive: true } };
        const chunk = { engine: db.engine, url: db.url, table: 'mixed_small', key: 'id', range: read.range };
        const driver = db.engine === 'postgres' ? 'pg + pg-cursor, 10k batches' : 'mysql2 query().stream()';
        return [
          { id: 'bare', label: `bare driver (${driver}), rows discarded`, open: () => openBareRead(db, read) },
          { id: 'siphon', label: 'Siphon copyChunk -> Parquet snappy -> blob', open: () => openSiphonCopy(chunk, container, 'copy') },
          { id: 'plain', label: 'plain script: driver -> csv-stringify -> uploadStream', open: () => openPlainScript(db, read, container) },
          { id: 'read', label: '  Siphon phase: connector readChunk only', open: () => openSiphonCopy(chunk, container, 'read'), diagnostic: true },
          { id: 'encode', label: '  Siphon phase: copyChunk, upload dropped', open: () => openSiphonCopy(chunk, container, 'encode'), diagnostic: true },
        ];
      };
      // The warm-up (JIT, connections, Azurite) runs each method once on the first fifth of the chunk.
      const warmRows = Math.ceil(rows / 5);
      const warmMethods = methodsFor(warmRows);
      const warmRunners = await Promise.all(warmMethods.map((method) => method.open()));
      try {
        for (const [index, method] of warmMethods.entries()) {
          const { seconds, result } = await timed(() => warmRunners[index]!.run());
          await result.cleanup?.();
          if (result.rows !== warmRows) throw new Error(`${db.label} ${method.id} moved ${result.rows} rows, expected ${warmRows}`);
          progress(`  ${db.label} warm-up (${formatInteger(warmRows)} rows): ${method.id.padEnd(6)} ${seconds.toFixed(2)}s`);
        }
      } finally {
        await Promise.all(warmRunners.map((runner) => runner.close()));
      }
      // Rounds alternate the methods; the phase diagnostics run in the first round only, to keep the bench short.
      const methods = methodsFor(rows);
      const runners = await Promise.all(methods.map((method) => method.open()));
      try {
        const results: Measured[] = methods.map((method) => ({ engine: db.label, method, seconds: [], rows: 0, bytes: 0 }));
        for (let round = 1; round <= repeats; round++) {
          for (const [index, method] of methods.entries()) {
            if (method.diagnostic && round !== 1) continue;
            const { seconds, result } = await timed(() => runners[index]!.run());
            await result.cleanup?.();
            if (result.rows !== rows) throw new Error(`${db.label} ${method.id} moved ${result.rows} rows, expected ${rows}`);
            progress(`  ${db.label} round ${round}/${repeats}: ${method.id.padEnd(6)} ${seconds.toFixed(2)}s`);
            results[index]!.seconds.push(seconds);
            results[index]!.rows = result.rows;
            results[index]!.bytes = result.bytes ?? 0;
          }
        }
        measured.push(...results);
      } finally {
        await Promise.all(runners.map((runner) => runner.close()));
      }
    }

    // One child process per copy, so each peak RSS is that copy's alone; the engines' copies of
    // the same size run at the same time to keep the bench short (RSS is per process).
    for (const [tableName, count] of [['mixed_small', rows], ['mixed_big', bigRows]] as const) {
      progress(`  peak RSS of a ${formatInteger(count)}-row chunk copy (child process per engine: ${databases.map((db) => db.label).join(', ')})`);
      await Promise.all(databases.map(async (db) => {
        const input: CopyOneChunkInput = {
          connectionString: azurite!.connectionString,
          chunk: { engine: db.engine, url: db.url, table: tableName, key: 'id', range: { lower: '1', upper: String(count), upperInclusive: true } },
        };
        const output = await runChild<CopyOneChunkOutput>(copyScript, input);
        if (output.rows !== count) throw new Error(`${db.label} ${tableName} copy moved ${output.rows} rows, expected ${count}`);
        progress(`    ${db.label}: ${formatInteger(count)} rows in ${output.seconds.toFixed(1)}s, peak RSS ${output.maxRssMb.toFixed(0)} MB`);
        memory.push({ engine: db.label, rows: count, output });
      }));
    }

    for (const db of databases) {
      progress(`  ${db.label}: planning ${balanceChunks} chunks of the skewed table, counting rows per chunk`);
      balance.push({ engine: db.label, plans: await chunkBalance(db, 'skewed', 'id', balanceChunks) });
    }

    const postgres = databases.find((db) => db.engine === 'postgres');
    if (overheadEnabled && postgres) {
      progress(`  PostgreSQL: ${overheadChunks} chunks of ${overheadRowsPerChunk} rows through the local runtime`);
      const overheadContainer = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('siphon-bench-runtime');
      await overheadContainer.createIfNotExists();
      overhead = await orchestrationOverhead(postgres, 'tiny', overheadChunks, [1, 4], azurite.connectionString, overheadContainer, overheadRowsPerChunk);
    }
  } finally {
    progress('Dropping the bench databases, stopping Azurite');
    await cleanup();
  }

  console.log(report(measured, tableBytes, memory, balance, overhead, notes));
  console.log(`\nTotal bench time ${((Date.now() - startedAt) / 1000).toFixed(0)}s.`);
  // The local runtime's pollers and clients may hold the event loop open; everything is stopped.
  process.exit(0);
}

function report(measured: Measured[], tableBytes: Map<string, number>, memory: MemoryResult[], balance: BalanceResult[], overhead: OverheadResult[], notes: string[]): string {
  const out: string[] = [];
  const verdicts: string[] = [];

  out.push('', `== Throughput: one chunk of ${formatInteger(rows)} rows of a mixed table (bigint pk, int, numeric(18,4), varchar 24-40, timestamp(6), boolean, date) ==`);
  out.push(`Median of ${repeats} runs after a warm-up, methods alternating; phase rows are single runs (round 1). MB/s = the source table's on-disk data size`);
  out.push(`(PostgreSQL pg_relation_size, MariaDB information_schema.TABLES.DATA_LENGTH) / seconds, the same size for every row of an engine.`);
  out.push(`All methods read the same statement: SELECT <7 columns> FROM t WHERE id >= 1 AND id <= ${rows} ORDER BY id.`);
  const rowsOut: string[][] = [];
  for (const engine of new Set(measured.map((m) => m.engine))) {
    const group = measured.filter((m) => m.engine === engine);
    const bytes = tableBytes.get(engine) ?? 0;
    const seconds = (id: string) => median(group.find((m) => m.method.id === id)?.seconds ?? []);
    const bare = seconds('bare');
    const plainSeconds = seconds('plain');
    for (const m of group) {
      const s = median(m.seconds);
      const output = m.bytes ? `${formatFixed(m.bytes / 1e6)} MB` : '';
      rowsOut.push([engine, m.method.label, formatFixed(s, 2), formatInteger(m.rows / s), formatFixed(bytes / 1e6 / s), percent(bare / s), percent(plainSeconds / s), output]);
    }
    const siphon = seconds('siphon');
    const plain = plainSeconds;
    const vsBare = bare / siphon;
    const vsPlain = plain / siphon;
    verdicts.push(`${vsBare >= 0.8 ? 'MET    ' : 'NOT MET'} ${engine}: Siphon copy at ${percent(vsBare)} of the bare driver (${formatInteger(rows / siphon)} vs ${formatInteger(rows / bare)} rows/s; target >= 80%)`);
    verdicts.push(`${vsPlain >= 1 ? 'FASTER ' : 'SLOWER '} ${engine}: Siphon copy at ${percent(vsPlain)} of the plain csv-stringify script's speed (${formatInteger(rows / siphon)} vs ${formatInteger(rows / plain)} rows/s)`);
  }
  out.push(table(['engine', 'method', 'seconds', 'rows/s', 'MB/s', 'vs bare', 'vs plain', 'output'], rowsOut));
  out.push(`Source table size: ${[...new Set(measured.map((m) => m.engine))].map((engine) => `${engine} ${formatFixed((tableBytes.get(engine) ?? 0) / 1e6)} MB`).join(', ')}`);

  if (memory.length) {
    out.push('', '== Peak memory: a Siphon chunk copy in its own child process (process.resourceUsage().maxRSS) ==');
    const memoryRows: string[][] = [];
    for (const engine of new Set(memory.map((m) => m.engine))) {
      const small = memory.find((m) => m.engine === engine && m.rows === rows)!;
      const big = memory.find((m) => m.engine === engine && m.rows === bigRows)!;
      for (const m of [small, big]) {
        memoryRows.push([engine, formatInteger(m.rows), formatFixed(m.output.seconds, 1), formatFixed(m.output.maxRssMb, 0), percent(m.output.maxRssMb / small.output.maxRssMb), formatFixed(m.output.peakHeapUsedMb, 0), formatFixed(m.output.peakExternalMb, 0)]);
      }
      const growth = big.output.maxRssMb / small.output.maxRssMb - 1;
      verdicts.push(`${growth <= 0.1 ? 'MET    ' : 'NOT MET'} ${engine}: peak RSS ${formatFixed(big.output.maxRssMb, 0)} MB at ${formatInteger(bigRows)} rows vs ${formatFixed(small.output.maxRssMb, 0)} MB at ${formatInteger(rows)} (${growth >= 0 ? '+' : ''}${percent(growth)}; target within 10%)`);
    }
    out.push(table(['engine', 'rows', 'seconds', 'peak RSS MB', `vs ${formatInteger(rows)}`, 'peak heap used MB', 'peak external MB'], memoryRows, 1));
    out.push('Both engines\' copies of a size run at the same time (seconds are not throughput figures). Heap/external: process.memoryUsage() sampled every 100 ms.');
  }

  if (balance.length) {
    out.push('', `== Chunk balance: ${formatInteger(skewedRows)} rows, keys 1..${formatInteger(skewedKeyMax(skewedRows))}, 90% of rows in the lowest 10% of the key range; ${balanceChunks} chunks, rows counted with COUNT(*) ==`);
    const balanceRows: string[][] = [];
    for (const { engine, plans } of balance) {
      for (const plan of plans) balanceRows.push([engine, plan.planner, String(plan.chunks), formatInteger(plan.largest), formatInteger(plan.median), formatFixed(plan.largest / plan.median, 2), formatInteger(plan.total)]);
      const siphon = plans[0]!;
      const equal = plans[1]!;
      verdicts.push(`INFO    ${engine}: largest/median chunk ${formatFixed(siphon.largest / siphon.median, 2)} with Siphon's planner vs ${formatFixed(equal.largest / equal.median, 2)} equal width`);
    }
    out.push(table(['engine', 'planner', 'chunks', 'largest', 'median', 'largest/median', 'rows'], balanceRows));
  }

  if (overhead.length) {
    out.push('', `== Orchestration overhead: ${overheadChunks} chunks of ${overheadRowsPerChunk} rows through startLocalRuntime (HTTP API, queue, orchestrator, activities), PostgreSQL ==`);
    out.push('run = startedAt..endedAt of the run record; activity = median chunk record startedAt..endedAt; copy = copyChunk alone on such a chunk, open connection.');
    const overheadRows = overhead.map((o) => {
      const perChunk = (o.runSeconds * 1000) / o.chunks;
      return [String(o.maxParallel), String(o.chunks), formatFixed(o.triggerToDoneSeconds, 1), formatFixed(o.runSeconds, 1), formatFixed(perChunk, 1), formatFixed(o.activityMs, 1), formatFixed(o.copyMs, 1), formatFixed(perChunk - o.copyMs / o.maxParallel, 1)];
    });
    out.push(table(['maxParallel', 'chunks', 'trigger->done s', 'run s', 'run ms/chunk', 'activity ms', 'copy ms', 'overhead ms/chunk'], overheadRows, 0));
    for (const o of overhead) {
      const perChunk = (o.runSeconds * 1000) / o.chunks;
      verdicts.push(`INFO    orchestration (maxParallel ${o.maxParallel}): ${formatFixed(perChunk - o.copyMs / o.maxParallel, 1)} ms per chunk beyond the copy work (${formatFixed(perChunk, 1)} ms/chunk wall, copy ${formatFixed(o.copyMs, 1)} ms)`);
    }
  }

  out.push('', '== Verdicts ==', ...verdicts);
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
