import { createGunzip } from 'node:zlib';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { copyChunk } from '../src/copy/copyChunk.js';
import { runPaths } from '../src/sink/blobPaths.js';
import { newRunId } from '../src/jobs/runId.js';
import type { ChunkRange } from '../src/spec/columns.js';
import type { ReadTarget } from '../src/sources/sourceConnector.js';
import { openChunkChanges, type ChunkChanges } from '../src/capture/chunkChanges.js';
import type { RunCapture } from '../src/capture/runCapture.js';
import { StateFileWriter, stateFilePath, stateIndexOf, stateIndexPath } from '../src/capture/stateFiles.js';
import { parseKeyText } from '../src/capture/stateKeys.js';
import { benchContainer, type MethodContext, type Runner } from './runner.js';
import { connectSource, defaultOutput } from './siphonCopy.js';
import type { ExpectedChanges } from './verifyHashDiff.js';

const hashDiffSpec = { changeCapture: { mode: 'hashDiff' as const } };

/**
 * Siphon's hashDiff copy of one chunk (what copyChunkActivity runs for a changeCapture
 * pipeline) against an old state in which 1% of the rows differ: before the timed part, a
 * snapshot diff of the range writes a state, which is then rewritten with every 300th key
 * dropped (an insert), every 300th hash changed (an update) and as many keys added past the
 * maximum (deletes). The timed part reads every row, hashes it, merges it with that state,
 * writes the ~1% change rows as Parquet and the new state. `rows` is the rows read; the setup's
 * CPU is reported apart and left out of the run's. `verify` (called by the measuring process
 * after its time, CPU and peak RSS are taken) reads the output back and checks it is exactly
 * those changes and that the new state equals the snapshot's.
 */
export async function openSiphonHashDiff(context: Pick<MethodContext, 'engine' | 'url' | 'table' | 'key' | 'columns' | 'connectionString' | 'scratchDir'>): Promise<Runner> {
  const container = BlobServiceClient.fromConnectionString(context.connectionString).getContainerClient(benchContainer);
  const blobs = BlobServiceClient.fromConnectionString(context.connectionString);
  const source = await connectSource(context.engine, context.url);
  const target: ReadTarget = { kind: 'table', table: { name: context.table } };
  const { columns } = await source.describe(target);
  const written: string[] = [];

  const diff = async (range: ChunkRange, previous: RunCapture['previous']) => {
    const runId = newRunId(new Date());
    const paths = runPaths({ pipelineId: 'bench-diff', runId, table: context.table });
    const capture: RunCapture = { mode: 'hashDiff', keys: [context.key], version: String(Date.now() * 1000), ...(previous ? { previous } : {}) };
    const opened = await openChunkChanges({ blobs, container, spec: hashDiffSpec, capture, columns, runFolder: paths.folder, chunk: 0, range, window: undefined, where: 'bench' });
    let read = 0;
    const changes: ChunkChanges = { ...opened, rows: (batch) => { read += batch.length; return opened.rows(batch); } };
    const result = await copyChunk(source, container, {
      chunk: 0, range, target, output: defaultOutput, columns, writtenColumns: changes.columns,
      key: { column: context.key, kind: 'integer' }, orderBy: [context.key], paths, changes,
    }, () => undefined);
    written.push(...result.files.map((file) => file.path), stateFilePath(paths.folder, 0));
    return { runId, folder: paths.folder, read, result };
  };

  return {
    run: async (keys) => {
      const range: ChunkRange = { kind: 'range', ...keys };
      const setupCpu = process.cpuUsage();
      const snapshot = await diff(range, undefined);
      const old = await perturbedState(container, snapshot.folder, snapshot.runId, context.key, range);
      written.push(...old.files);
      const setup = process.cpuUsage(setupCpu);
      const started = process.hrtime.bigint();
      const measured = await diff(range, { runId: snapshot.runId, version: '1', container: benchContainer, index: old.index });
      return {
        rows: measured.read,
        bytes: measured.result.bytes,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        excludedCpuSeconds: (setup.user + setup.system) / 1e6,
        changeRows: measured.result.rows,
        // Imported only now: DuckDB's native library must not sit in the measured process's RSS.
        verify: async () => (await import('./verifyHashDiff.js')).verifyHashDiff({
          container, scratchDir: context.scratchDir, key: context.key, columns: context.columns, expected: old.expected,
          changeFiles: measured.result.files.map((file) => file.path), snapshotFiles: snapshot.result.files.map((file) => file.path),
          snapshotState: stateFilePath(snapshot.folder, 0), newState: stateFilePath(measured.folder, 0),
          where: `${context.engine} ${context.table} keys ${keys.lower}..${keys.upper}`,
        }),
        cleanup: async () => {
          await Promise.all(written.splice(0).map((path) => container.getBlockBlobClient(path).deleteIfExists()));
        },
      };
    },
    close: () => source.close(),
  };
}

/**
 * Rewrites a snapshot's state with 1% of it changed (see openSiphonHashDiff), and indexes it;
 * returns the keys changed, which the diff must emit as inserts, updates and deletes.
 */
async function perturbedState(container: ContainerClient, folder: string, runId: string, key: string, range: ChunkRange): Promise<{ index: string; files: string[]; expected: ExpectedChanges }> {
  const oldFolder = `${folder}-old`;
  const writer = new StateFileWriter(container, stateFilePath(oldFolder, 0));
  const download = await container.getBlockBlobClient(stateFilePath(folder, 0)).download();
  let rest = '';
  let line = 0;
  let max = 0n;
  let extra = 0;
  const expected: ExpectedChanges = { inserts: [], updates: [], deletes: [] };
  for await (const bytes of download.readableStreamBody!.pipe(createGunzip())) {
    const text = rest + (bytes as Buffer).toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const entry of lines) {
      const [keyText, hash] = entry.split('\t') as [string, string];
      const stateKey = parseKeyText(keyText);
      max = stateKey[0]!;
      const slot = line++ % 300;
      if (slot === 0) {
        expected.inserts.push(stateKey[0]!);
        continue;
      }
      if (slot === 100) expected.updates.push(stateKey[0]!);
      writer.add(stateKey, slot === 100 ? '0000000000000000' : hash);
      if (slot === 200) extra++;
    }
    await writer.flush();
  }
  for (let i = 1; i <= extra; i++) {
    writer.add([max + BigInt(i)], 'ffffffffffffffff');
    expected.deletes.push(max + BigInt(i));
  }
  await writer.commit();
  const index = stateIndexOf(runId, '1', [key], oldFolder, [{ index: 0, range }]);
  const indexPath = stateIndexPath(oldFolder);
  const body = JSON.stringify(index);
  await container.getBlockBlobClient(indexPath).upload(body, Buffer.byteLength(body));
  return { index: indexPath, files: [indexPath, stateFilePath(oldFolder, 0)], expected };
}
