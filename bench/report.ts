import type { PlanBalance } from './chunkBalance.js';
import { formatFixed, formatInteger, median, percent, table } from './measure.js';
import type { MeasureRunOutput } from './measureRunProtocol.js';
import { methods, type MethodId } from './methods.js';
import type { OverheadResult } from './orchestrationOverhead.js';
import type { EngineName } from './sourceTables.js';

export type EngineResult = {
  engine: EngineName;
  label: string;
  tableBytes: number;
  /** Every measured run of each method, in round order. */
  runs: Map<MethodId, MeasureRunOutput[]>;
  /** Siphon's copy of the big table (peak RSS at bigRows). */
  big?: MeasureRunOutput;
  /** Siphon's hashDiff copy (1% changed) of the big table (peak RSS at bigRows). */
  bigHashDiff?: MeasureRunOutput;
};

export type BenchReport = {
  rows: number;
  bigRows: number;
  repeats: number;
  warmRows: number;
  engines: EngineResult[];
  balance: Array<{ engine: string; plans: PlanBalance[] }>;
  balanceChunks: number;
  skewedRows: number;
  skewedKeyMax: number;
  overhead: OverheadResult[];
  overheadChunks: number;
  overheadRowsPerChunk: number;
  notes: string[];
};

/** Targets of issue 16. */
const targets = { vsPeer: 1.2, vsWire: 0.8, rssGrowth: 0.1, overheadMs: 20, withTransforms: 0.85, reconcile: 1.15 };

type Summary = { seconds: number; rowsPerSecond: number; cpuPerMillion: number; rssMb: number; bytes: number; sourceCpuPerMillion: number; hashPerMillion: number };

function summarize(runs: MeasureRunOutput[] | undefined): Summary | undefined {
  if (!runs?.length) return undefined;
  const perMillion = (value: number, run: MeasureRunOutput) => (value * 1e6) / run.rows;
  const seconds = median(runs.map((run) => run.seconds));
  const sources = runs.filter((run) => run.sourceCpuSeconds !== undefined);
  const hashes = runs.filter((run) => run.hashCpuSeconds !== undefined);
  return {
    seconds,
    rowsPerSecond: runs[0]!.rows / seconds,
    cpuPerMillion: median(runs.map((run) => perMillion(run.cpuSeconds, run))),
    rssMb: median(runs.map((run) => run.maxRssMb)),
    bytes: median(runs.map((run) => run.bytes)),
    sourceCpuPerMillion: sources.length ? median(sources.map((run) => perMillion(run.sourceCpuSeconds!, run))) : Number.NaN,
    hashPerMillion: hashes.length ? median(hashes.map((run) => perMillion(run.hashCpuSeconds!, run))) : Number.NaN,
  };
}

const verdict = (met: boolean) => (met ? 'MET    ' : 'NOT MET');
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');

export function report(bench: BenchReport): string {
  const out: string[] = [];
  const verdicts: string[] = [];
  const { rows } = bench;

  out.push('', `== Throughput: one chunk of ${formatInteger(rows)} rows of a mixed table (bigint pk, int, numeric(18,4) with NULLs, varchar 24-40, timestamp(6), boolean, date) ==`);
  out.push(`Each run in a child process of its own, opened and warmed up on ${formatInteger(bench.warmRows)} rows first (Python peers: a fresh process per run, imports not timed).`);
  out.push(`Methods alternate within a round; median of ${bench.repeats} rounds. All read: SELECT <7 columns> FROM t WHERE id >= 1 AND id <= ${rows} ORDER BY id, one source session.`);
  out.push('MB/s = the source table\'s on-disk size (PostgreSQL pg_relation_size, MariaDB DATA_LENGTH) / seconds. CPU = user + system of the run\'s process, all its');
  out.push('threads (DuckDB\'s, the encoder worker\'s), plus a Python peer\'s own getrusage; never the database server\'s, which only the last column shows');
  out.push('(the PostgreSQL backends\' CPU, or the whole mariadbd process\'s, from /proc; none for the Python peers, whose sessions live and die inside their own process).');
  out.push('Peak RSS = the run process\'s maxRSS (a Python peer: the larger of the Python process and the Node process that uploads its file).');

  for (const engine of bench.engines) {
    const summaries = new Map<MethodId, Summary>();
    for (const [id, runs] of engine.runs) {
      const summary = summarize(runs);
      if (summary) summaries.set(id, summary);
    }
    const wire = summaries.get('wire');
    const siphon = summaries.get('siphon');
    const rowsOut: string[][] = [];
    for (const [id, s] of summaries) {
      rowsOut.push([
        methods[id].label(engine.engine), formatFixed(s.seconds, 2), formatInteger(s.rowsPerSecond), formatFixed(engine.tableBytes / 1e6 / s.seconds),
        formatFixed(s.cpuPerMillion, 2), formatFixed(s.rssMb, 0), s.bytes ? formatFixed(s.bytes / 1e6) : '', wire ? percent(s.rowsPerSecond / wire.rowsPerSecond) : '-',
        formatFixed(s.sourceCpuPerMillion, 2),
      ]);
    }
    out.push('', `-- ${engine.label}: source table ${formatFixed(engine.tableBytes / 1e6)} MB --`);
    out.push(table(['method', 'seconds', 'rows/s', 'MB/s', 'CPU s/M rows', 'peak RSS MB', 'output MB', 'vs wire', engine.engine === 'postgres' ? 'PG backend CPU s/M' : 'mariadbd CPU s/M'], rowsOut, 1));

    const peers = [...summaries].filter(([id]) => methods[id].role === 'peer');
    const strongest = peers.sort((a, b) => b[1].rowsPerSecond - a[1].rowsPerSecond)[0];
    if (siphon && strongest) {
      const [peerId, peer] = strongest;
      const vsPeer = siphon.rowsPerSecond / peer.rowsPerSecond;
      out.push(`Siphon / strongest peer (${peerId}: ${methods[peerId].label(engine.engine).replace(/^peer( \(Python\))?: /, '')}): ${ratio(vsPeer)} rows/s; CPU per million rows ${formatFixed(siphon.cpuPerMillion, 2)} s vs ${formatFixed(peer.cpuPerMillion, 2)} s`);
      verdicts.push(`${verdict(vsPeer >= targets.vsPeer)} ${engine.label}: Siphon ${formatInteger(siphon.rowsPerSecond)} rows/s = ${ratio(vsPeer)} the strongest peer's ${formatInteger(peer.rowsPerSecond)} (${peerId}); target >= ${targets.vsPeer}x`);
      const peerRss = peers.map(([, s]) => s.rssMb);
      const lowestPeer = Math.min(...peerRss);
      verdicts.push(`${verdict(siphon.rssMb < lowestPeer)} ${engine.label}: Siphon peak RSS ${formatFixed(siphon.rssMb, 0)} MB at ${formatInteger(rows)} rows vs the peers' ${peerRss.map((mb) => formatFixed(mb, 0)).join(', ')} MB; target below every peer's`);
    }
    if (siphon && wire) {
      const vsWire = siphon.rowsPerSecond / wire.rowsPerSecond;
      out.push(`Siphon / wire read limit: ${ratio(vsWire)} (${formatInteger(siphon.rowsPerSecond)} vs ${formatInteger(wire.rowsPerSecond)} rows/s)`);
      verdicts.push(`${verdict(vsWire >= targets.vsWire)} ${engine.label}: Siphon at ${ratio(vsWire)} of the wire read limit (${formatInteger(wire.rowsPerSecond)} rows/s); target >= ${targets.vsWire}`);
    }
    const transformed = summaries.get('siphon-transforms');
    if (siphon && transformed) {
      // Issue 18: five transforms cost at most 15% of the copy's throughput.
      const kept = transformed.rowsPerSecond / siphon.rowsPerSecond;
      out.push(`Siphon with 5 transforms / plain copy: ${ratio(kept)} rows/s (${formatInteger(transformed.rowsPerSecond)} vs ${formatInteger(siphon.rowsPerSecond)}); CPU per million rows ${formatFixed(transformed.cpuPerMillion, 2)} s vs ${formatFixed(siphon.cpuPerMillion, 2)} s`);
      verdicts.push(`${verdict(kept >= targets.withTransforms)} ${engine.label}: with 5 transforms Siphon keeps ${ratio(kept)} of its throughput; target >= ${targets.withTransforms}`);
    }
    const reconciled = summaries.get('siphon-reconcile');
    if (siphon && reconciled) {
      // Issue 19: reconciliation costs at most 15% of the copy, the source's CPU included.
      const wallRatio = reconciled.seconds / siphon.seconds;
      const sourceCpu = (s: Summary) => (Number.isFinite(s.sourceCpuPerMillion) ? s.sourceCpuPerMillion : 0);
      const cpuRatio = (reconciled.cpuPerMillion + sourceCpu(reconciled)) / (siphon.cpuPerMillion + sourceCpu(siphon));
      const sourceNote = Number.isFinite(siphon.sourceCpuPerMillion) ? `Siphon ${formatFixed(reconciled.cpuPerMillion, 2)} vs ${formatFixed(siphon.cpuPerMillion, 2)}, source ${formatFixed(reconciled.sourceCpuPerMillion, 2)} vs ${formatFixed(siphon.sourceCpuPerMillion, 2)}` : 'no source CPU figure';
      out.push(`Siphon with reconciliation / plain copy: wall ${formatFixed(wallRatio, 3)}x (${formatFixed(reconciled.seconds, 2)} vs ${formatFixed(siphon.seconds, 2)} s); CPU (Siphon + source) ${formatFixed(cpuRatio, 3)}x per million rows (${sourceNote})`);
      verdicts.push(`${verdict(wallRatio <= targets.reconcile && cpuRatio <= targets.reconcile)} ${engine.label}: reconciliation costs ${formatFixed(wallRatio, 3)}x wall, ${formatFixed(cpuRatio, 3)}x CPU (Siphon + source); target <= ${targets.reconcile}x`);
    }
    const diffed = summaries.get('siphon-hashdiff');
    if (siphon && diffed) {
      // Issue 20: the diff's rows/s next to a plain copy, and its peak RSS flat between sizes.
      out.push(`Siphon hashDiff (1% changed) / plain copy: ${ratio(diffed.rowsPerSecond / siphon.rowsPerSecond)} rows/s (${formatInteger(diffed.rowsPerSecond)} rows read/s vs ${formatInteger(siphon.rowsPerSecond)}); CPU per million rows ${formatFixed(diffed.cpuPerMillion, 2)} s vs ${formatFixed(siphon.cpuPerMillion, 2)} s; peak RSS ${formatFixed(diffed.rssMb, 0)} MB vs ${formatFixed(siphon.rssMb, 0)} MB`);
      const bigDiff = engine.bigHashDiff;
      if (bigDiff) {
        const growth = bigDiff.maxRssMb / diffed.rssMb - 1;
        out.push(`Siphon hashDiff peak RSS: ${formatFixed(diffed.rssMb, 0)} MB at ${formatInteger(rows)} rows, ${formatFixed(bigDiff.maxRssMb, 0)} MB at ${formatInteger(bench.bigRows)} rows (one run, ${formatFixed(bigDiff.seconds, 1)} s, ${formatInteger(bigDiff.rows / bigDiff.seconds)} rows read/s, ${formatInteger(bigDiff.changeRows ?? 0)} change rows)`);
        verdicts.push(`${verdict(growth <= targets.rssGrowth)} ${engine.label}: hashDiff peak RSS ${formatFixed(bigDiff.maxRssMb, 0)} MB at ${formatInteger(bench.bigRows)} rows vs ${formatFixed(diffed.rssMb, 0)} MB at ${formatInteger(rows)} (${growth >= 0 ? '+' : ''}${percent(growth)}); target within ${percent(targets.rssGrowth)}`);
      }
    }
    const diffRuns = engine.runs.get('siphon-hashdiff') ?? [];
    const verified = [...diffRuns, ...(engine.bigHashDiff ? [engine.bigHashDiff] : [])].map((run) => run.verified);
    if (verified.length) {
      // Each run's child read its output back after the measurement (bench/verifyHashDiff.ts) and
      // would have failed the bench on any difference; the counts are those of the first round.
      const first = verified[0];
      const big = engine.bigHashDiff?.verified;
      const bigText = big ? `, ${formatInteger(big.inserts)} / ${formatInteger(big.updates)} / ${formatInteger(big.deletes)} at ${formatInteger(bench.bigRows)} rows` : '';
      const sizes = [formatInteger(rows), ...(big ? [formatInteger(bench.bigRows)] : [])].join(' and ');
      out.push(verified.every((v) => v !== undefined) && first
        ? `hashDiff output verified: ${formatInteger(first.inserts)} inserts, ${formatInteger(first.updates)} updates, ${formatInteger(first.deletes)} deletes exactly at ${formatInteger(rows)} rows (each of ${diffRuns.length} runs)${bigText}; new state = source state (${sizes})`
        : 'hashDiff output NOT verified for every run');
    }
    if (siphon && engine.big) {
      const big = engine.big;
      const growth = big.maxRssMb / siphon.rssMb - 1;
      out.push(`Siphon peak RSS: ${formatFixed(siphon.rssMb, 0)} MB at ${formatInteger(rows)} rows (median of the runs above), ${formatFixed(big.maxRssMb, 0)} MB at ${formatInteger(bench.bigRows)} rows (one run, ${formatFixed(big.seconds, 1)} s; peak heap ${formatFixed(big.peakHeapUsedMb, 0)} MB, off-heap ${formatFixed(big.peakExternalMb, 0)} MB)`);
      verdicts.push(`${verdict(growth <= targets.rssGrowth)} ${engine.label}: Siphon peak RSS ${formatFixed(big.maxRssMb, 0)} MB at ${formatInteger(bench.bigRows)} rows vs ${formatFixed(siphon.rssMb, 0)} MB at ${formatInteger(rows)} (${growth >= 0 ? '+' : ''}${percent(growth)}); target within ${percent(targets.rssGrowth)}`);
    }
    out.push(...phaseTable(engine, summaries));
  }

  if (bench.balance.length) {
    out.push('', `== Chunk balance: ${formatInteger(bench.skewedRows)} rows, keys 1..${formatInteger(bench.skewedKeyMax)}, 90% of rows in the lowest 10% of the key range; ${bench.balanceChunks} chunks, rows counted with COUNT(*) ==`);
    const balanceRows: string[][] = [];
    for (const { engine, plans } of bench.balance) {
      for (const plan of plans) balanceRows.push([engine, plan.planner, String(plan.chunks), formatInteger(plan.largest), formatInteger(plan.median), formatFixed(plan.largest / plan.median, 2), formatInteger(plan.total)]);
      const siphon = plans[0]!;
      const equal = plans[1]!;
      verdicts.push(`INFO    ${engine}: largest/median chunk ${formatFixed(siphon.largest / siphon.median, 2)} with Siphon's planner vs ${formatFixed(equal.largest / equal.median, 2)} equal width`);
    }
    out.push(table(['engine', 'planner', 'chunks', 'largest', 'median', 'largest/median', 'rows'], balanceRows));
  }

  if (bench.overhead.length) {
    out.push('', `== Orchestration overhead: ${bench.overheadChunks} chunks of ${bench.overheadRowsPerChunk} rows through startLocalRuntime (HTTP API, queue, orchestrator, activities), PostgreSQL ==`);
    out.push('run = startedAt..endedAt of the run record; activity = median chunk record startedAt..endedAt; copy = copyChunk alone on such a chunk, open connection.');
    const overheadRows = bench.overhead.map((o) => {
      const perChunk = (o.runSeconds * 1000) / o.chunks;
      return [String(o.maxParallel), String(o.chunks), formatFixed(o.triggerToDoneSeconds, 1), formatFixed(o.runSeconds, 1), formatFixed(perChunk, 1), formatFixed(o.activityMs, 1), formatFixed(o.copyMs, 1), formatFixed(perChunk - o.copyMs / o.maxParallel, 1)];
    });
    out.push(table(['maxParallel', 'chunks', 'trigger->done s', 'run s', 'run ms/chunk', 'activity ms', 'copy ms', 'overhead ms/chunk'], overheadRows, 0));
    for (const o of bench.overhead) {
      const perChunk = (o.runSeconds * 1000) / o.chunks;
      const overheadMs = perChunk - o.copyMs / o.maxParallel;
      verdicts.push(`${verdict(overheadMs < targets.overheadMs)} orchestration (maxParallel ${o.maxParallel}): ${formatFixed(overheadMs, 1)} ms per chunk beyond the copy work (${formatFixed(perChunk, 1)} ms/chunk wall, copy ${formatFixed(o.copyMs, 1)} ms); target < ${targets.overheadMs} ms`);
    }
  }

  out.push('', '== Verdicts ==', ...verdicts);
  if (bench.notes.length) out.push('', ...bench.notes);
  return out.join('\n');
}

/**
 * Siphon's CPU per million rows split into phases by difference between runs that stop at
 * successive points of the same path (medians over the rounds; each a separate process):
 * read = the wire limit's CPU; decode = the connector's readChunk minus the wire; hash = md5 over
 * the output's size, timed apart; encode = copyChunk with the upload dropped minus readChunk
 * minus hash; upload = the full copy minus the copy with the upload dropped.
 */
function phaseTable(engine: EngineResult, summaries: Map<MethodId, Summary>): string[] {
  const cpu = (id: MethodId) => summaries.get(id)?.cpuPerMillion ?? Number.NaN;
  const wire = cpu('wire');
  const read = cpu('siphon-read');
  const encodeRun = cpu('siphon-encode');
  const copy = cpu('siphon');
  const hash = summaries.get('siphon-encode')?.hashPerMillion ?? Number.NaN;
  if (!Number.isFinite(copy) || !Number.isFinite(encodeRun)) return [];
  const phases: Array<[string, number, string]> = [
    ['read', wire, 'the wire read limit run (bytes off the socket, nothing decoded)'],
    ['decode', read - wire, 'connector readChunk (rows dropped) - wire read'],
    ['encode', encodeRun - read - hash, 'copyChunk with upload dropped - readChunk - hash'],
    ['hash', hash, 'md5 over as many bytes as the output, timed apart'],
    ['upload', copy - encodeRun, 'full copy - copyChunk with upload dropped (Azurite\'s own CPU not counted)'],
  ];
  const lines = ['', `Siphon CPU per phase, ${engine.label} (CPU s per million rows; by difference of medians, so a small phase can come out slightly negative in noise):`];
  lines.push(table(['phase', 'CPU s/M rows', 'share', 'how'], [
    ...phases.map(([name, value, how]) => [name, formatFixed(value, 2), percent(value / copy), how]),
    ['total', formatFixed(copy, 2), '100%', 'the full copy run'],
  ], 1).split('\n').map((line) => `  ${line}`).join('\n'));
  lines.push(`  At that cost one fully busy vCPU copies ${formatInteger(1e6 / copy)} rows/s of this table (client side only).`);
  const source = summaries.get('siphon')?.sourceCpuPerMillion ?? Number.NaN;
  if (Number.isFinite(source)) lines.push(`  The PostgreSQL backend spent ${formatFixed(source, 2)} CPU s per million rows serving Siphon's read (${formatFixed(summaries.get('wire')?.sourceCpuPerMillion ?? Number.NaN, 2)} serving the binary COPY).`);
  return lines;
}
