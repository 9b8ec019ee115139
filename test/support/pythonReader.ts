import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The Python venv of the independent readers (delta-rs `deltalake`, pyarrow), under the repo's
 * git-ignored `.test-venv/`, created on first use with the pinned versions of
 * test/support/python-requirements.txt and reused while its recorded requirements match. Test
 * files run in parallel processes, so creation holds a lock file (created exclusively); a lock
 * older than ten minutes is a dead creator's and is taken over.
 */
const root = resolve(import.meta.dirname, '../..');
const venv = join(root, '.test-venv');
const requirementsFile = join(root, 'test/support/python-requirements.txt');
const installedRecord = join(venv, 'siphon-requirements.txt');
const lockFile = join(root, '.test-venv.lock');
const run = promisify(execFile);

let ready: Promise<string> | undefined;

/** The venv's python, creating the venv when it is missing or its pins changed. */
export function testPython(): Promise<string> {
  ready ??= ensureVenv();
  return ready;
}

async function ensureVenv(): Promise<string> {
  const python = join(venv, 'bin', 'python');
  const wanted = readFileSync(requirementsFile, 'utf8');
  const current = () => existsSync(python) && existsSync(installedRecord) && readFileSync(installedRecord, 'utf8') === wanted;
  if (current()) return python;
  await withLock(async () => {
    if (current()) return;
    rmSync(venv, { recursive: true, force: true });
    await run('python3', ['-m', 'venv', venv], { timeout: 120_000 });
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirementsFile], { timeout: 600_000 });
    writeFileSync(installedRecord, wanted);
  });
  return python;
}

async function withLock(work: () => Promise<void>): Promise<void> {
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

/** Runs test/support/readDelta.py with one JSON request; its answer, or an `error` when the reader refused. */
export async function askPythonReader<T = Record<string, any>>(request: Record<string, unknown>): Promise<T & { error?: string }> {
  const python = await testPython();
  return new Promise((done, fail) => {
    const child = spawn(python, [join(root, 'test/support/readDelta.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`readDelta.py exited ${code}: ${err}`));
      try {
        done(JSON.parse(out));
      } catch {
        fail(new Error(`readDelta.py printed no JSON: ${out.slice(0, 500)} ${err.slice(0, 500)}`));
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** deltalake's storage options for a table in Azurite, from the blob endpoint (http://127.0.0.1:port/account). */
export function azuriteStorageOptions(blobEndpoint: string, account: { name: string; key: string }): Record<string, string> {
  return { account_name: account.name, account_key: account.key, endpoint: blobEndpoint, allow_http: 'true' };
}
