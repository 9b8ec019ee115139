import { afterEach, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteConnectionString, dataStorage, hostStorage, readSettings, useDevelopmentStorageAt } from '../../src/settings.js';
import { DataFolderInUseError, lockDataFolder } from '../../src/local/dataFolderLock.js';

const runtimeAzurite = azuriteConnectionString({ blob: 'http://127.0.0.1:41001/devstoreaccount1', queue: 'http://127.0.0.1:41002/devstoreaccount1', table: 'http://127.0.0.1:41003/devstoreaccount1' });

afterEach(() => useDevelopmentStorageAt(undefined));

it('resolves UseDevelopmentStorage=true to ports 10000-10002, or to the Azurite npm run local started', () => {
  const settings = readSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', SIPHON_DATA_STORAGE: 'UseDevelopmentStorage=true' });
  expect(dataStorage(settings)).toEqual({ kind: 'connectionString', connectionString: expect.stringContaining('BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;') });
  useDevelopmentStorageAt(runtimeAzurite);
  expect(hostStorage(settings)).toEqual({ kind: 'connectionString', connectionString: runtimeAzurite });
  expect(dataStorage(settings)).toEqual({ kind: 'connectionString', connectionString: runtimeAzurite });
});

it('leaves data storage set elsewhere where it is', () => {
  useDevelopmentStorageAt(runtimeAzurite);
  const lake = 'DefaultEndpointsProtocol=https;AccountName=lake;AccountKey=a2V5;EndpointSuffix=core.windows.net';
  expect(dataStorage(readSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', SIPHON_DATA_STORAGE: lake }))).toEqual({ kind: 'connectionString', connectionString: lake });
  expect(dataStorage(readSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', SIPHON_DATA_STORAGE__accountName: 'lake' }))).toEqual({ kind: 'identity', accountName: 'lake' });
});

it('lets one live process hold a data folder and takes over the claim of a dead one', () => {
  const folder = mkdtempSync(join(tmpdir(), 'siphon-lock-'));
  try {
    // A live process that is not this one (the parent) holds it.
    writeFileSync(join(folder, 'runtime.pid'), String(process.ppid));
    expect(() => lockDataFolder(folder)).toThrow(DataFolderInUseError);
    // A process id no process has (above the kernel's pid_max) is a stale claim.
    writeFileSync(join(folder, 'runtime.pid'), '99999999');
    const lock = lockDataFolder(folder);
    expect(readFileSync(join(folder, 'runtime.pid'), 'utf8')).toBe(String(process.pid));
    lock.release();
    expect(() => readFileSync(join(folder, 'runtime.pid'))).toThrow();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
