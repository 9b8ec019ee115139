import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { startAzurite } from './azurite.js';
import { startLocalRuntime } from './localRuntime.js';

/**
 * `npm run local`: the Functions app on this machine without Core Tools. App settings come from
 * the environment, then local.settings.json (as `func start` reads them). When
 * AzureWebJobsStorage is missing or `UseDevelopmentStorage=true`, Azurite is started from
 * node_modules, in memory, or in SIPHON_LOCAL_AZURITE_FOLDER to keep data across restarts.
 */
const localSettingsSchema = z.object({ Values: z.record(z.string(), z.string()).default({}) });

async function main(): Promise<void> {
  if (existsSync('local.settings.json')) {
    const parsed = localSettingsSchema.parse(JSON.parse(readFileSync('local.settings.json', 'utf8')));
    for (const [name, value] of Object.entries(parsed.Values)) process.env[name] ??= value;
  }
  const storage = process.env.AzureWebJobsStorage;
  let stopAzurite: (() => Promise<void>) | undefined;
  if (!storage || /^UseDevelopmentStorage=true/i.test(storage)) {
    const azurite = await startAzurite({ location: process.env.SIPHON_LOCAL_AZURITE_FOLDER });
    process.env.AzureWebJobsStorage = azurite.connectionString;
    stopAzurite = azurite.stop;
  }
  const port = Number(process.env.SIPHON_LOCAL_PORT ?? 7071);
  const runtime = await startLocalRuntime({ port });
  console.log(`Siphon local runtime ready on ${runtime.url}/api`);

  const shutdown = async () => {
    await runtime.stop();
    await stopAzurite?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
