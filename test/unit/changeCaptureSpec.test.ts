import { describe, expect, it } from 'vitest';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';

const base = {
  id: 'customers',
  source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' },
  table: { name: 'customers' },
  output: { container: 'exports' },
};

function problems(value: unknown): string[] {
  const result = pipelineSpecSchema.safeParse(value);
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('changeCapture and softDelete in a spec', () => {
  it('parse, and a stored spec parses to itself', () => {
    for (const spec of [
      { ...base, changeCapture: { mode: 'hashDiff' }, chunking: { column: 'id' } },
      { ...base, changeCapture: { mode: 'hashDiff', keys: ['region', 'id'] }, chunking: { column: 'id' } },
      { ...base, incremental: { column: 'updated_at' }, softDelete: { column: 'deleted_at' } },
      // A Delta merge applies change rows, by the capture's keys unless output.keys name the same columns.
      { ...base, changeCapture: { mode: 'hashDiff' }, output: { container: 'lake', format: 'delta', mode: 'merge' } },
      { ...base, changeCapture: { mode: 'hashDiff', keys: ['region', 'id'] }, output: { container: 'lake', format: 'delta', mode: 'merge', keys: ['id', 'region'] } },
      { ...base, incremental: { column: 'updated_at' }, softDelete: { column: 'deleted_at' }, output: { container: 'lake', format: 'delta', mode: 'merge', keys: ['id'] } },
    ]) {
      const parsed = pipelineSpecSchema.parse(spec);
      expect(pipelineSpecSchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
    }
  });

  it('refuse what they cannot do, at the field concerned', () => {
    expect(problems({ ...base, changeCapture: { mode: 'cdc' } })[0]).toMatch(/^changeCapture.mode/);
    expect(problems({ ...base, changeCapture: { mode: 'hashDiff', keys: ['id', 'id'] } })).toEqual(['changeCapture.keys: a column is named twice']);
    expect(problems({ ...base, changeCapture: { mode: 'hashDiff', keys: ['id'] }, chunking: { column: 'region' } })[0]).toMatch(/^chunking.column: a change-capture pipeline splits on one of its keys/);
    expect(problems({ ...base, changeCapture: { mode: 'hashDiff' }, incremental: { column: 'updated_at' } })[0]).toMatch(/^changeCapture: hashDiff reads the whole table/);
    expect(problems({ ...base, table: undefined, query: 'SELECT 1 AS id', changeCapture: { mode: 'hashDiff' } })[0]).toMatch(/^changeCapture: hashDiff reads a table/);
    // A Delta merge of change rows: by the capture's keys, and not partitioned (yet).
    expect(problems({ ...base, changeCapture: { mode: 'hashDiff', keys: ['id'] }, output: { container: 'lake', format: 'delta', mode: 'merge', keys: ['code'] } })).toEqual([
      'output.keys: the merge applies change rows by their keys; output.keys (code) differ from changeCapture.keys (id): give one of them, or the same columns',
    ]);
    expect(problems({ ...base, changeCapture: { mode: 'hashDiff' }, output: { container: 'lake', format: 'delta', mode: 'merge', partitionBy: ['region'] } })).toEqual(['output.partitionBy: a Delta merge of change rows does not take partitionBy yet']);
    expect(problems({ ...base, output: { container: 'lake', format: 'delta', mode: 'merge' } })).toEqual(['output.keys: merge needs keys: the columns that identify a row']);
    expect(problems({ ...base, softDelete: { column: 'deleted_at' } })[0]).toMatch(/^softDelete: soft deletes are read by an incremental pipeline/);
  });
});
