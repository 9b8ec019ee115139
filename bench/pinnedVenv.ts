import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A Python virtual environment with pinned requirements, for the Python that stands beside
 * Siphon: the bench's peers (ConnectorX, dlt) and the tests' independent readers (delta-rs,
 * pyarrow). Made with `python3 -m venv` and wheels only on first use, reused while the
 * requirements file's hash (kept in the venv) is unchanged. Test files run in parallel processes,
 * so making it holds a lock file (created exclusively); a lock older than ten minutes is a dead
 * maker's and is taken over. Returns the venv's python; fails with the tool's last words.
 */
export async function ensurePinnedVenv(folder: string, requirements: string, onLine: (line: string) => void = () => undefined): Promise<string> {
  const python = join(folder, 'bin', 'python');
  const stamp = join(folder, '.requirements.sha256');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const current = () => existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted;
  if (current()) return python;
  await withLock(`${folder}.lock`, async () => {
    if (current()) return;
    await run('python3', ['-m', 'venv', '--clear', folder]);
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '--only-binary', ':all:', '-r', requirements], onLine);
    writeFileSync(stamp, `${wanted}\n`);
  });
  return python;
}

async function withLock(lockFile: string, work: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      break;
    } catch {
      if (existsSync(lockFile) && Date.now() - statSync(lockFile).mtimeMs > 600_000) rmSync(lockFile, { force: true });
      await new Promise((done) => setTimeout(done, 500));
    }
  }
  try {
    await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/** Runs a command to the end; its stdout lines go to `onLine`, the end of its stderr into the error. */
function run(command: string, args: string[], onLine: (line: string) => void = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4000)));
    createInterface({ input: child.stdout }).on('line', onLine);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const lastLines = stderr.trim().split('\n').filter((line) => !line.startsWith('WARNING: Location')).slice(-3).join(' / ');
      reject(new Error(`${command} ${args.slice(0, 3).join(' ')} ended with ${signal ?? `code ${code}`}${lastLines ? `: ${lastLines}` : ''}`));
    });
  });
}
