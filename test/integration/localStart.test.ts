import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { freePort } from '../../src/local/freePort.js';
import { readManifest } from '../../src/local/manifestReader.js';
import { createTestDatabase, type TestDatabase } from '../support/testPostgres.js';
import { apiClient } from '../support/api.js';
import { readBackRows } from '../support/readBack.js';
import { waitFor } from '../support/waitFor.js';

/**
 * The local runtime as a new user meets it: the project's own local.settings.sample.json copied
 * as local.settings.json, `node dist/src/local/start.js` (what `npm run local` runs) started in
 * that folder, only the sample's source setting pointed at a test database through the
 * environment (which wins, as with func start).
 */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const startScript = join(projectRoot, 'dist/src/local/start.js');
const rows = 500;

type Started = { child: ChildProcess; apiUrl: string; connectionString: string; azuritePid: number; stdout: string };
type Exited = { code: number | null; stdout: string; stderr: string; ms: number };

let database: TestDatabase;
let folder: string;
const children = new Set<ChildProcess>();
const azuritePids = new Set<number>();

beforeAll(async () => {
  database = await createTestDatabase('localstart');
  await database.query('CREATE TABLE public.sales (id bigint PRIMARY KEY, amount numeric(12,2), note text)');
  await database.query(`INSERT INTO public.sales SELECT g, g / 100.0, 'sale ' || g FROM generate_series(1, ${rows}) g`);
  folder = mkdtempSync(join(tmpdir(), 'siphon-local-start-'));
  copyFileSync(join(projectRoot, 'local.settings.sample.json'), join(folder, 'local.settings.json'));
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of azuritePids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(folder, { recursive: true, force: true });
  await database?.drop();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes whose parent is pid (Linux /proc). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent id; the command in parentheses may hold spaces.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The settings a developer's shell would not have; the sample decides storage. */
function runtimeEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SIPHON_LOCAL_PORT: String(port), SIPHON_SOURCE_SALES: database.url };
  for (const name of ['AzureWebJobsStorage', 'SIPHON_DATA_STORAGE', 'SIPHON_LOCAL_AZURITE_FOLDER']) delete env[name];
  return env;
}

function spawnRuntime(port: number): ChildProcess {
  const child = spawn(process.execPath, [startScript], { cwd: folder, env: runtimeEnv(port), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Starts the runtime and reads the URLs its banner prints. */
function startRuntime(port: number): Promise<Started> {
  const child = spawnRuntime(port);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    child.stdout!.on('data', (data: Buffer) => {
      stdout += data.toString();
      if (!stdout.includes('Output files:')) return;
      const apiUrl = /ready on (http:\S+)\/api/.exec(stdout)?.[1];
      const connectionString = /Connection string \(Azure Storage Explorer\): (\S+)/.exec(stdout)?.[1];
      const [azuritePid] = childPids(child.pid!);
      if (!apiUrl || !connectionString || !azuritePid) return reject(new Error(`Unexpected banner: ${stdout}`));
      azuritePids.add(azuritePid);
      resolve({ child, apiUrl, connectionString, azuritePid, stdout });
    });
    child.once('exit', (code) => reject(new Error(`runtime exited with ${code}: ${stderr}`)));
  });
}

/** Starts a runtime expected to refuse, and collects what it said. */
function startRefused(port: number): Promise<Exited> {
  const started = Date.now();
  const child = spawnRuntime(port);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
}

async function stop(started: Started, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => started.child.once('exit', resolve));
  started.child.kill(signal);
  await exited;
  await waitFor(async () => isAlive(started.azuritePid), (alive) => !alive, `Azurite ${started.azuritePid} gone after ${signal} of the runtime`, 15_000);
}

it('runs a pipeline from the copied sample settings, keeps it across restarts, refuses a second start and never leaves Azurite behind', async () => {
  const port = await freePort();
  const first = await startRuntime(port);
  expect(first.stdout).toContain(`Data kept in:   ${join(folder, '.siphon/azurite')}`);
  expect(first.stdout).toContain("Output files:   the runtime's Azurite");
  const api = apiClient(first.apiUrl);
  const created = await api.post('/api/pipelines', {
    id: 'sales',
    source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' },
    table: { schema: 'public', name: 'sales' },
    chunking: { column: 'id', chunks: 2 },
    output: { container: 'local-start' },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const triggered = await api.post('/api/pipelines/sales/runs');
  expect(triggered.status).toBe(202);
  const runUrl = triggered.headers.get('location')!;
  const run = await api.waitForRun(runUrl, 60_000);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  const manifest = await readManifest(first.connectionString, run.manifestPath);
  const copied = await readBackRows({ azurite: { connectionString: first.connectionString } }, { run, manifest }, 'id');
  expect(copied).toEqual(Array.from({ length: rows }, (_, i) => ({ id: BigInt(i + 1), amount: ((i + 1) / 100).toFixed(2), note: `sale ${i + 1}` })));

  // SIGTERM stops the runtime and its Azurite; the data stays in .siphon.
  await stop(first, 'SIGTERM');

  const second = await startRuntime(port);
  const restarted = apiClient(second.apiUrl);
  expect((await restarted.get('/api/pipelines/sales')).status).toBe(200);
  expect((await restarted.get(runUrl.replace(first.apiUrl, second.apiUrl))).body!.status).toBe('succeeded');
  // The printed connection string is all Storage Explorer (here a fresh client) needs.
  const blobs = BlobServiceClient.fromConnectionString(second.connectionString).getContainerClient('local-start');
  const names: string[] = [];
  for await (const blob of blobs.listBlobsFlat()) names.push(blob.name);
  expect(names).toContain(run.manifestPath.split('/').slice(1).join('/'));

  // A second start on the busy port fails at once, before Azurite or any orchestration.
  const busy = await startRefused(port);
  expect(busy.code).toBe(1);
  expect(busy.stderr).toContain(`Port ${port} is in use`);
  expect(busy.stderr).toContain('SIPHON_LOCAL_PORT=');
  expect(busy.stdout).not.toMatch(/Resumed|ready on/);
  expect(busy.ms).toBeLessThan(10_000);
  // On another port, the data folder in use is refused the same way.
  const sameFolder = await startRefused(await freePort());
  expect(sameFolder.code).toBe(1);
  expect(sameFolder.stderr).toContain('is in use by process');
  expect(sameFolder.stdout).not.toMatch(/Resumed|ready on/);
  expect((await restarted.get('/api/pipelines/sales')).status).toBe(200);

  // SIGKILL runs no handler in the runtime: its Azurite must still go.
  await stop(second, 'SIGKILL');

  // The killed runtime's claim on the folder is stale: a new start takes it over.
  const third = await startRuntime(port);
  expect((await apiClient(third.apiUrl).get('/api/pipelines/sales')).status).toBe(200);
  await stop(third, 'SIGINT');
});
