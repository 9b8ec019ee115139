import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BlobServiceClient } from '@azure/storage-blob';
import { timed } from './measure.js';
import { benchContainer, type MethodContext, type Runner } from './runner.js';
import { rangeSelect } from './sourceTables.js';

export type PythonPeer = 'connectorx' | 'dlt';

const scripts: Record<PythonPeer, string> = { connectorx: 'connectorx_peer.py', dlt: 'dlt_peer.py' };
const pythonFolder = fileURLToPath(new URL('../../bench/python/', import.meta.url));

/** What bench/python/peer_result.py prints. */
const peerOutput = z.object({
  rows: z.number().int(),
  files: z.array(z.string()),
  seconds: z.number(),
  cpuSeconds: z.number(),
  maxRssMb: z.number(),
});

let runs = 0;

/**
 * A Python peer, one process per run (bench/python/*.py, in the bench venv) that writes Parquet
 * files locally; then this process uploads them with BlockBlobClient.uploadFile, the same upload
 * as the DuckDB peers'. The run's seconds are the script's own (read to file written, without
 * the interpreter start and imports) plus the upload's; its CPU is the script's getrusage plus
 * this process's; its peak RSS the larger of the two processes' (they do not overlap).
 */
export async function openPythonPeer(context: MethodContext, peer: PythonPeer): Promise<Runner> {
  const python = context.python;
  if (!python) throw new Error(`The ${peer} peer needs the bench venv's python`);
  const container = BlobServiceClient.fromConnectionString(context.connectionString).getContainerClient(benchContainer);
  const server = new URL(context.url);
  const withScheme = (scheme: string) => `${scheme}://${server.username}${server.password ? `:${server.password}` : ''}@${server.host}${server.pathname}`;
  return {
    warmUp: false,
    run: async (range) => {
      if (!range.upperInclusive) throw new Error('The Python peers read inclusive key ranges only');
      const name = `${peer}-${process.pid}-${runs++}`;
      const out = join(context.scratchDir, name);
      mkdirSync(out, { recursive: true });
      const args = peer === 'connectorx'
        ? { url: withScheme(context.engine === 'postgres' ? 'postgresql' : 'mysql'), sql: rangeSelect(context.engine, context.table, context.columns, context.key, range), out: join(out, 'chunk.parquet') }
        : { url: withScheme(context.engine === 'postgres' ? 'postgresql+psycopg2' : 'mysql+pymysql'), table: context.table, key: context.key, lower: range.lower, upper: range.upper, out };
      const result = peerOutput.parse(await runPython(python, join(pythonFolder, scripts[peer]), args));
      const blobs = result.files.map((_, index) => container.getBlockBlobClient(`peers/${name}-${index}.parquet`));
      const upload = await timed(() => Promise.all(result.files.map((file, index) => blobs[index]!.uploadFile(file))));
      const sizes = await Promise.all(blobs.map(async (blob) => (await blob.getProperties()).contentLength ?? 0));
      return {
        rows: result.rows,
        bytes: sizes.reduce((a, b) => a + b, 0),
        seconds: result.seconds + upload.seconds,
        external: { cpuSeconds: result.cpuSeconds, maxRssMb: result.maxRssMb },
        cleanup: async () => {
          rmSync(out, { recursive: true, force: true });
          await Promise.all(blobs.map((blob) => blob.deleteIfExists()));
        },
      };
    },
    close: async () => undefined,
  };
}

/** Runs the script with one JSON argument; its last stdout line is its JSON result. */
function runPython(python: string, script: string, args: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // No __pycache__ in the repository's bench/python.
    const child = spawn(python, [script, JSON.stringify(args)], { cwd: pythonFolder, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with code ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
      } catch {
        reject(new Error(`${script} printed no JSON result: ${stdout.slice(-1000)}`));
      }
    });
  });
}
