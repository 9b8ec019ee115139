import { describe, expect, it } from 'vitest';
import { resolveTables } from '../../src/tables/resolveTables.js';
import { tablePipelineId, tableRunId, tableSpecOf } from '../../src/tables/tableSpec.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { pipelineSpecInputSchema } from '../../src/spec/pipelineSpecInput.js';
import { formatZodError } from '../../src/spec/formatZodError.js';

const catalog = {
  defaultSchema: 'public',
  tables: [
    { schema: 'public', name: 'Orders' }, { schema: 'public', name: 'orders' }, { schema: 'public', name: 'fact_sales' }, { schema: 'public', name: 'factXsales' },
    { schema: 'sales', name: 'tmp_a' }, { schema: 'sales', name: 'returns' }, { schema: 'ops', name: 'audit' },
  ],
};
const names = (tables: Array<{ schema: string; name: string }>) => tables.map((table) => `${table.schema}.${table.name}`);

describe('resolveTables', () => {
  it('matches * and % as any run, _ as itself, case-insensitively, unqualified names in the default schema', () => {
    expect(names(resolveTables(catalog, ['fact_%']))).toEqual(['public.fact_sales']);
    expect(names(resolveTables(catalog, ['sales.*']))).toEqual(['sales.returns', 'sales.tmp_a']);
    expect(names(resolveTables(catalog, ['SALES.RET*']))).toEqual(['sales.returns']);
    expect(names(resolveTables(catalog, ['*.*'], ['sales.tmp_%', 'public.*']))).toEqual(['ops.audit', 'sales.returns']);
  });

  it('takes an exact name as the catalog spells it, keeps one the catalog lacks, and each table once with the first entry that matched it', () => {
    expect(names(resolveTables(catalog, ['orders']))).toEqual(['public.orders']);
    expect(names(resolveTables(catalog, ['ORDERS']))).toEqual(['public.Orders', 'public.orders']);
    expect(names(resolveTables(catalog, ['ops.later']))).toEqual(['ops.later']);
    const resolved = resolveTables(catalog, ['ops.audit', 'ops.*']);
    expect(resolved).toEqual([{ schema: 'ops', name: 'audit', entry: 0 }]);
  });
});

describe('many-table specs', () => {
  const base = { id: 'shop', source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SHOP' }, output: { container: 'lake', pathTemplate: '{pipeline}/{table}/run={runId}/part-{chunk}-{file}' } };
  const problems = (spec: Record<string, unknown>) => {
    const parsed = pipelineSpecSchema.safeParse(spec);
    return parsed.success ? '' : formatZodError(parsed.error);
  };

  it('refuses tables with table or query, exclude or failFast without tables, a folder without {table}, and a bad override at its place', () => {
    expect(problems({ ...base, tables: ['sales.*'] })).toBe('');
    expect(problems({ ...base, tables: ['sales.*'], table: { name: 'x' } })).toContain('give exactly one of table, tables and query');
    expect(problems({ ...base, table: { name: 'x' }, exclude: ['a'] })).toContain('exclude:');
    expect(problems({ ...base, table: { name: 'x' }, failFast: true })).toContain('failFast:');
    expect(problems({ ...base, tables: ['sales.*'], output: { container: 'lake' } })).toContain('output.pathTemplate: each table');
    // One exact name needs no {table}.
    expect(problems({ ...base, tables: ['sales.orders'], output: { container: 'lake' } })).toBe('');
    expect(problems({ ...base, tables: ['a.*'], output: { container: 'lake', format: 'delta' } })).toContain('output.tablePath');
    expect(problems({ ...base, tables: [{ name: 'a.b', chunking: { maxParallel: 0 } }] })).toContain('tables.0.chunking.maxParallel');
    expect(problems({ ...base, tables: [{ name: 'a.b', nope: 1 }] })).toContain('tables.0');
    expect(problems({ ...base, tables: [{ name: 'a.b', softDelete: { column: 'deleted_at' } }] })).toContain('tables.0.softDelete');
    expect(problems({ ...base, tables: ['.x'] })).toContain('tables.0');
    // Hostile shapes: an empty list, null, a wrong-typed override: each a 400 at its field, never a throw.
    expect(problems({ ...base, tables: [] })).toContain('tables:');
    expect(problems({ ...base, tables: [null] })).toContain('tables.0');
    expect(problems({ ...base, tables: [{ name: 'a.*', columns: 'id' }] })).toContain('tables.0.columns');
  });

  it('keeps table pipeline ids out of the API', () => {
    const parsed = pipelineSpecInputSchema.safeParse({ ...base, id: 'shop~0123456789ab', tables: ['a.*'] });
    expect(parsed.success).toBe(false);
    expect(formatZodError(parsed.error!)).toContain('id:');
  });

  it('gives each table a spec of its own: its table, its entry\'s overrides, its own id; nothing of the pipeline\'s run as a whole', () => {
    const spec = pipelineSpecSchema.parse({ ...base, tables: ['sales.*', { name: 'ops.audit', incremental: { column: 'id' }, chunking: { chunks: 3 } }], exclude: ['sales.tmp_%'], failFast: true, schedule: { cron: '0 * * * *' }, chunking: { maxParallel: 6 } });
    const audit = tableSpecOf(spec, { schema: 'ops', name: 'audit', entry: 1 });
    expect(audit).toMatchObject({ id: tablePipelineId('shop', { schema: 'ops', name: 'audit' }), table: { schema: 'ops', name: 'audit' }, incremental: { column: 'id' }, chunking: { chunks: 3, maxParallel: 4 } });
    expect(audit).not.toHaveProperty('tables');
    expect(audit).not.toHaveProperty('schedule');
    expect(audit).not.toHaveProperty('failFast');
    const returns = tableSpecOf(spec, { schema: 'sales', name: 'returns', entry: 0 });
    expect(returns).toMatchObject({ chunking: { maxParallel: 6 } });
    expect(returns.incremental).toBeUndefined();
    expect(tablePipelineId('shop', { schema: 'ops', name: 'audit' })).toMatch(/^shop~[0-9a-f]{12}$/);
    expect(tableRunId('20261208T001500Z-1a2b3c4d', 'shop~0123456789ab')).toMatch(/^20261208T001500Z-[0-9a-f]{8}$/);
  });
});
