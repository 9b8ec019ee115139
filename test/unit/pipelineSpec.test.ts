import { describe, expect, it } from 'vitest';
import { pipelineIdSchema } from '../../src/spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../../src/spec/pipelineSpecInput.js';

function validSpec(): Record<string, any> {
  return {
    id: 'orders',
    source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' },
    table: { schema: 'sales', name: 'orders' },
    chunking: { column: 'id' },
    output: { container: 'exports' },
  };
}

function issues(value: unknown): Array<{ path: string; code: string; message: string }> {
  const result = pipelineSpecInputSchema.safeParse(value);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
}

describe('pipelineSpecInputSchema', () => {
  it('parses a minimal valid spec and fills every default', () => {
    const spec = { ...validSpec(), table: { name: 'orders' } };
    expect(pipelineSpecInputSchema.parse(spec)).toEqual({
      id: 'orders',
      source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' },
      table: { name: 'orders' },
      // No chunks: the planner asks for 8 on a named column (copy/chunkSizing.ts), as the default used to be written here.
      chunking: { column: 'id', maxParallel: 4, strategy: 'statistics' },
      output: {
        container: 'exports', format: 'parquet', compression: 'snappy', maxRowsPerFile: 5_000_000, rowGroupRows: 100_000,
        pathTemplate: '{pipeline}/{yyyy}/{MM}/{dd}/run={runId}/part-{chunk}-{file}', readers: ['spark', 'synapse', 'fabric', 'duckdb'],
      },
      retry: { maxAttempts: 4, firstDelaySeconds: 5, backoffCoefficient: 2, maxDelaySeconds: 300 },
      timeoutMinutes: 1440,
    });
  });

  it('keeps explicit values and fills the schedule time zone', () => {
    const spec = {
      ...validSpec(),
      description: 'nightly',
      columns: ['id', 'total'],
      chunking: { column: 'id', chunks: 32, maxParallel: 8 },
      output: { container: 'exports', compression: 'gzip', maxRowsPerFile: 1000, rowGroupRows: 1000 },
      schedule: { cron: '0 0 2 * * *' },
    };
    const parsed = pipelineSpecInputSchema.parse(spec);
    expect(parsed.chunking).toEqual({ column: 'id', chunks: 32, maxParallel: 8, strategy: 'statistics' });
    expect(parsed.output).toMatchObject({ container: 'exports', format: 'parquet', compression: 'gzip', maxRowsPerFile: 1000, rowGroupRows: 1000 });
    expect(parsed.schedule).toEqual({ cron: '0 0 2 * * *', timeZone: 'UTC' });
    expect(parsed.columns).toEqual(['id', 'total']);
    expect(parsed.table?.schema).toBe('sales');
  });

  it('accepts a schedule with an IANA time zone', () => {
    const parsed = pipelineSpecInputSchema.parse({ ...validSpec(), schedule: { cron: '30 2 * * 1-5', timeZone: 'Europe/Berlin' } });
    expect(parsed.schedule).toEqual({ cron: '30 2 * * 1-5', timeZone: 'Europe/Berlin' });
  });

  it.each(['Orders', 'bad_id', '-orders', 'orders-', '', 'a'.repeat(49), 'ord ers'])('rejects the id %j at path id', (id) => {
    const found = issues({ ...validSpec(), id });
    expect(found.map((i) => i.path)).toEqual(['id']);
  });

  it('pipelineIdSchema accepts 1 and 48 character ids', () => {
    expect(pipelineIdSchema.safeParse('a').success).toBe(true);
    expect(pipelineIdSchema.safeParse('a'.repeat(48)).success).toBe(true);
    expect(pipelineIdSchema.safeParse('a-1').success).toBe(true);
  });

  it('rejects unknown top-level keys', () => {
    const found = issues({ ...validSpec(), extra: 1 });
    expect(found).toHaveLength(1);
    expect(found[0]!.code).toBe('unrecognized_keys');
    expect(found[0]!.path).toBe('');
    expect(found[0]!.message).toContain('extra');
  });

  it('rejects unknown nested keys at the nested path', () => {
    const found = issues({ ...validSpec(), output: { container: 'exports', bogus: true } });
    expect(found).toEqual([expect.objectContaining({ path: 'output', code: 'unrecognized_keys' })]);
  });

  it('names missing required fields', () => {
    const { output: _o, ...spec } = validSpec();
    expect(issues(spec).map((i) => i.path)).toEqual(['output']);
    expect(issues({ ...validSpec(), source: { engine: 'postgres' } }).map((i) => i.path)).toEqual(['source.connectionSetting']);
  });

  it('rejects out-of-range numbers at their path', () => {
    expect(issues({ ...validSpec(), chunking: { column: 'id', chunks: 0 } }).map((i) => i.path)).toEqual(['chunking.chunks']);
    expect(issues({ ...validSpec(), chunking: { column: 'id', maxParallel: 65 } }).map((i) => i.path)).toEqual(['chunking.maxParallel']);
    expect(issues({ ...validSpec(), output: { container: 'exports', rowGroupRows: 999 } }).map((i) => i.path)).toEqual(['output.rowGroupRows']);
  });

  it('rejects a bad container name', () => {
    expect(issues({ ...validSpec(), output: { container: 'Ex' } }).map((i) => i.path)).toEqual(['output.container']);
    expect(issues({ ...validSpec(), output: { container: 'a--b' } }).map((i) => i.path)).toEqual(['output.container']);
  });

  it('rejects a NUL in an identifier', () => {
    expect(issues({ ...validSpec(), table: { name: 'a\u0000b' } }).map((i) => i.path)).toEqual(['table.name']);
  });

  it.each(['not a cron', '61 * * * *', '0 0 30 2 *'])('rejects the cron %j at schedule.cron', (cron) => {
    const found = issues({ ...validSpec(), schedule: { cron } });
    expect(found.map((i) => i.path)).toEqual(['schedule.cron']);
    expect(found[0]!.message).toMatch(/not a cron expression/);
  });

  it('rejects an unknown time zone at schedule.timeZone', () => {
    const found = issues({ ...validSpec(), schedule: { cron: '0 2 * * *', timeZone: 'Mars/Olympus_Mons' } });
    expect(found.map((i) => i.path)).toEqual(['schedule.timeZone']);
    expect(found[0]!.message).toContain('Mars/Olympus_Mons');
  });

  it('rejects a password key anywhere, at its path', () => {
    expect(issues({ ...validSpec(), password: 'hunter2' }).map((i) => i.path)).toEqual(['password']);
    expect(issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X', password: 'x' } }).map((i) => i.path)).toEqual([
      'source.password',
    ]);
  });

  it('reports only the secret when a spec carries one, whatever else is wrong', () => {
    const found = issues({ id: 'BAD ID', output: { password: 'x' } });
    expect(found.map((i) => i.path)).toEqual(['output.password']);
    expect(found[0]!.message).toMatch(/secrets are not accepted/);
  });

  it.each(['Server=x;Password=y', 'postgres://u:p@h/db'])('rejects the connectionSetting %j at source.connectionSetting', (value) => {
    const found = issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting: value } });
    expect(found.map((i) => i.path)).toEqual(['source.connectionSetting']);
    expect(found[0]!.message).toMatch(/connection string with a credential/);
  });

  it('rejects a connectionSetting that is not an app setting name', () => {
    const found = issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting: 'host=db user=u' } });
    expect(found.map((i) => i.path)).toEqual(['source.connectionSetting']);
  });

  it('never echoes the secret value in messages', () => {
    const found = issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting: 'Server=x;Password=hunter2' } });
    expect(JSON.stringify(found)).not.toContain('hunter2');
  });
});

describe('what to read', () => {
  it('takes a query instead of a table, chunked or as one streamed chunk', () => {
    const { table: _t, chunking: _c, ...rest } = validSpec();
    const parsed = pipelineSpecInputSchema.parse({ ...rest, query: 'SELECT id, total FROM sales.orders' });
    expect(parsed.query).toBe('SELECT id, total FROM sales.orders');
    expect(parsed.chunking).toBeUndefined();
  });

  it('wants exactly one of table and query', () => {
    const { table: _t, ...rest } = validSpec();
    expect(issues(rest).map((i) => i.path)).toEqual(['table']);
    expect(issues({ ...validSpec(), query: 'SELECT 1' }).map((i) => i.path)).toEqual(['query']);
  });

  it('does not take a column list beside a query', () => {
    const { table: _t, ...rest } = validSpec();
    expect(issues({ ...rest, query: 'SELECT 1 AS id', columns: ['id'] }).map((i) => i.path)).toEqual(['columns']);
  });

  it('accepts each engine and SQL Server connection options with defaults', () => {
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), source: { engine: 'mysql', connectionSetting: 'SIPHON_SOURCE_M' } }).source).toEqual({ engine: 'mysql', connectionSetting: 'SIPHON_SOURCE_M' });
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), source: { engine: 'sqlserver', connectionSetting: 'SIPHON_SOURCE_S' } }).source).toEqual({
      engine: 'sqlserver', connectionSetting: 'SIPHON_SOURCE_S', authentication: 'sql', encrypt: true, trustServerCertificate: false, packetSize: 32_767,
    });
    expect(issues({ ...validSpec(), source: { engine: 'oracle', connectionSetting: 'SIPHON_SOURCE_X' } }).map((i) => i.path)).toEqual(['source.engine']);
    expect(issues({ ...validSpec(), source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X', encrypt: true } }).map((i) => i.path)).toEqual(['source']);
  });

  it('takes a PostgreSQL read mode, copy or cursor, and no other engine takes one', () => {
    const postgres = { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' };
    expect(pipelineSpecInputSchema.parse(validSpec()).source).toEqual(postgres);
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), source: { ...postgres, readMode: 'cursor' } }).source).toEqual({ ...postgres, readMode: 'cursor' });
    expect(issues({ ...validSpec(), source: { ...postgres, readMode: 'fast' } }).map((i) => i.path)).toEqual(['source.readMode']);
    expect(issues({ ...validSpec(), source: { engine: 'mysql', connectionSetting: 'SIPHON_SOURCE_M', readMode: 'cursor' } }).map((i) => i.path)).toEqual(['source']);
  });
});

describe('output options', () => {
  const output = (extra: Record<string, unknown>) => ({ ...validSpec(), output: { container: 'exports', ...extra } });

  it('defaults compression by format', () => {
    expect(pipelineSpecInputSchema.parse(output({ format: 'csv' })).output.compression).toBe('none');
    expect(pipelineSpecInputSchema.parse(output({ format: 'jsonl', compression: 'gzip' })).output.compression).toBe('gzip');
    expect(pipelineSpecInputSchema.parse(output({ compression: 'zstd' })).output.compression).toBe('zstd');
  });

  it('refuses a compression the format does not have', () => {
    const found = issues(output({ format: 'csv', compression: 'snappy' }));
    expect(found.map((i) => i.path)).toEqual(['output.compression']);
    expect(found[0]!.message).toBe('csv files can be compressed with gzip, none, not snappy');
  });

  it.each([
    ['{pipeline}/part-{chunk}-{file}', 'the folder part must contain {runId}'],
    ['{pipeline}/{runId}/part-{chunk}', 'the file name (after the last /) must contain {chunk} and {file}'],
    ['{pipeline}/{runId}/{chunk}-{file}-{minute}', 'unknown token {minute}'],
    ['/{runId}/{chunk}-{file}', 'segments must not be empty'],
    ['a/../{runId}/{chunk}-{file}', 'segments must not be empty'],
    ['{pipeline}/{runId}/{chunk}-{file}?x', 'must not contain backslashes'],
  ])('refuses the path template %j', (pathTemplate, message) => {
    const found = issues(output({ pathTemplate }));
    // A template may break more than one rule (a leading / is also a first folder other than {pipeline}).
    expect(new Set(found.map((i) => i.path))).toEqual(new Set(['output.pathTemplate']));
    expect(found.map((i) => i.message).join('; ')).toContain(message);
  });

  it('accepts a template using every token', () => {
    const pathTemplate = '{pipeline}/{table}/{yyyy}/{MM}/{dd}/{HH}/{pipeline}-{runId}/{chunk}_{file}';
    expect(pipelineSpecInputSchema.parse(output({ pathTemplate })).output.pathTemplate).toBe(pathTemplate);
  });

  it('takes up to four distinct partition columns', () => {
    expect(pipelineSpecInputSchema.parse(output({ partitionBy: ['order_date', 'region'] })).output.partitionBy).toEqual(['order_date', 'region']);
    expect(issues(output({ partitionBy: ['a', 'a'] })).map((i) => i.path)).toEqual(['output.partitionBy']);
    expect(issues(output({ partitionBy: ['a', 'b', 'c', 'd', 'e'] })).map((i) => i.path)).toEqual(['output.partitionBy']);
  });
});

describe('incremental, retries, timeouts and dependencies', () => {
  it('takes a cursor column with one kind of lookback', () => {
    const parsed = pipelineSpecInputSchema.parse({ ...validSpec(), incremental: { column: 'updated_at', lookbackSeconds: 300 } });
    expect(parsed.incremental).toEqual({ column: 'updated_at', lookbackSeconds: 300 });
    expect(issues({ ...validSpec(), incremental: { column: 'v', lookbackSeconds: 1, lookbackValues: 1 } }).map((i) => i.path)).toEqual(['incremental.lookbackValues']);
  });

  it('bounds retries and timeouts', () => {
    expect(issues({ ...validSpec(), retry: { maxAttempts: 11 } }).map((i) => i.path)).toEqual(['retry.maxAttempts']);
    expect(issues({ ...validSpec(), timeoutMinutes: 0 }).map((i) => i.path)).toEqual(['timeoutMinutes']);
    expect(pipelineSpecInputSchema.parse({ ...validSpec(), retry: { maxAttempts: 2 } }).retry).toEqual({ maxAttempts: 2, firstDelaySeconds: 5, backoffCoefficient: 2, maxDelaySeconds: 300 });
  });

  it('refuses a pipeline that depends on itself', () => {
    const found = issues({ ...validSpec(), dependsOn: ['orders'] });
    expect(found.map((i) => i.path)).toEqual(['dependsOn']);
    expect(found[0]!.message).toContain('orders -> orders');
  });
});
