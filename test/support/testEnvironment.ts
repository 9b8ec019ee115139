import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { createTestDatabase, type TestDatabase } from './testPostgres.js';
import { apiClient } from './api.js';

export type TestEnvironment = {
  azurite: AzuriteHandle;
  database: TestDatabase;
  runtime: LocalRuntime;
  api: ReturnType<typeof apiClient>;
  stop: () => Promise<void>;
};

/** The app setting that test pipelines name as their source connection. */
export const testSourceSetting = 'SIPHON_TEST_SOURCE';

/**
 * Azurite from node_modules, a fresh PostgreSQL database, and the local Functions runtime on a
 * free port, wired together through app settings exactly as a deployment would be.
 */
export async function startTestEnvironment(label: string, prepareSource: (database: TestDatabase) => Promise<void>): Promise<TestEnvironment> {
  const [azurite, database] = await Promise.all([startAzurite(), createTestDatabase(label)]);
  await prepareSource(database);
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env[testSourceSetting] = database.url;
  const runtime = await startLocalRuntime({ port: 0, timers: false, log: quietLog });
  return {
    azurite,
    database,
    runtime,
    api: apiClient(runtime.url),
    stop: async () => {
      await runtime.stop();
      await azurite.stop();
      await database.drop();
    },
  };
}

export function quietLog(level: string, ...args: unknown[]): void {
  if (level === 'error') console.error(...args);
}
