import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteAccount, azuriteConnectionString } from '../settings.js';
import { freePorts } from './freePort.js';

export type AzuriteEndpoints = { blob: string; queue: string; table: string };

export type AzuriteHandle = {
  connectionString: string;
  endpoints: AzuriteEndpoints;
  /** The folder holding Azurite's data; undefined when it keeps it in memory. */
  location: string | undefined;
  /** The child process's id, so callers can check it is gone. */
  pid: number;
  stop: () => Promise<void>;
};

export type StartAzuriteOptions = {
  /** A folder to keep data in across restarts; in memory when absent. */
  location?: string;
};

/**
 * Runs inside the Azurite child before Azurite itself (`node -e`), so Azurite never outlives the
 * process that started it, even one killed with SIGKILL, which runs no handler: the child holds
 * the read end of a pipe whose only writer is the parent, and the kernel closes it when the
 * parent dies however it dies; the parent id changing is a second sign. Then Azurite is asked to
 * stop with SIGTERM (it closes its servers and saves its data), and exits for sure after 10 s.
 */
const watchdog = `
const parent = process.ppid;
const entry = process.argv[1];
let timer;
const release = () => { clearInterval(timer); process.stdin.destroy(); };
const stop = () => {
  release();
  setTimeout(() => process.exit(0), 10000).unref();
  process.kill(process.pid, 'SIGTERM');
};
process.stdin.on('end', stop).on('error', stop).resume();
timer = setInterval(() => { if (process.ppid !== parent) stop(); }, 1000);
timer.unref();
process.once('SIGTERM', release).once('SIGINT', release);
require(entry);
`;

/**
 * Starts Azurite from node_modules on loopback and free ports, with telemetry off. It runs as a
 * child process so its in-memory store is not counted in the copier's own heap, in a process
 * group of its own so a Ctrl-C reaches the runtime only (which stops Azurite after its own work),
 * and it stops when the process that started it stops or dies (see watchdog).
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('azurite/dist/src/azurite.js');
  const [blobPort, queuePort, tablePort] = (await freePorts(3)) as [number, number, number];
  const args = [
    '-e', watchdog, entry,
    '--disableTelemetry', '--silent', '--skipApiVersionCheck', '--loose',
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
  ];
  if (options.location) mkdirSync(options.location, { recursive: true });
  // In memory, Azurite still writes a debug log and lock files to its working folder; give it a scratch one.
  const scratch = options.location ? undefined : mkdtempSync(join(tmpdir(), 'siphon-azurite-'));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.location ?? scratch, detached: true });
  const stopChild = () => child.kill('SIGTERM');
  process.once('exit', stopChild);
  await waitForListening(child, 3);
  const { name } = azuriteAccount;
  const endpoints = {
    blob: `http://127.0.0.1:${blobPort}/${name}`,
    queue: `http://127.0.0.1:${queuePort}/${name}`,
    table: `http://127.0.0.1:${tablePort}/${name}`,
  };
  return {
    connectionString: azuriteConnectionString(endpoints),
    endpoints,
    location: options.location,
    pid: child.pid!,
    stop: async () => {
      process.removeListener('exit', stopChild);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      // The scratch folder held only Azurite's log and lock files: nothing to keep.
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Azurite prints one "successfully listening" line per service. */
function waitForListening(child: ChildProcess, services: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let output = '';
    const onExit = (code: number | null) => reject(new Error(`Azurite exited with code ${code} before it was ready: ${output.slice(-2000)}`));
    const onData = (data: Buffer) => {
      output += data.toString();
      seen = output.split('successfully listening').length - 1;
      if (seen >= services) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('exit', onExit);
  });
}
