import { describe, expect, it } from 'vitest';
import { applySchemaContract, schemaColumnOf } from '../../src/orchestration/schemaDrift.js';
import { nullFilledColumns } from '../../src/copy/nullFilledColumns.js';
import { schemaContractSchema } from '../../src/spec/schemaContract.js';
import type { Column } from '../../src/spec/columns.js';

const col = (name: string, type: Column['type'], nullable = true): Column => ({ name, sourceType: 'x', nullable, type });
const nullFill = schemaContractSchema.parse({ removed: 'nullFill' });

describe('schemaContract removed: nullFill', () => {
  const stored = [col('id', { kind: 'int32' }, false), col('amount', { kind: 'decimal', precision: 10, scale: 2 }, false), col('note', { kind: 'string' }), col('tail', { kind: 'int64' })].map(schemaColumnOf);

  it('keeps a removed column where it was, with its stored type, nullable, marked as filled, and says so in the drift', () => {
    const { columns, drift } = applySchemaContract(stored, [col('id', { kind: 'int32' }, false), col('note', { kind: 'string' }), col('tail', { kind: 'int64' })], nullFill);
    expect(columns.map((column) => column.name)).toEqual(['id', 'amount', 'note', 'tail']);
    expect(columns[1]).toEqual({ name: 'amount', sourceType: 'x', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true, nullFilled: true });
    expect(drift).toMatchObject({ outcome: 'evolved', removed: [{ column: 'amount' }], nullFilled: ['amount'] });
  });

  it('fills a removed first column first, and several at once in the stored order', () => {
    const { columns } = applySchemaContract(stored, [col('note', { kind: 'string' })], nullFill);
    expect(columns.map((column) => [column.name, column.nullFilled ?? false])).toEqual([['id', true], ['amount', true], ['note', false], ['tail', true]]);
  });

  it('goes on filling on the next run without calling it drift again, and reads the column again when it comes back', () => {
    const first = applySchemaContract(stored, [col('id', { kind: 'int32' }, false), col('note', { kind: 'string' }), col('tail', { kind: 'int64' })], nullFill);
    const recorded = first.columns.map(schemaColumnOf);
    expect(recorded[1]).toMatchObject({ name: 'amount', nullable: true, nullFilled: true });
    const next = applySchemaContract(recorded, [col('id', { kind: 'int32' }, false), col('note', { kind: 'string' }), col('tail', { kind: 'int64' })], nullFill);
    expect(next.drift).toBeUndefined();
    expect(next.columns).toEqual(first.columns);
    const back = applySchemaContract(recorded, [col('id', { kind: 'int32' }, false), col('amount', { kind: 'decimal', precision: 10, scale: 2 }), col('note', { kind: 'string' }), col('tail', { kind: 'int64' })], nullFill);
    expect(back.drift).toBeUndefined();
    expect(back.columns.some((column) => column.nullFilled)).toBe(false);
  });

  it('fills nothing when the run is frozen for another change, and nothing under ignore', () => {
    const frozen = applySchemaContract(stored, [col('id', { kind: 'int32' }, false), col('note', { kind: 'string' }), col('tail', { kind: 'int64' }), col('extra', { kind: 'string' })], schemaContractSchema.parse({ removed: 'nullFill', added: 'freeze' }));
    expect(frozen.drift).toMatchObject({ outcome: 'frozen' });
    expect(frozen.drift!.nullFilled).toBeUndefined();
    const ignored = applySchemaContract(stored, [col('id', { kind: 'int32' }, false), col('note', { kind: 'string' }), col('tail', { kind: 'int64' })], schemaContractSchema.parse({}));
    expect(ignored.columns.map((column) => column.name)).toEqual(['id', 'note', 'tail']);
  });
});

describe('nullFilledColumns', () => {
  it('asks the source for the other columns only and puts a NULL in each filled place', () => {
    const columns = [{ ...col('a', { kind: 'int32' }), nullFilled: true as const }, col('b', { kind: 'int32' }), { ...col('c', { kind: 'string' }), nullFilled: true as const }, col('d', { kind: 'string' })];
    const { readColumns, fill } = nullFilledColumns(columns);
    expect(readColumns.map((column) => column.name)).toEqual(['b', 'd']);
    const rows = [[1, 'x'], [2, 'y']];
    fill!(rows);
    expect(rows).toEqual([[null, 1, null, 'x'], [null, 2, null, 'y']]);
  });

  it('does nothing without filled columns', () => {
    expect(nullFilledColumns([col('a', { kind: 'int32' })]).fill).toBeUndefined();
  });
});
