import { describe, expect, it } from 'vitest';
import { runPaths } from '../../src/sink/blobPaths.js';

const runId = '20261121T163000Z-1a2b3c4d';
const orders = runPaths({ pipelineId: 'orders', runId, table: 'sales.orders' });

describe('blob paths', () => {
  it('lays out part files as <pipeline>/<yyyy>/<MM>/<dd>/run=<runId>/part-<chunk5>-<file4>.<ext>', () => {
    expect(orders.file(3, 12, '', 'parquet')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/part-00003-0012.parquet');
    expect(orders.file(0, 0, '', 'csv.gz')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/part-00000-0000.csv.gz');
    expect(orders.file(12345, 9999, '', 'parquet')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/part-12345-9999.parquet');
  });

  it('pads month and day and uses the UTC date of the run id', () => {
    expect(runPaths({ pipelineId: 'p', runId: '20260105T000000Z-00000000', table: 't' }).folder).toBe('p/2026/01/05/run=20260105T000000Z-00000000');
    expect(runPaths({ pipelineId: 'p', runId: '20261231T235959Z-00000000', table: 't' }).folder).toBe('p/2026/12/31/run=20261231T235959Z-00000000');
  });

  it('puts the manifest and success marker in the run folder', () => {
    expect(orders.manifest).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/_manifest.json');
    expect(orders.successMarker).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/_SUCCESS');
  });

  it('puts Hive partition folders between the run folder and the file name', () => {
    expect(orders.file(1, 2, 'order_date=2024-05-01/region=EU', 'jsonl')).toBe('orders/2026/11/21/run=20261121T163000Z-1a2b3c4d/order_date=2024-05-01/region=EU/part-00001-0002.jsonl');
  });

  it('renders every token of a custom template, and a table name cannot add folders', () => {
    const paths = runPaths({ pipelineId: 'orders', runId, table: 'odd/name', template: 'lake/{table}/{yyyy}{MM}{dd}T{HH}/{runId}/{pipeline}-{chunk}-{file}' });
    expect(paths.folder).toBe('lake/odd_name/20261121T16/20261121T163000Z-1a2b3c4d');
    expect(paths.file(4, 1, '', 'parquet')).toBe('lake/odd_name/20261121T16/20261121T163000Z-1a2b3c4d/orders-00004-0001.parquet');
  });

  it('gives distinct names to distinct chunks, files, partitions, runs and pipelines', () => {
    const names = new Set([
      orders.file(1, 0, '', 'parquet'),
      orders.file(0, 1, '', 'parquet'),
      orders.file(10, 0, '', 'parquet'),
      orders.file(1, 0, 'd=1', 'parquet'),
      runPaths({ pipelineId: 'orders', runId: '20261121T163000Z-1a2b3c4e', table: 'sales.orders' }).file(1, 0, '', 'parquet'),
      runPaths({ pipelineId: 'customers', runId, table: 'sales.orders' }).file(1, 0, '', 'parquet'),
    ]);
    expect(names.size).toBe(6);
  });
});
