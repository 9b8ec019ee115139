import { z } from 'zod';
import { formatZodError } from './spec/formatZodError.js';
import { NonRetryableError } from './errors/errorTypes.js';

/**
 * Every app setting Siphon reads. local.settings.sample.json lists the same names with local
 * defaults, and infra/main.bicep sets them in Azure.
 *
 * Storage is reached either by a connection string (Azurite, local) or by account name with the
 * app's managed identity (`<name>__accountName`, as the Functions host does for AzureWebJobsStorage).
 */
export const settingsSchema = z.object({
  AzureWebJobsStorage: z.string().min(1).optional(),
  AzureWebJobsStorage__accountName: z.string().min(3).optional(),
  SIPHON_DATA_STORAGE: z.string().min(1).optional(),
  SIPHON_DATA_STORAGE__accountName: z.string().min(3).optional(),
  SIPHON_JOB_QUEUE: z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/, 'a storage queue name: 3-63 lowercase letters, digits, single hyphens').default('siphon-jobs'),
  SIPHON_TABLE_PREFIX: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, 'letters and digits, starting with a letter').default('siphon'),
  SIPHON_SCHEDULER_CATCHUP_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  /**
   * A pipeline's source.connectionSetting must start with this, so a spec can name only settings
   * meant to be source connections, never the host's own (AzureWebJobsStorage) or Siphon's.
   */
  SIPHON_SOURCE_SETTING_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*$/, 'letters, digits and underscores with at least one underscore, e.g. SIPHON_SOURCE_')
    .refine((prefix) => !coversOwnSettings(prefix), "must not be a prefix of the host's or Siphon's own settings (AzureWebJobs, FUNCTIONS_, WEBSITE_, SIPHON_DATA_STORAGE, ...)")
    .default('SIPHON_SOURCE_'),
  /**
   * How long after a run ended failed, cancelled or timed out the cleanup sweep deletes its files
   * once more: chunk copies still running at the ending can commit a file after the ending's own
   * cleanup. Longer than a chunk's upload commit can take; 0 sweeps at the next tick.
   */
  SIPHON_CLEANUP_GRACE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(15),
  /**
   * Chunks per sub-orchestration of a large run (orchestration/copyRunOrchestrator.ts): each
   * history holds about two events per chunk of its slice, replayed on every completion. Read at
   * prepare and carried in the prepared run, so a run keeps its slicing across a change.
   */
  SIPHON_CHUNKS_PER_ORCHESTRATION: z.coerce.number().int().min(10).max(1_000).default(100),
  /**
   * The lease on a slot of a source's session semaphore (source.maxSessions,
   * sources/sourceSessions.ts): its holder renews it every third of this while its session is
   * open, and a holder that died frees its slot when it runs out. Longer survives longer stalls
   * of a worker; shorter gives a crashed holder's slot back sooner.
   */
  SIPHON_SESSION_LEASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  /**
   * The longest a session outside the copy of chunks (prepare, plan and validate, quality checks)
   * waits for a slot of its source before giving up (HTTP answers 503 with Retry-After). Chunks
   * wait in their orchestration for as long as the run's timeout allows.
   */
  SIPHON_SESSION_WAIT_SECONDS: z.coerce.number().int().min(0).max(3_600).default(300),
  /** The blob container query jobs (POST /api/queries) write their results to. */
  SIPHON_QUERY_CONTAINER: z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/, 'a blob container name: 3-63 lowercase letters, digits, single hyphens').default('siphon-queries'),
  /** How long a query job's result files and records are kept after it ended; then the query sweep deletes them. */
  SIPHON_QUERY_RETENTION_HOURS: z.coerce.number().min(0).max(24 * 366).default(24),
  /**
   * `true` only where the app runs on a developer's machine (the local runtime sets it, and
   * local.settings.json for func start): a request without a signed-in principal may then do
   * everything. In Azure App Service Authentication signs every caller in, and infra/main.bicep
   * never sets this (test/infra checks it), so a request without a principal is refused there.
   * No default, and anything but `true` keeps sign-in required (see runsWithoutSignIn).
   */
  SIPHON_LOCAL_NO_SIGN_IN: z.enum(['true', 'false'], 'true or false').optional(),
  /** The queue run endings put notifications on (notify/enqueueNotifications.ts); its sender posts them. */
  SIPHON_NOTIFICATION_QUEUE: z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/, 'a storage queue name: 3-63 lowercase letters, digits, single hyphens').default('siphon-notifications'),
  /** Tries per (run, event, target) before the target is reported failing (notify/deliverNotification.ts). */
  SIPHON_NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  /** The wait before the first retry of a send; each later one waits twice the one before, at most an hour (queue visibility is in whole seconds). */
  SIPHON_NOTIFICATION_BACKOFF_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** How long one post to a target may take. */
  SIPHON_NOTIFICATION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** The Telegram Bot API's base URL (a local receiver in tests, a self-hosted Bot API server). */
  SIPHON_TELEGRAM_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org'),
  /**
   * Where people open the dashboard (https://siphon.example.com), for the link in each
   * notification; without it, https://<WEBSITE_HOSTNAME> in Azure and http://127.0.0.1:7071 locally.
   */
  SIPHON_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
});

export type Settings = z.infer<typeof settingsSchema>;

export type StorageTarget =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; accountName: string };

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) throw new NonRetryableError(`Invalid app settings: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/** Where the host's own storage lives: queues, tables, durable history. */
export function hostStorage(settings: Settings): StorageTarget {
  return storageTarget('AzureWebJobsStorage', settings.AzureWebJobsStorage, settings.AzureWebJobsStorage__accountName);
}

/** Where output files land; the host storage unless a separate data lake is configured. */
export function dataStorage(settings: Settings): StorageTarget {
  if (settings.SIPHON_DATA_STORAGE || settings.SIPHON_DATA_STORAGE__accountName) {
    return storageTarget('SIPHON_DATA_STORAGE', settings.SIPHON_DATA_STORAGE, settings.SIPHON_DATA_STORAGE__accountName);
  }
  return hostStorage(settings);
}

function storageTarget(name: string, connectionString: string | undefined, accountName: string | undefined): StorageTarget {
  if (connectionString) return { kind: 'connectionString', connectionString: expandDevelopmentStorage(connectionString) };
  if (accountName) return { kind: 'identity', accountName };
  throw new NonRetryableError(`App setting ${name} (a connection string) or ${name}__accountName (managed identity) is required`);
}

/** The well-known Azurite account, for `UseDevelopmentStorage=true`. */
export const azuriteAccount = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
};

/** Azurite's connection string on the given endpoints, with the well-known account and key. */
export function azuriteConnectionString(endpoints: { blob: string; queue: string; table: string }): string {
  const { name, key } = azuriteAccount;
  return `DefaultEndpointsProtocol=http;AccountName=${name};AccountKey=${key};BlobEndpoint=${endpoints.blob};QueueEndpoint=${endpoints.queue};TableEndpoint=${endpoints.table};`;
}

/** Azurite on its default ports, as `func start` users run it. */
const defaultDevelopmentStorage = azuriteConnectionString({
  blob: `http://127.0.0.1:10000/${azuriteAccount.name}`,
  queue: `http://127.0.0.1:10001/${azuriteAccount.name}`,
  table: `http://127.0.0.1:10002/${azuriteAccount.name}`,
});

let developmentStorage = defaultDevelopmentStorage;

/**
 * The one place `UseDevelopmentStorage=true` is resolved. `npm run local` starts its own Azurite
 * on free ports and calls this, so every setting that says `UseDevelopmentStorage=true`
 * (AzureWebJobsStorage, SIPHON_DATA_STORAGE) means that Azurite instead of ports 10000-10002.
 */
export function useDevelopmentStorageAt(connectionString: string | undefined): void {
  developmentStorage = connectionString ?? defaultDevelopmentStorage;
}

export function isDevelopmentStorage(connectionString: string): boolean {
  return /^UseDevelopmentStorage=true/i.test(connectionString.trim());
}

function expandDevelopmentStorage(connectionString: string): string {
  return isDevelopmentStorage(connectionString) ? developmentStorage : connectionString;
}

/** Prefixes of settings the Functions platform reads. */
const platformSettingPrefix = /^(AzureWebJobs|FUNCTIONS_|WEBSITE_|APPLICATIONINSIGHTS_|AZURE_)/i;

/**
 * Siphon's own settings (the keys of settingsSchema, read when called) and their `__` forms; the
 * prefix setting itself lives under the default prefix, so it is refused by name instead.
 */
function isOwnSetting(name: string): boolean {
  return platformSettingPrefix.test(name) || Object.keys(settingsSchema.shape).some((setting) => name === setting || name.startsWith(`${setting}__`));
}

function coversOwnSettings(prefix: string): boolean {
  return platformSettingPrefix.test(prefix) || Object.keys(settingsSchema.shape).some((setting) => setting !== 'SIPHON_SOURCE_SETTING_PREFIX' && setting.startsWith(prefix));
}

/**
 * Whether a request without a signed-in principal is the developer at the local runtime (see
 * SIPHON_LOCAL_NO_SIGN_IN), read at each request. A value that does not parse counts as `false`:
 * a typo must never open the API.
 */
export function runsWithoutSignIn(env: NodeJS.ProcessEnv = process.env): boolean {
  return settingsSchema.shape.SIPHON_LOCAL_NO_SIGN_IN.safeParse(env.SIPHON_LOCAL_NO_SIGN_IN).data === 'true';
}

/** The configured prefix of source connection settings, read when a spec is checked. */
export function sourceSettingPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = settingsSchema.shape.SIPHON_SOURCE_SETTING_PREFIX.safeParse(env.SIPHON_SOURCE_SETTING_PREFIX);
  if (!parsed.success) throw new NonRetryableError(`Invalid app setting SIPHON_SOURCE_SETTING_PREFIX: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/** Why a pipeline may not name this setting as its source connection; undefined when it may. */
export function sourceSettingProblem(settingName: string, prefix: string): string | undefined {
  if (!settingName.startsWith(prefix) || settingName.length === prefix.length) {
    return `must be the name of an app setting starting with ${prefix} (SIPHON_SOURCE_SETTING_PREFIX), e.g. ${prefix}SALES; other settings, such as the host's AzureWebJobsStorage, are not source connections`;
  }
  if (isOwnSetting(settingName)) return `${settingName} is one of Siphon's own settings, not a source connection`;
  return undefined;
}

/** Reads a source connection string from the app setting a pipeline names (a Key Vault reference in Azure). */
export function readConnectionSetting(settingName: string, env: NodeJS.ProcessEnv = process.env): string {
  // Specs are checked when created; this also holds for specs stored before the rule existed.
  const problem = sourceSettingProblem(settingName, sourceSettingPrefix(env));
  if (problem) throw new NonRetryableError(`source.connectionSetting ${settingName}: ${problem}`);
  const value = env[settingName];
  if (!value) throw new NonRetryableError(`App setting ${settingName}, named by the pipeline's source.connectionSetting, is not set`);
  return value;
}
