import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ensurePinnedVenv } from '../../bench/pinnedVenv.js';

/**
 * The Python venv of the independent readers (delta-rs `deltalake`, pyarrow), the repo's
 * git-ignored `.test-venv/` with the pinned test/support/python-requirements.txt, made on first use
 * (bench/pinnedVenv.ts: one maker at a time across the parallel test files).
 */
const root = resolve(import.meta.dirname, '../..');

let ready: Promise<string> | undefined;

/** The venv's python, creating the venv when it is missing or its pins changed. */
export function testPython(): Promise<string> {
  ready ??= ensurePinnedVenv(join(root, '.test-venv'), join(root, 'test/support/python-requirements.txt'));
  return ready;
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
