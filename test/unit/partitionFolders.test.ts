import { describe, expect, it } from 'vitest';
import { checkPartitionColumns, escapePathName, nullPartition, partitionRouter } from '../../src/copy/partitionFolders.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import type { Column } from '../../src/spec/columns.js';

const columns: Column[] = [
  { name: 'id', sourceType: 'bigint', nullable: false, type: { kind: 'int64' } },
  { name: 'order_date', sourceType: 'date', nullable: true, type: { kind: 'date' } },
  { name: 'region', sourceType: 'text', nullable: true, type: { kind: 'string' } },
  { name: 'placed_at', sourceType: 'timestamptz', nullable: true, type: { kind: 'timestamp', utc: true } },
];

describe('partitionRouter', () => {
  it('names folders col=value in partitionBy order and drops those columns from the file rows', () => {
    const router = partitionRouter(columns, ['order_date', 'region']);
    const row = [7n, 19844, 'EU', 1n];
    expect(router.folderOf(row)).toBe('order_date=2024-05-01/region=EU');
    expect(router.fileRow(row)).toEqual([7n, 1n]);
    expect(router.fileColumns.map((c) => c.name)).toEqual(['id', 'placed_at']);
  });

  it('puts NULL (and, as Hive does, the empty string) in the default partition', () => {
    const router = partitionRouter(columns, ['region']);
    expect(router.folderOf([1n, 0, null, null])).toBe(`region=${nullPartition}`);
    expect(router.folderOf([1n, 0, '', null])).toBe(`region=${nullPartition}`);
  });

  it('escapes values so one value is one folder', () => {
    const router = partitionRouter(columns, ['region']);
    expect(router.folderOf([1n, 0, 'a/b=c%d', null])).toBe('region=a%2Fb%3Dc%25d');
    expect(escapePathName('Zoë 🚀 #1')).toBe('Zoë 🚀 %231');
  });

  it('passes rows through untouched without partitions', () => {
    const router = partitionRouter(columns, []);
    const row = [1n, 2, 'x', 3n];
    expect(router.partitioned).toBe(false);
    expect(router.fileRow(row)).toBe(row);
  });
});

describe('checkPartitionColumns', () => {
  it('refuses a column that is not read, naming it', () => {
    expect(() => checkPartitionColumns(columns, ['nope'], 'Table s.t')).toThrow(new NonRetryableError('Table s.t: partition column "nope" is not among the columns read'));
  });

  it('refuses a timestamp column, which would be rounded into a folder name', () => {
    expect(() => checkPartitionColumns(columns, ['placed_at'], 'Table s.t')).toThrow(/partition column "placed_at" \(timestamptz\) must be an integer, boolean, string or date column/);
  });

  it('refuses partitioning by every column', () => {
    const two = columns.slice(1, 3);
    expect(() => checkPartitionColumns(two, ['order_date', 'region'], 'Table s.t')).toThrow(/files would have none/);
  });
});
