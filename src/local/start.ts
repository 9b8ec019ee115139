import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { startAzurite, type AzuriteHandle } from './azurite.js';
import { DataFolderInUseError, lockDataFolder, type DataFolderLock } from './dataFolderLock.js';
import { isPortFree } from './freePort.js';
import { startLocalRuntime, type LocalRuntime } from './localRuntime.js';
import { dataStorage, isDevelopmentStorage, readSettings, useDevelopmentStorageAt, type StorageTarget } from '../settings.js';

/**
 * `npm run local`: the Functions app on this machine without Core Tools. App settings come from
 * the environment, then local.settings.json (as `func start` reads them). When
 * AzureWebJobsStorage is missing or `UseDevelopmentStorage=true`, Azurite is started from
 * node_modules and every `UseDevelopmentStorage=true` means it; its data is kept in .siphon/azurite
 * (or SIPHON_LOCAL_AZURITE_FOLDER) across restarts, or in memory with --in-memory.
 */
const usage = `Usage: npm run local [-- --in-memory]

  --in-memory   keep Azurite's data in memory (lost on stop) instead of .siphon/azurite
  --help        show this help

Settings come from the environment, then local.settings.json (copy local.settings.sample.json).
SIPHON_LOCAL_PORT sets the HTTP port (default 7071), SIPHON_LOCAL_AZURITE_FOLDER the data folder.`;

const localSettingsSchema = z.object({ Values: z.record(z.string(), z.string()).default({}) });

/** Thrown for a problem the user fixes by changing how they start: printed without a stack. */
class StartError extends Error {}

type Options = { inMemory: boolean };

function parseArguments(args: string[]): Options | 'help' {
  const options: Options = { inMemory: false };
  for (const arg of args) {
    if (arg === '--in-memory') options.inMemory = true;
    else if (arg === '--help' || arg === '-h') return 'help';
    else {
      console.error(`Unknown argument ${arg}\n\n${usage}`);
      process.exit(2);
    }
  }
  return options;
}

function loadLocalSettings(): void {
  if (!existsSync('local.settings.json')) return;
  const parsed = localSettingsSchema.safeParse(JSON.parse(readFileSync('local.settings.json', 'utf8')));
  if (!parsed.success) throw new StartError(`local.settings.json: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  // The environment wins, as with func start.
  for (const [name, value] of Object.entries(parsed.data.Values)) process.env[name] ??= value;
}

/** Where output files land, for the banner: never a key, only an endpoint or account name. */
function describeDataStorage(target: StorageTarget, azurite: AzuriteHandle | undefined): string {
  if (target.kind === 'identity') return `storage account ${target.accountName} (managed identity / az login)`;
  if (azurite && target.connectionString === azurite.connectionString) return `the runtime's Azurite (${azurite.endpoints.blob})`;
  const blob = /BlobEndpoint=([^;]+)/i.exec(target.connectionString)?.[1];
  const account = /AccountName=([^;]+)/i.exec(target.connectionString)?.[1];
  return blob ? `${blob} (SIPHON_DATA_STORAGE)` : `storage account ${account ?? '(unnamed)'} (SIPHON_DATA_STORAGE)`;
}

function banner(runtime: LocalRuntime, azurite: AzuriteHandle | undefined): string {
  const lines = [`Siphon local runtime ready on ${runtime.url}/api`, `  Dashboard:      ${runtime.url}/api/ui/`];
  if (azurite) {
    lines.push(
      `  Azurite blob:   ${azurite.endpoints.blob}`,
      `  Azurite queue:  ${azurite.endpoints.queue}`,
      `  Azurite table:  ${azurite.endpoints.table}`,
      // The well-known Azurite development key, public by design: printed for the local Azurite only.
      `  Connection string (Azure Storage Explorer): ${azurite.connectionString}`,
      `  Data kept in:   ${azurite.location ?? 'memory (lost when this process stops; drop --in-memory to keep it)'}`,
    );
  } else {
    lines.push('  Host storage:   AzureWebJobsStorage (no Azurite started)');
  }
  lines.push(`  Output files:   ${describeDataStorage(dataStorage(readSettings()), azurite)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  if (options === 'help') {
    console.log(usage);
    return;
  }
  loadLocalSettings();
  const port = Number(process.env.SIPHON_LOCAL_PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartError(`SIPHON_LOCAL_PORT ${process.env.SIPHON_LOCAL_PORT} is not a port number`);
  // Checked before anything starts: a second runtime must not resume (and so run twice) the
  // orchestrations of the one already serving this port.
  if (port !== 0 && !(await isPortFree(port))) {
    throw new StartError(`Port ${port} is in use (another npm run local is probably running). Stop it, or start this one on another port: SIPHON_LOCAL_PORT=${port + 1} npm run local`);
  }

  let azurite: AzuriteHandle | undefined;
  let lock: DataFolderLock | undefined;
  let runtime: LocalRuntime | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await runtime?.stop();
    } finally {
      await azurite?.stop();
      lock?.release();
      process.exit(code);
    }
  };
  // A second Ctrl-C while stopping exits at once; Azurite stops through its watchdog.
  const onSignal = () => (stopping ? process.exit(130) : void shutdown(0));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  try {
    const storage = process.env.AzureWebJobsStorage;
    if (!storage || isDevelopmentStorage(storage)) {
      const location = options.inMemory ? undefined : resolve(process.env.SIPHON_LOCAL_AZURITE_FOLDER ?? '.siphon/azurite');
      if (location) lock = lockDataFolder(location);
      azurite = await startAzurite({ location });
      useDevelopmentStorageAt(azurite.connectionString);
      process.env.AzureWebJobsStorage = azurite.connectionString;
    }
    runtime = await startLocalRuntime({ port });
  } catch (err) {
    await azurite?.stop();
    lock?.release();
    throw err;
  }
  console.log(banner(runtime, azurite));
}

main().catch((err: unknown) => {
  console.error(err instanceof StartError || err instanceof DataFolderInUseError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
