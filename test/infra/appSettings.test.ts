import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/settings.js';
import { appSettings, checkAppSettings, checkSettingDefaults, readRepoFile } from './infraChecks.js';

const main = readRepoFile('infra/main.bicep');
const readme = readRepoFile('infra/README.md');
const schemaKeys = Object.keys(settingsSchema.shape);
const schemaDefaults = settingsSchema.parse({}) as Record<string, unknown>;

describe('app settings in main.bicep', () => {
  it('sets every setting src/settings.ts reads, or infra/README.md says why not', () => {
    expect(checkAppSettings(main, schemaKeys, readme)).toEqual([]);
  });

  it('reaches storage by identity: account names are set, connection strings are not', () => {
    const set = appSettings(main);
    expect(set.get('AzureWebJobsStorage__accountName')).toBe('hostStorage.outputs.name');
    expect(set.get('SIPHON_DATA_STORAGE__accountName')).toBe('dataLake.outputs.name');
    expect(set.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(set.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'Authorization=AAD'");
  });

  it('fills settings from parameters whose defaults are the schema defaults', () => {
    expect(checkSettingDefaults(main, schemaDefaults)).toEqual([]);
  });

  // The checks above must be able to fail, or they prove nothing.
  it('notices a setting the code reads that main.bicep stopped setting', () => {
    const withoutQueue = main.replace(/\n\s*\{\n\s*name: 'SIPHON_JOB_QUEUE'\n\s*value: jobQueueName\n\s*\}/, '');
    expect(withoutQueue).not.toBe(main);
    expect(checkAppSettings(withoutQueue, schemaKeys, readme)).toEqual([
      'SIPHON_JOB_QUEUE is read by src/settings.ts but main.bicep does not set it (nor does infra/README.md say why not)',
    ]);
  });

  it('notices a new schema setting that nobody set or documented', () => {
    expect(checkAppSettings(main, [...schemaKeys, 'SIPHON_NEW_SETTING'], readme)).toEqual([
      'SIPHON_NEW_SETTING is read by src/settings.ts but has no row in infra/README.md\'s app-settings table',
      'SIPHON_NEW_SETTING is read by src/settings.ts but main.bicep does not set it (nor does infra/README.md say why not)',
    ]);
  });

  it('notices a storage connection string and a setting nothing reads', () => {
    const withConnectionString = main.replace(
      "    name: 'SIPHON_JOB_QUEUE'",
      "    name: 'AzureWebJobsStorage'\n    value: 'x'\n  }\n  {\n    name: 'SIPHON_JOB_QUEUE'",
    );
    const problems = checkAppSettings(withConnectionString, schemaKeys, readme);
    expect(problems).toContain('main.bicep sets AzureWebJobsStorage (a connection string); use AzureWebJobsStorage__accountName');
    expect(problems).toContain('AzureWebJobsStorage is set by main.bicep but infra/README.md says it is not set');
  });

  it('notices a parameter default that drifted from the schema default', () => {
    const drifted = main.replace("param jobQueueName string = 'siphon-jobs'", "param jobQueueName string = 'jobs'");
    expect(checkSettingDefaults(drifted, schemaDefaults)).toEqual([
      "main.bicep param jobQueueName defaults to 'jobs', but src/settings.ts defaults SIPHON_JOB_QUEUE to siphon-jobs",
    ]);
  });
});
