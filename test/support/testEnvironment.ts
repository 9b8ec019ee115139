import { startAzurite, type AzuriteHandle } from '../../src/local/azurite.js';
import { startLocalRuntime, type LocalRuntime } from '../../src/local/localRuntime.js';
import { createTestDatabase, type TestDatabase } from './testPostgres.js';
import { apiClient } from './api.js';

export type SourceDatabase = { url: string; drop: () => Promise<void> };

export type TestEnvironment<D extends SourceDatabase = TestDatabase> = {
  azurite: AzuriteHandle;
  database: D;
  runtime: LocalRuntime;
  api: ReturnType<typeof apiClient>;
  stop: () => Promise<void>;
};

/** The app setting that test pipelines name as their source connection. */
export const testSourceSetting = 'SIPHON_SOURCE_TEST';

export type TestEnvironmentOptions<D extends SourceDatabase> = {
  createDatabase?: (label: string) => Promise<D>;
  /** A host.json of the test's own (shorter queue timeouts, fewer dequeues). */
  hostJsonPath?: string;
  /** Where the runtime's log goes (quietLog: errors only); a test that checks the log captures it. */
  log?: (level: string, ...args: unknown[]) => void;
};

/**
 * Azurite from node_modules, a fresh source database (PostgreSQL unless another is given), and
 * the local Functions runtime on a free port, wired together through app settings exactly as a
 * deployment would be.
 */
export async function startTestEnvironment<D extends SourceDatabase = TestDatabase>(
  label: string,
  prepareSource: (database: D) => Promise<void>,
  options: TestEnvironmentOptions<D> = {},
): Promise<TestEnvironment<D>> {
  // Without createDatabase the source is PostgreSQL, and D is its TestDatabase (the default).
  const createDatabase = options.createDatabase ?? (createTestDatabase as unknown as (label: string) => Promise<D>);
  const [azurite, database] = await Promise.all([startAzurite(), createDatabase(label)]);
  await prepareSource(database);
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env[testSourceSetting] = database.url;
  // As on a developer's machine: no sign-in, a request without a principal may do everything.
  // A test of sign-in sets it to false, or sends X-MS-CLIENT-PRINCIPAL (enforced even so).
  process.env.SIPHON_LOCAL_NO_SIGN_IN = 'true';
  const runtime = await startLocalRuntime({ port: 0, timers: false, log: options.log ?? quietLog, hostJsonPath: options.hostJsonPath });
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
