import { describe, expect, it } from 'vitest';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';

const base = {
  id: 'customers',
  source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' },
  table: { name: 'customers' },
  output: { container: 'exports' },
};

const sqlServer = { engine: 'sqlserver', connectionSetting: 'SIPHON_SOURCE_SALES' };

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
      { ...base, source: sqlServer, changeCapture: { mode: 'changeTracking' } },
      { ...base, source: sqlServer, changeCapture: { mode: 'cdc', captureInstance: 'dbo_customers_v2', rowFilter: 'all update old', onNewCaptureInstance: 'fail' } },
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

  it('keep changeTracking and cdc to SQL Server, each with its own options', () => {
    expect(problems({ ...base, changeCapture: { mode: 'changeTracking' } })).toEqual(["changeCapture.mode: changeTracking is SQL Server's; this source is postgres (hashDiff works on every engine)"]);
    expect(problems({ ...base, source: { engine: 'mysql', connectionSetting: 'SIPHON_SOURCE_SALES' }, changeCapture: { mode: 'cdc' } })).toEqual(["changeCapture.mode: cdc is SQL Server's; this source is mysql (hashDiff works on every engine)"]);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'changeTracking', captureInstance: 'dbo_customers' } })).toEqual(['changeCapture.captureInstance: captureInstance is a cdc option; mode is changeTracking']);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'changeTracking', rowFilter: 'all update old' } })).toEqual(['changeCapture.rowFilter: rowFilter is a cdc option; mode is changeTracking']);
    expect(problems({ ...base, changeCapture: { mode: 'hashDiff', onNewCaptureInstance: 'fail' } })).toEqual(['changeCapture.onNewCaptureInstance: onNewCaptureInstance is a cdc option; mode is hashDiff']);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'cdc', keys: ['id'] } })).toEqual(["changeCapture.keys: cdc identifies rows by the table's primary key; keys is a hashDiff option"]);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'cdc', rowFilter: 'net' } })[0]).toMatch(/^changeCapture.rowFilter/);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'cdc', captureInstance: 'x; DROP TABLE t' } })[0]).toMatch(/^changeCapture.captureInstance/);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'changeTracking' }, chunking: { chunks: 4 } })).toEqual(['chunking: a changeTracking pipeline reads its changes in one chunk; remove chunking']);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'changeTracking' }, incremental: { column: 'updated_at' } })).toEqual(['changeCapture: changeTracking keeps its own position (a version or LSN); it does not take an incremental cursor']);
    expect(problems({ ...base, source: sqlServer, changeCapture: { mode: 'cdc' }, softDelete: { column: 'deleted_at' } })).toContain('softDelete: cdc sees deletes itself; give changeCapture or softDelete, not both');
  });
});
