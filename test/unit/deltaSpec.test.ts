import { describe, expect, it, vi } from 'vitest';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../../src/spec/pipelineSpecInput.js';
import { writtenColumns, rowConverter } from '../../src/formats/writtenTypes.js';
import { parquetTypeFor } from '../../src/formats/readerProfiles.js';
import type { Column } from '../../src/spec/columns.js';

/** The Delta output's spec: defaults, and a refusal at the field for every rule. */
const spec = (output: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: 'orders',
  source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' },
  table: { name: 'orders' },
  output: { container: 'lake', format: 'delta', ...output },
  ...extra,
});

function issues(value: unknown): Array<{ path: string; message: string }> {
  vi.stubEnv('SIPHON_SOURCE_SALES', 'postgres://x@h/db');
  const result = pipelineSpecInputSchema.safeParse(value);
  vi.unstubAllEnvs();
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('output.format "delta"', () => {
  it('defaults to an append into {pipeline} with snappy files and 168 hours of retention', () => {
    expect(pipelineSpecSchema.parse(spec({})).output).toMatchObject({ format: 'delta', tablePath: '{pipeline}', mode: 'append', retentionHours: 168, compression: 'snappy' });
    // A stored spec parses to itself (defaults applied once).
    const parsed = pipelineSpecSchema.parse(spec({ mode: 'merge', keys: ['id'], tablePath: '{pipeline}/{table}', partitionBy: ['day'] }));
    expect(pipelineSpecSchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it('refuses each misuse at its field', () => {
    expect(issues(spec({ mode: 'merge' }))).toContainEqual({ path: 'output.keys', message: 'merge needs keys: the columns that identify a row' });
    // Only that: the default tablePath is not taken for a missing one when another field is refused.
    expect(issues(spec({ keys: ['id'] }))).toEqual([{ path: 'output.keys', message: 'keys are for mode "merge"; append does not match rows' }]);
    expect(issues(spec({ mode: 'merge', keys: ['day'], partitionBy: ['day'] }))[0]).toMatchObject({ path: 'output.keys' });
    expect(issues(spec({ compression: 'zstd' }))).toContainEqual({ path: 'output.compression', message: "a Delta table's data files are compressed with snappy, not zstd" });
    expect(issues(spec({ pathTemplate: '{pipeline}/run={runId}/part-{chunk}-{file}' }))[0]).toMatchObject({ path: 'output.pathTemplate' });
    expect(issues(spec({ tablePath: '{pipeline}/{runId}' }))[0]!.message).toMatch(/unknown token \{runId\}/);
    expect(issues(spec({ tablePath: '{pipeline}/_hidden' }))[0]!.message).toMatch(/must not start with _ or \./);
    expect(issues(spec({ tablePath: 'lake/{pipeline}' }))).toContainEqual({ path: 'output.tablePath', message: 'the first folder must be exactly {pipeline}, so a pipeline writes only under its own prefix' });
    expect(issues(spec({ retentionHours: 0 }))[0]).toMatchObject({ path: 'output.retentionHours' });
    expect(issues({ ...spec({}), output: { container: 'lake', format: 'parquet', mode: 'append', tablePath: '{pipeline}' } }).map((issue) => issue.path)).toEqual(['output.tablePath', 'output.mode']);
  });

  it('refuses column names Delta cannot hold without column mapping', () => {
    expect(issues(spec({}, { columns: ['id', 'unit price', 'a=b'] }))).toContainEqual({
      path: 'columns',
      message: '"unit price", "a=b": a Delta table without column mapping cannot hold a column name with a space or any of , ; { } ( ) = newline tab; alias it in a query pipeline',
    });
  });
});

describe('written types for Delta', () => {
  const column = (name: string, type: Column['type']): Column => ({ name, sourceType: type.kind, nullable: true, type });
  const read = [column('t', { kind: 'time' }), column('u', { kind: 'uuid' }), column('j', { kind: 'json' }), column('n', { kind: 'uint64' }), column('w', { kind: 'timestamp', utc: false })];

  it('writes time, uuid, json and uint64 as types Delta has, without losing a value', () => {
    const written = writtenColumns(read, { format: 'delta' });
    expect(written.map((entry) => entry.type)).toEqual([{ kind: 'string' }, { kind: 'string' }, { kind: 'string' }, { kind: 'decimal', precision: 20, scale: 0 }, { kind: 'timestamp', utc: false }]);
    const row: unknown[] = [86_399_999_999n, '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '{"a":1}', 18_446_744_073_709_551_615n, 5n];
    rowConverter(read, written)!(row);
    expect(row).toEqual(['23:59:59.999999', '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '{"a":1}', '18446744073709551615', 5n]);
    const nulls: unknown[] = [null, null, null, null, null];
    rowConverter(read, written)!(nulls);
    expect(nulls).toEqual([null, null, null, null, null]);
  });

  it('leaves other formats\' columns and rows alone', () => {
    expect(writtenColumns(read, { format: 'csv' })).toBe(read);
    expect(writtenColumns(read, { format: 'parquet', readers: ['exact'] })).toEqual(read);
    expect(rowConverter(read, read)).toBeUndefined();
  });
});

describe('reader profiles (output.readers)', () => {
  const kinds = (readers: string[]) => (['uuid', 'time', 'uint64', 'json', 'decimal'] as const).map((kind) => parquetTypeFor(kind === 'decimal' ? { kind, precision: 38, scale: 2 } : { kind }, readers).type.kind);

  it('picks per type the encoding every listed reader reads right', () => {
    expect(kinds(['exact'])).toEqual(['uuid', 'time', 'uint64', 'json', 'decimal']);
    expect(kinds(['duckdb'])).toEqual(['uuid', 'time', 'uint64', 'json', 'decimal']);
    expect(kinds(['synapse'])).toEqual(['string', 'time', 'decimal', 'json', 'decimal']);
    expect(kinds(['spark'])).toEqual(['string', 'string', 'decimal', 'json', 'decimal']);
    expect(kinds(['fabric', 'duckdb'])).toEqual(['string', 'string', 'decimal', 'json', 'decimal']);
    expect(parquetTypeFor({ kind: 'uint64' }, ['spark']).type).toEqual({ kind: 'decimal', precision: 20, scale: 0 });
    expect(parquetTypeFor({ kind: 'uuid' }, ['spark']).why).toMatch(/apache\/spark#55684/);
  });

  it('defaults to every reader, and takes "exact" only alone', () => {
    expect(pipelineSpecSchema.parse({ ...spec({}), output: { container: 'lake' } }).output.readers).toEqual(['spark', 'synapse', 'fabric', 'duckdb']);
    expect(issues({ ...spec({}), output: { container: 'lake', readers: ['exact', 'spark'] } })[0]).toMatchObject({ path: 'output.readers' });
    expect(issues({ ...spec({}), output: { container: 'lake', readers: ['presto'] } })[0]).toMatchObject({ path: 'output.readers.0' });
  });
});
