import { describe, expect, it } from 'vitest';
import { applySchemaContract, fitDrift, frozenMessage, isSafeWidening } from '../../src/orchestration/schemaDrift.js';
import { schemaVersionOf } from '../../src/sink/schemaVersion.js';
import { runPaths } from '../../src/sink/blobPaths.js';
import { defaultSchemaContract, schemaContractSchema } from '../../src/spec/schemaContract.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import type { Column } from '../../src/spec/columns.js';

const col = (name: string, type: Column['type'], sourceType = 'x', nullable = true): Column => ({ name, sourceType, nullable, type });
const id = col('id', { kind: 'int32' }, 'integer', false);

describe('safe widenings', () => {
  it('accept only types that hold every old value exactly', () => {
    expect(isSafeWidening({ kind: 'int32' }, { kind: 'int64' })).toBe(true);
    expect(isSafeWidening({ kind: 'int64' }, { kind: 'int32' })).toBe(false);
    expect(isSafeWidening({ kind: 'float32' }, { kind: 'float64' })).toBe(true);
    expect(isSafeWidening({ kind: 'decimal', precision: 10, scale: 2 }, { kind: 'decimal', precision: 12, scale: 4 })).toBe(true);
    // One integer digit fewer: 99999999.99 no longer fits.
    expect(isSafeWidening({ kind: 'decimal', precision: 10, scale: 2 }, { kind: 'decimal', precision: 11, scale: 4 })).toBe(false);
    expect(isSafeWidening({ kind: 'decimal', precision: 10, scale: 2 }, { kind: 'decimal', precision: 12, scale: 1 })).toBe(false);
    // Never silently to text.
    expect(isSafeWidening({ kind: 'int32' }, { kind: 'string' })).toBe(false);
  });
});

describe('the schema contract', () => {
  const before = [id, col('amount', { kind: 'int32' })];
  it('finds no drift when only a source type changes and the output type stays', () => {
    expect(applySchemaContract(before, [id, col('amount', { kind: 'int32' }, 'mediumint')], defaultSchemaContract).drift).toBeUndefined();
  });

  it('by default evolves added, ignores removed, widens, and freezes a narrowing naming the column', () => {
    const widened = applySchemaContract(before, [id, col('amount', { kind: 'int64' }), col('note', { kind: 'string' })], defaultSchemaContract);
    expect(widened.drift).toMatchObject({ outcome: 'evolved', added: [{ column: 'note' }], retyped: [{ column: 'amount', widening: true }] });
    expect(widened.columns.map((c) => c.name)).toEqual(['id', 'amount', 'note']);
    expect(applySchemaContract(before, [id], defaultSchemaContract).drift).toMatchObject({ outcome: 'evolved', removed: [{ column: 'amount' }] });
    const narrowed = applySchemaContract(before, [id, col('amount', { kind: 'string' }, 'text')], defaultSchemaContract);
    expect(narrowed.drift?.outcome).toBe('frozen');
    expect(frozenMessage(narrowed.drift!, defaultSchemaContract)).toContain('"amount" x (int32) -> text (string)');
  });

  it('discards added columns, freezes what the policy freezes', () => {
    const contract = schemaContractSchema.parse({ added: 'discardColumn', removed: 'freeze', retyped: 'freeze' });
    const discarded = applySchemaContract(before, [...before, col('note', { kind: 'string' })], contract);
    expect(discarded.columns.map((c) => c.name)).toEqual(['id', 'amount']);
    expect(discarded.drift?.discarded).toEqual(['note']);
    expect(applySchemaContract(before, [id], contract).drift?.outcome).toBe('frozen');
    expect(applySchemaContract(before, [id, col('amount', { kind: 'int64' })], contract).drift?.outcome).toBe('frozen');
  });

  it('fits a drift of a thousand added columns into one stored property, with the full counts', () => {
    const wide = Array.from({ length: 1_000 }, (_, i) => col(`a_rather_long_column_name_${i}`, { kind: 'decimal', precision: 38, scale: 10 }, 'numeric(38,10)'));
    const { drift } = applySchemaContract(before, [...before, ...wide], defaultSchemaContract);
    const fitted = fitDrift(drift!, 30_000);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(30_000);
    expect(fitted.truncated).toEqual({ added: 1_000, removed: 0, retyped: 0 });
    expect(fitted.added[0]!.column).toBe('a_rather_long_column_name_0');
    expect(fitDrift(drift!, 1_000_000)).toBe(drift);
  });

  it('is refused at the field it names when it is not one of the policies', () => {
    const result = pipelineSpecSchema.safeParse({ id: 'p', source: { engine: 'postgres', connectionSetting: 'S' }, table: { name: 't' }, output: { container: 'out' }, schemaContract: { added: 'merge' } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['schemaContract', 'added']);
  });
});

describe('schema versions', () => {
  it('change with a name, an output type, nullability or order, and not with a source type or key order', () => {
    const base = schemaVersionOf([id, col('d', { kind: 'decimal', precision: 10, scale: 2 })]);
    expect(base).toMatch(/^[0-9a-f]{12}$/);
    expect(schemaVersionOf([id, col('d', { scale: 2, precision: 10, kind: 'decimal' } as Column['type'], 'numeric')])).toBe(base);
    expect(schemaVersionOf([id, col('d', { kind: 'decimal', precision: 11, scale: 2 })])).not.toBe(base);
    expect(schemaVersionOf([id, col('d', { kind: 'decimal', precision: 10, scale: 2 }, 'x', false)])).not.toBe(base);
    expect(schemaVersionOf([col('d', { kind: 'decimal', precision: 10, scale: 2 }), id])).not.toBe(base);
  });

  it('fill the {schemaVersion} path token, and a template that needs one fails without it', () => {
    const template = '{pipeline}/v={schemaVersion}/run={runId}/part-{chunk}-{file}';
    expect(runPaths({ pipelineId: 'p', runId: '20260101T000000Z-abcd', table: 't', schemaVersion: 'abc123def456', template }).folder).toBe('p/v=abc123def456/run=20260101T000000Z-abcd');
    expect(() => runPaths({ pipelineId: 'p', runId: '20260101T000000Z-abcd', table: 't', template })).toThrow('{schemaVersion}');
  });
});
