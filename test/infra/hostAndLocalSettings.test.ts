import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/settings.js';
import { hostJsonSchema } from '../../src/local/hostSettings.js';
import { formatZodError } from '../../src/spec/formatZodError.js';
import { listRepoFiles, readRepoFile, type TextFile } from './infraChecks.js';
import { functionTimeoutMinutes } from '../../src/copy/chunkBudget.js';
import { deploymentContainerName, reservedContainerProblem, taskHubName } from '../../src/spec/reservedContainers.js';

const schemaKeys = Object.keys(settingsSchema.shape);
const schemaDefaults = settingsSchema.parse({}) as Record<string, unknown>;
const sources: TextFile[] = listRepoFiles('src', '.ts').map((path) => ({ path, text: readRepoFile(path) }));

/** Settings the Functions host or Core Tools read, not our code. */
const hostSettings = new Set(['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsFeatureFlags']);

/** Environment variables the code reads by name (`process.env.X`), not counting assignments. */
function environmentReads(files: TextFile[]): string[] {
  const names = new Set<string>();
  for (const file of files) {
    for (const match of file.text.matchAll(/process\.env(?:\.([A-Za-z_]\w*)\b|\[['"]([^'"]+)['"]\])(?!\s*=[^=])/g)) names.add(match[1] ?? match[2]!);
  }
  return [...names].sort();
}

type LocalSettings = { IsEncrypted?: unknown; Values?: Record<string, unknown>; _comments?: Record<string, string> };

function checkLocalSettings(text: string): string[] {
  const problems: string[] = [];
  const file = JSON.parse(text) as LocalSettings;
  const values = file.Values ?? {};
  const comments = file._comments ?? {};
  if (file.IsEncrypted !== false) problems.push('IsEncrypted must be false');
  for (const [name, value] of Object.entries(values)) if (typeof value !== 'string') problems.push(`Values.${name} is not a string`);
  const parsed = settingsSchema.safeParse(values);
  if (!parsed.success) problems.push(`Values do not pass the settings schema: ${formatZodError(parsed.error)}`);
  const listed = (name: string) => name in values || name in comments;
  for (const key of schemaKeys) {
    if (!listed(key)) problems.push(`${key} (src/settings.ts) is neither in Values nor in _comments`);
    if (key in values && schemaDefaults[key] !== undefined && values[key] !== String(schemaDefaults[key])) {
      problems.push(`Values.${key} is ${String(values[key])}, the schema's default is ${String(schemaDefaults[key])}`);
    }
  }
  for (const name of environmentReads(sources)) if (!listed(name)) problems.push(`${name} is read from process.env in src/ but not listed`);
  for (const name of new Set([...Object.keys(values), ...Object.keys(comments)])) {
    const known = schemaKeys.includes(name) || hostSettings.has(name) || environmentReads(sources).includes(name) || /source\.connectionSetting/.test(comments[name] ?? '');
    if (!known) problems.push(`${name} is listed but nothing reads it`);
    if (!(name in comments)) problems.push(`${name} has no comment in _comments`);
  }
  return problems;
}

function checkHostJson(text: string): string[] {
  const problems: string[] = [];
  const host = JSON.parse(text) as {
    functionTimeout?: string;
    logging?: { logLevel?: Record<string, string>; applicationInsights?: { samplingSettings?: { isEnabled?: boolean; excludedTypes?: string } } };
    extensions?: { durableTask?: { hubName?: string; storageProvider?: { maxQueuePollingInterval?: string } } };
  };
  const parsed = hostJsonSchema.safeParse(host);
  if (!parsed.success) problems.push(`host.json does not pass the local runtime's schema: ${formatZodError(parsed.error)}`);
  if (host.extensions?.durableTask?.hubName !== 'SiphonHub') problems.push('the Durable task hub is not SiphonHub');
  // A deliberate limit: a hung chunk must end, and Flex Consumption would otherwise allow no limit.
  if (!/^\d{2}:\d{2}:\d{2}$/.test(host.functionTimeout ?? '')) problems.push('functionTimeout is not a bounded hh:mm:ss');
  // Flex Consumption gives a running execution 60 minutes when its instance scales in (Microsoft Learn,
  // "Function app timeout duration", note 2): a chunk must end inside that, and the planner's time
  // budget (src/copy/chunkBudget.ts) is half of the timeout it assumes, which must be host.json's.
  const timeoutMinutes = seconds(host.functionTimeout) / 60;
  if (timeoutMinutes > 55) problems.push(`functionTimeout is ${host.functionTimeout}: longer than 55 minutes, outside Flex Consumption's 60-minute scale-in drain`);
  if (timeoutMinutes !== functionTimeoutMinutes) problems.push(`functionTimeout is ${host.functionTimeout}, but the chunk planner budgets for ${functionTimeoutMinutes} minutes (src/copy/chunkBudget.ts)`);
  // Durable Functions on Flex Consumption: "set the queue polling interval to 10 seconds or less"
  // (Microsoft Learn, durable-functions-azure-storage-provider, "Flex Consumption Plan"); the default is 30 s.
  const polling = host.extensions?.durableTask?.storageProvider?.maxQueuePollingInterval;
  if (polling === undefined) problems.push('durableTask.storageProvider.maxQueuePollingInterval is not set (the default is 30 s)');
  else if (!(seconds(polling) <= 10)) problems.push(`durableTask.storageProvider.maxQueuePollingInterval is ${polling}: more than 10 seconds`);
  // Run events are traces and the alerts count them: sampling must never drop one.
  const sampling = host.logging?.applicationInsights?.samplingSettings;
  if (sampling?.isEnabled !== false && !(sampling?.excludedTypes ?? '').split(';').includes('Trace')) problems.push('Application Insights sampling may drop traces (run events)');
  // Run events are logged at Information by the functions (category Function.<name>.User).
  const order = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical', 'None'];
  const level = host.logging?.logLevel?.Function ?? host.logging?.logLevel?.default ?? 'Information';
  if (order.indexOf(level) > order.indexOf('Information')) problems.push(`logLevel.Function is ${level}: run events at Information would be dropped`);
  return problems;
}

/** Seconds in an hh:mm:ss time span; NaN when it is not one. */
function seconds(span: string | undefined): number {
  const match = /^(\d{2}):(\d{2}):(\d{2})$/.exec(span ?? '');
  return match ? (Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3]) : Number.NaN;
}

describe('local.settings.sample.json', () => {
  const text = readRepoFile('local.settings.sample.json');

  it('lists every setting the code reads, with a local default or a comment, agreeing with the schema', () => {
    expect(checkLocalSettings(text)).toEqual([]);
  });

  it('finds the environment reads of the code', () => {
    expect(environmentReads(sources)).toEqual(expect.arrayContaining(['SIPHON_LOCAL_PORT', 'SIPHON_LOCAL_AZURITE_FOLDER']));
  });

  it('notices a schema setting missing from the file and a default that drifted', () => {
    const file = JSON.parse(text) as LocalSettings;
    delete file._comments!.SIPHON_DATA_STORAGE__accountName;
    file.Values!.SIPHON_TABLE_PREFIX = 'other';
    expect(checkLocalSettings(JSON.stringify(file))).toEqual([
      'SIPHON_DATA_STORAGE__accountName (src/settings.ts) is neither in Values nor in _comments',
      "Values.SIPHON_TABLE_PREFIX is other, the schema's default is siphon",
    ]);
  });
});

describe('host.json', () => {
  const text = readRepoFile('host.json');

  it('parses and sets the task hub, concurrency, queue batch and poison count, timeout and sampling deliberately', () => {
    expect(checkHostJson(text)).toEqual([]);
    const host = JSON.parse(text) as { extensions: { durableTask: Record<string, unknown>; queues: Record<string, unknown> } };
    expect(host.extensions.durableTask).toMatchObject({ maxConcurrentActivityFunctions: expect.any(Number), maxConcurrentOrchestratorFunctions: expect.any(Number) });
    expect(host.extensions.queues).toMatchObject({ batchSize: expect.any(Number), maxDequeueCount: expect.any(Number) });
  });

  it('keeps functionTimeout inside the Flex scale-in drain and equal to what the chunk planner budgets for', () => {
    expect(JSON.parse(text).functionTimeout).toBe('00:55:00');
    expect(checkHostJson(text.replace('"00:55:00"', '"02:00:00"'))).toEqual([
      "functionTimeout is 02:00:00: longer than 55 minutes, outside Flex Consumption's 60-minute scale-in drain",
      'functionTimeout is 02:00:00, but the chunk planner budgets for 55 minutes (src/copy/chunkBudget.ts)',
    ]);
    expect(checkHostJson(text.replace('"00:55:00"', '"00:50:00"'))).toEqual(['functionTimeout is 00:50:00, but the chunk planner budgets for 55 minutes (src/copy/chunkBudget.ts)']);
  });

  it('polls the Durable queues at most every 10 seconds, and notices the setting missing or longer', () => {
    expect(JSON.parse(text).extensions.durableTask.storageProvider.maxQueuePollingInterval).toBe('00:00:10');
    expect(checkHostJson(text.replace('"maxQueuePollingInterval": "00:00:10"', '"maxQueuePollingInterval": "00:00:30"'))).toEqual(['durableTask.storageProvider.maxQueuePollingInterval is 00:00:30: more than 10 seconds']);
    expect(checkHostJson(text.replace('"maxQueuePollingInterval"', '"maxQueuePollingIntervalX"'))).toEqual(['durableTask.storageProvider.maxQueuePollingInterval is not set (the default is 30 s)']);
  });

  it('notices sampling that could drop run events', () => {
    expect(checkHostJson(text.replace('"Request;Exception;Trace"', '"Request;Exception"'))).toEqual(['Application Insights sampling may drop traces (run events)']);
  });
});

describe('reserved containers', () => {
  // A pipeline writing into the deployment package's or the task hub's container could break the app.
  it('name the task hub of host.json and the deployment container of main.bicep', () => {
    const host = JSON.parse(readRepoFile('host.json')) as { extensions: { durableTask: { hubName: string } } };
    expect(taskHubName).toBe(host.extensions.durableTask.hubName);
    expect(reservedContainerProblem(`${host.extensions.durableTask.hubName.toLowerCase()}-leases`)).toBeDefined();
    const bicepName = /^var deploymentContainerName = '([^']+)'/m.exec(readRepoFile('infra/main.bicep'))?.[1];
    expect(bicepName).toBe(deploymentContainerName);
    expect(reservedContainerProblem(bicepName!)).toBeDefined();
  });
});
