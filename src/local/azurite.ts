import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteAccount } from '../settings.js';
import { freePort } from './freePort.js';

export type AzuriteHandle = { connectionString: string; stop: () => Promise<void> };

export type StartAzuriteOptions = {
  /** A folder to keep data in across restarts; in memory when absent. */
  location?: string;
};

/**
 * Starts Azurite from node_modules on loopback and free ports, with telemetry off. It runs as a
 * child process so its in-memory store is not counted in the copier's own heap, and it is
 * stopped with the process that started it.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('azurite/dist/src/azurite.js');
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    entry,
    '--disableTelemetry', '--silent', '--skipApiVersionCheck', '--loose',
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
  ];
  // In memory, Azurite still writes a debug log and lock files to its working folder; give it a scratch one.
  const cwd = options.location ?? mkdtempSync(join(tmpdir(), 'siphon-azurite-'));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  const stopChild = () => child.kill('SIGTERM');
  process.once('exit', stopChild);
  await waitForListening(child, 3);
  const { name, key } = azuriteAccount;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${name};AccountKey=${key};` +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${name};QueueEndpoint=http://127.0.0.1:${queuePort}/${name};TableEndpoint=http://127.0.0.1:${tablePort}/${name};`;
  return {
    connectionString,
    stop: async () => {
      process.removeListener('exit', stopChild);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Azurite prints one "successfully listening" line per service. */
function waitForListening(child: ChildProcess, services: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let output = '';
    const onData = (data: Buffer) => {
      output += data.toString();
      seen = output.split('successfully listening').length - 1;
      if (seen >= services) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('exit', (code) => reject(new Error(`Azurite exited with code ${code} before it was ready: ${output.slice(-2000)}`)));
  });
}
