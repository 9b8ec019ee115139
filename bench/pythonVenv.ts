import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { progress } from './measure.js';

export type BenchVenv = { python: string } | { skipped: string };

/**
 * The Python peers' virtual environment, `.bench-venv/` at the repository root (git-ignored):
 * made with `python3 -m venv` and the pinned bench/python/requirements.txt on the first run,
 * reused while the requirements file is unchanged (its hash is kept in the venv). Any failure
 * (no python3, no venv module, an index that cannot be reached) is an answer, not an error: the
 * bench goes on without the Python peers and says why.
 */
export async function ensureBenchVenv(root: string): Promise<BenchVenv> {
  const folder = join(root, '.bench-venv');
  const requirements = join(root, 'bench', 'python', 'requirements.txt');
  const python = join(folder, 'bin', 'python');
  const stamp = join(folder, '.requirements.sha256');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) return { python };
  try {
    progress(`Python peers: making ${folder} (python3 -m venv, then pip install -r bench/python/requirements.txt; once, reused after)`);
    await run('python3', ['-m', 'venv', '--clear', folder]);
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '--only-binary', ':all:', '-r', requirements], (line) => {
      if (/^(Collecting|Installing|Successfully)/.test(line)) progress(`  pip: ${line.slice(0, 150)}`);
    });
    writeFileSync(stamp, `${wanted}\n`);
    progress('Python peers: venv ready');
    return { python };
  } catch (err) {
    return { skipped: `the bench venv could not be made (${err instanceof Error ? err.message : String(err)})` };
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
