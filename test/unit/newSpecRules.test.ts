import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../../src/spec/pipelineSpecInput.js';
import { deploymentContainerName } from '../../src/spec/reservedContainers.js';
import { readConnectionSetting, settingsSchema, sourceSettingPrefix } from '../../src/settings.js';
import { thrown } from '../support/thrown.js';

function validSpec(): Record<string, any> {
  return {
    id: 'orders',
    source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' },
    table: { schema: 'sales', name: 'orders' },
    output: { container: 'exports' },
  };
}

const withOutput = (extra: Record<string, unknown>) => ({ ...validSpec(), output: { container: 'exports', ...extra } });

function issues(value: unknown): Array<{ path: string; message: string }> {
  const result = pipelineSpecInputSchema.safeParse(value);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the README example spec', () => {
  it('is accepted as written', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /A pipeline spec:\s*```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    expect(pipelineSpecInputSchema.safeParse(JSON.parse(example!)).error?.issues).toBeUndefined();
  });
});

describe('source.connectionSetting names only source settings', () => {
  it('takes a setting under the default prefix SIPHON_SOURCE_', () => {
    expect(sourceSettingPrefix({})).toBe('SIPHON_SOURCE_');
    expect(pipelineSpecInputSchema.parse(validSpec()).source.connectionSetting).toBe('SIPHON_SOURCE_SALES');
  });

  it.each(['AzureWebJobsStorage', 'AzureWebJobsStorage__accountName', 'SIPHON_DATA_STORAGE', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'SALES_DB', 'SIPHON_SOURCE_', 'siphon_source_sales'])(
    'refuses %s at source.connectionSetting, naming the prefix',
    (connectionSetting) => {
      const found = issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting } });
      expect(found).toEqual([{ path: 'source.connectionSetting', message: expect.stringContaining('starting with SIPHON_SOURCE_ (SIPHON_SOURCE_SETTING_PREFIX)') }]);
    },
  );

  it('refuses the prefix setting itself, which lives under the default prefix', () => {
    const found = issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SETTING_PREFIX' } });
    expect(found).toEqual([{ path: 'source.connectionSetting', message: "SIPHON_SOURCE_SETTING_PREFIX is one of Siphon's own settings, not a source connection" }]);
  });

  it('reads the prefix from the app setting when the spec is checked', () => {
    vi.stubEnv('SIPHON_SOURCE_SETTING_PREFIX', 'CORP_DB_');
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), source: { engine: 'mysql', connectionSetting: 'CORP_DB_SALES' } }).source.connectionSetting).toBe('CORP_DB_SALES');
    expect(issues(validSpec())).toEqual([{ path: 'source.connectionSetting', message: expect.stringContaining('starting with CORP_DB_') }]);
  });

  it.each(['AzureWebJobs', 'SIPHON_', 'SIPHON_DATA', 'WEBSITE_', 'NOUNDERSCORE', ''])('refuses %j as the prefix setting itself', (prefix) => {
    expect(settingsSchema.safeParse({ SIPHON_SOURCE_SETTING_PREFIX: prefix }).success).toBe(false);
    expect(thrown(() => sourceSettingPrefix({ SIPHON_SOURCE_SETTING_PREFIX: prefix })).message).toMatch(/^Invalid app setting SIPHON_SOURCE_SETTING_PREFIX/);
  });

  // Stored specs from before the rule are read as stored; their runs still cannot reach host settings.
  it('is enforced again when a run reads the connection string', () => {
    const stored = pipelineSpecSchema.parse({ ...validSpec(), source: { engine: 'postgres', connectionSetting: 'AzureWebJobsStorage' } });
    expect(stored.source.connectionSetting).toBe('AzureWebJobsStorage');
    const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', SIPHON_SOURCE_SALES: 'postgres://h/db' };
    expect(thrown(() => readConnectionSetting('AzureWebJobsStorage', env)).message).toMatch(/^source\.connectionSetting AzureWebJobsStorage: must be the name of an app setting starting with SIPHON_SOURCE_/);
    expect(readConnectionSetting('SIPHON_SOURCE_SALES', env)).toBe('postgres://h/db');
  });
});

describe('isolation of output', () => {
  it.each(['azure-webjobs-hosts', 'azure-webjobs-secrets', 'azure-webjobs-eventhub', 'azure-functions-x', 'siphonhub-leases', 'siphonhub-applease', 'siphonhub-largemessages', deploymentContainerName, 'scm-releases'])(
    'refuses the reserved container %s at output.container',
    (container) => {
      const found = issues(withOutput({ container }));
      expect(found).toEqual([{ path: 'output.container', message: expect.stringMatching(/belong to the Functions host or the Durable task hub|reserved for the app's deployment/) }]);
    },
  );

  // The shape check already refuses `$`: storage's own $logs, $web and $root can never be named.
  it.each(['$logs', '$web', '$root'])('refuses the system container %s by its shape', (container) => {
    expect(issues(withOutput({ container }))).toEqual([{ path: 'output.container', message: 'a blob container name: 3-63 lowercase letters, digits, single hyphens' }]);
  });

  it.each(['exports', 'landing', 'azure-webjob', 'webjobs-azure', 'siphonhub'])('accepts the ordinary container %s', (container) => {
    expect(pipelineSpecInputSchema.parse(withOutput({ container })).output.container).toBe(container);
  });

  it.each([
    '{table}/{runId}/{chunk}-{file}',
    'shared/{pipeline}/{runId}/{chunk}-{file}',
    '{pipeline}-x/{runId}/{chunk}-{file}',
    'other-pipeline/{runId}/{chunk}-{file}',
    '{pipeline}{table}/{runId}/{chunk}-{file}',
  ])('refuses the path template %j, whose first folder is not {pipeline}', (pathTemplate) => {
    expect(issues(withOutput({ pathTemplate }))).toEqual([{ path: 'output.pathTemplate', message: 'the first folder must be exactly {pipeline}, so a pipeline writes only under its own prefix' }]);
  });

  it('accepts templates under {pipeline}/', () => {
    for (const pathTemplate of ['{pipeline}/run={runId}/{chunk}-{file}', '{pipeline}/{table}/{yyyy}/{MM}/{runId}/part-{chunk}-{file}']) {
      expect(pipelineSpecInputSchema.parse(withOutput({ pathTemplate })).output.pathTemplate).toBe(pathTemplate);
    }
  });
});

describe('what can be known at create time', () => {
  it('refuses a column named twice, ignoring case, naming each once', () => {
    expect(issues({ ...validSpec(), columns: ['id', 'total', 'id', 'Total', 'ID', 'x'] })).toEqual([
      { path: 'columns', message: '"id", "total" named twice (names are compared ignoring case, as Spark, Synapse and DuckDB read them)' },
    ]);
  });

  it('takes columns whose names merely look like secrets', () => {
    const spec = { ...validSpec(), columns: ['id', 'password', 'password_hash', 'pwd', 'token', 'api_key'] };
    expect(pipelineSpecInputSchema.parse(spec).columns).toEqual(spec.columns);
  });

  it('refuses partition columns outside columns, or all of them', () => {
    expect(issues({ ...validSpec(), columns: ['id', 'region'], output: { container: 'exports', partitionBy: ['order_date', 'region'] } })).toEqual([
      { path: 'output.partitionBy', message: '"order_date" not in columns: a partition column\'s values are read with the rows' },
    ]);
    expect(issues({ ...validSpec(), columns: ['region'], output: { container: 'exports', partitionBy: ['region'] } })).toEqual([
      { path: 'output.partitionBy', message: 'every column is a partition column, so the files would have none' },
    ]);
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), columns: ['id', 'region'], output: { container: 'exports', partitionBy: ['region'] } }).output.partitionBy).toEqual(['region']);
  });

  it('refuses row groups larger than a file; the default row group follows a smaller maxRowsPerFile', () => {
    expect(issues(withOutput({ maxRowsPerFile: 10_000, rowGroupRows: 20_000 }))).toEqual([
      { path: 'output.rowGroupRows', message: '20000 rows per row group is more than maxRowsPerFile (10000): a row group never spans files' },
    ]);
    expect(pipelineSpecInputSchema.parse(withOutput({ maxRowsPerFile: 10_000, rowGroupRows: 10_000 })).output.rowGroupRows).toBe(10_000);
    expect(pipelineSpecInputSchema.parse(withOutput({ maxRowsPerFile: 50_000 })).output.rowGroupRows).toBe(50_000);
    expect(pipelineSpecInputSchema.parse(withOutput({})).output.rowGroupRows).toBe(100_000);
  });

  it.each([
    ['* * * * * *', 60],
    ['*/10 * * * * *', 6],
    ['0,30 * * * * *', 2],
    ['0-4 0 2 * * *', 5],
  ])('refuses the cron %j, finer than the one-minute tick, at schedule.cron', (cron, times) => {
    const found = issues({ ...validSpec(), schedule: { cron } });
    expect(found).toEqual([{ path: 'schedule.cron', message: expect.stringMatching(new RegExp(`^fires ${times} times a minute .*the scheduler ticks once a minute, so the seconds field must be one value$`)) }]);
  });

  it.each(['* * * * *', '*/5 * * * *', '30 0 2 * * *', '0 0 2 * * *', '@hourly'])('accepts the cron %j', (cron) => {
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), schedule: { cron } }).schedule?.cron).toBe(cron);
  });
});

describe('validation.checks are parsed when saved', () => {
  it('refuses a syntax error, an unknown function and deep nesting naming the check and the position', () => {
    const spec = { ...validSpec(), validation: { checks: [
      { name: 'fine', expression: 'shipped_at >= ordered_at' },
      { name: 'syntax', expression: 'qty > (1' },
      { name: 'unknown', expression: 'frobnicate(qty) > 1' },
      { name: 'deep', expression: `${'('.repeat(100)}1${')'.repeat(100)} = 1` },
    ] } };
    expect(issues(spec)).toEqual([
      { path: 'validation.checks.1.expression', message: 'expected ) but found the end of the expression at position 9' },
      { path: 'validation.checks.2.expression', message: 'unknown function frobnicate at position 1' },
      { path: 'validation.checks.3.expression', message: 'nested deeper than 64 levels at position 65' },
    ]);
  });
});

