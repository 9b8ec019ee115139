import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../src/local/azurite.js';
import { formatFixed, progress, table } from './measure.js';
import { measureRun } from './measureRunProtocol.js';
import type { MethodId } from './methods.js';
import { benchContainer } from './runner.js';
import type { SiphonMode } from './siphonCopy.js';
import { createMariadbDatabase, createMixedTable, createPostgresDatabase, mixedColumns, type EngineName } from './sourceTables.js';

/**
 * `node dist/bench/profileCopy.js [postgres|mariadb] [copy|encode|read|reconcile] [rows]`: one Siphon chunk
 * copy (the bench's measureRun child, warm-up included) under `node --cpu-prof`, then the
 * functions with the most self time and the self time per package, from the .cpuprofile (kept in
 * the printed folder).
 */
type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

async function main(): Promise<void> {
  const engine = (process.argv[2] ?? 'postgres') as EngineName;
  const mode = (process.argv[3] ?? 'copy') as SiphonMode;
  const rows = Number(process.argv[4] ?? 1_000_000);
  const [azurite, db] = await Promise.all([startAzurite(), engine === 'postgres' ? createPostgresDatabase() : createMariadbDatabase()]);
  try {
    progress(`${db.label}: generating ${rows} rows`);
    await createMixedTable(db, 'mixed', rows);
    const folder = mkdtempSync(join(tmpdir(), 'siphon-profile-'));
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(benchContainer).createIfNotExists();
    const method: MethodId = mode === 'copy' ? 'siphon' : mode === 'encode' ? 'siphon-encode' : mode === 'reconcile' ? 'siphon-reconcile' : 'siphon-read';
    progress(`copying (${mode}) under --cpu-prof into ${folder}`);
    const output = await measureRun({
      method, engine, url: db.url, table: 'mixed', columns: mixedColumns, key: 'id',
      range: { lower: '1', upper: String(rows), upperInclusive: true }, connectionString: azurite.connectionString, scratchDir: folder,
    }, ['--cpu-prof', `--cpu-prof-dir=${folder}`]);
    console.log(`${db.label} ${mode}: ${output.rows} rows in ${output.seconds.toFixed(2)}s, peak RSS ${output.maxRssMb.toFixed(0)} MB; profile in ${folder}`);
    const file = readdirSync(folder).find((name) => name.endsWith('.cpuprofile'))!;
    summarize(JSON.parse(readFileSync(join(folder, file), 'utf8')) as CpuProfile);
  } finally {
    await Promise.allSettled([db.drop(), azurite.stop()]);
  }
}

function summarize(profile: CpuProfile): void {
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = self.get(node.id) ?? 0;
    if (!micros) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, '');
    const key = `${functionName || '(anonymous)'}  ${where ? `${where}:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const pkg = url.includes('/node_modules/') ? url.replace(/^.*\/node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1')
      : url.includes('/dist/') ? `siphon ${url.replace(/^.*\/dist\/((?:src|bench)\/[^/]+).*$/, '$1')}`
        : url.startsWith('node:') ? 'node internals' : functionName.startsWith('(') ? functionName : 'native/other';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  }
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, micros]) => [name, formatFixed(micros / 1000, 0), `${formatFixed((micros / total) * 100, 1)}%`]);
  console.log(`\nSelf time by package (total ${formatFixed(total / 1000, 0)} ms sampled)`);
  console.log(table(['package', 'ms', 'share'], top(byPackage, 15), 1));
  console.log('\nTop functions by self time');
  console.log(table(['function', 'ms', 'share'], top(byFunction, 30), 1));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
