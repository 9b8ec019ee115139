import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/spec/columns.js';
import { lineProblemText, readQuarantineLines } from '../../src/validation/quarantineLines.js';

const columns: Column[] = [
  { name: 'id', sourceType: 'int4', nullable: false, type: { kind: 'int32' } },
  { name: 'amount', sourceType: 'numeric(12,2)', nullable: true, type: { kind: 'decimal', precision: 12, scale: 2 } },
  { name: 'at', sourceType: 'timestamptz', nullable: true, type: { kind: 'timestamp', utc: true } },
];

/** Corrected rows for a re-ingest: every problem named by line and column, nothing guessed. */
describe('readQuarantineLines', () => {
  it('reads quarantine lines and bare values into rows of canonical values, skipping blank lines', () => {
    const text = [
      '{"runId":"20240501T120000Z-ab12cd34","chunk":1,"key":{"id":"7"},"failures":[{"column":"amount","rule":"min","message":"-1.00 is below the minimum 0.00"}],"values":{"id":"7","amount":"1.5","at":null}}',
      '',
      '{"values":{"id":"8","amount":null,"at":"2024-05-01T12:30:00.000001Z"}}\r',
    ].join('\n');
    expect(readQuarantineLines(text, columns)).toEqual({ rows: [[7, '1.50', null], [8, null, 1_714_566_600_000_001n]], problems: [] });
  });

  it('names the line and the column of every problem', () => {
    const text = [
      '{"values":{"id":null,"amount":"1","at":null}}',
      '{"values":{"id":"2","at":null}}',
      '{"values":{"id":"3","amount":"1","at":null,"colour":"red"}}',
      '{"values":{"id":"4","amount":"1","at":null},"extra":true}',
      '{"values":{"id":"5","amount":"1","at":"2024-05-01"}}',
      'not json',
      '{"values":{"id":6,"amount":"1","at":null}}',
    ].join('\n');
    const { rows, problems } = readQuarantineLines(text, columns);
    expect(rows).toEqual([]);
    expect(problems.map(lineProblemText)).toEqual([
      'line 1: values.id: is null, but the column is NOT NULL (int4)',
      'line 2: values.amount: is missing: every column is given, null for NULL',
      'line 3: values.colour: is not a column of the run (its columns: id, amount, at)',
      expect.stringMatching(/^line 4: \(line\): Unrecognized key: "extra"/),
      'line 5: values.at: "2024-05-01" is not a timestamp as YYYY-MM-DDTHH:MM:SS.ffffff',
      'line 6: (line): is not JSON',
      expect.stringMatching(/^line 7: values\.id: /),
    ]);
  });
});
