import { describe, expect, it } from 'vitest';
import { countChangeTypes, noChanges, sumChangeCounts } from '../../src/capture/changeCounts.js';
import { runPathsFor } from '../../src/sink/blobPaths.js';
import { changeFileNumbers } from '../../src/sink/delta/deltaPaths.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';

describe('change counts', () => {
  it('counts change rows by _change_type, and refuses a type that is none of the three', () => {
    const counts = noChanges();
    countChangeTypes(counts, [[1, 'insert', 7n], [2, 'update', 7n], [3, 'delete', 7n], [4, 'insert', 7n]], 1, 'Chunk 0');
    expect(counts).toEqual({ inserted: 2, updated: 1, deleted: 1 });
    expect(() => countChangeTypes(counts, [[5, 'upsert', 7n]], 1, 'Chunk 3')).toThrow('Chunk 3: a change row has _change_type "upsert"');
  });

  it('sums the chunks, or says nothing when a chunk recorded no counts', () => {
    expect(sumChangeCounts([{ changes: { inserted: 2, updated: 1, deleted: 0 } }, { changes: { inserted: 0, updated: 3, deleted: 4 } }])).toEqual({ inserted: 2, updated: 4, deleted: 4 });
    expect(sumChangeCounts([])).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(sumChangeCounts([{ changes: { inserted: 1, updated: 0, deleted: 0 } }, {}])).toBeUndefined();
  });
});

describe('a Delta merge\'s change files', () => {
  const output = pipelineSpecSchema.parse({ id: 'customers', source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_X' }, table: { name: 'customers' }, changeCapture: { mode: 'hashDiff' }, output: { container: 'lake', format: 'delta', mode: 'merge', tablePath: '{pipeline}/{table}' } }).output;

  it('go to the run\'s _changes/ folder beside the table, and name the data file their rows fold into', () => {
    const paths = runPathsFor(output, { pipelineId: 'customers', runId: 'r1', table: 'customers', changeRows: true });
    const path = paths.file(2, 3, '', 'parquet');
    expect(path).toBe('customers/_siphon_runs/customers/run=r1/_changes/part-c00002-0003.snappy.parquet');
    expect(changeFileNumbers(path)).toEqual({ chunk: 2, file: 3 });
    // Plain rows (no change capture) still go into the table.
    expect(runPathsFor(output, { pipelineId: 'customers', runId: 'r1', table: 'customers' }).file(2, 3, '', 'parquet')).toBe('customers/customers/part-r1-c00002-0003.snappy.parquet');
  });
});
