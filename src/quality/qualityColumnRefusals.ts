import type { Column } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';

/** Output types a freshness column may have: an instant or a day. */
const datedKinds = new Set(['date', 'timestamp', 'timestampOffset']);

/**
 * What the pipeline's quality checks ask of the source's columns, checked at validate and
 * prepare (orchestration/describeForOutput.ts), naming the field: every column a check names is
 * one the run reads, and a freshness column (or the cursor it defaults to) holds dates or
 * timestamps. `columns` are the columns the run reads, in their output types.
 */
export function qualityColumnRefusals(columns: readonly Column[], spec: PipelineSpec, label: string): ColumnRefusal[] {
  const refusals: ColumnRefusal[] = [];
  const read = (name: string, path: string): Column | undefined => {
    const column = columns.find((candidate) => candidate.name === name);
    if (!column) refusals.push({ column: name, path, reason: `${path} names "${name}", which ${label} does not read` });
    return column;
  };
  spec.quality?.checks.forEach((check, index) => {
    const at = `quality.checks.${index}`;
    switch (check.kind) {
      case 'notNullRate':
        read(check.column, `${at}.column`);
        break;
      case 'unique':
        check.columns.forEach((name, position) => read(name, `${at}.columns.${position}`));
        break;
      case 'freshness': {
        const name = check.column ?? spec.incremental?.column;
        if (name === undefined) break; // refused with the spec's text (spec/qualitySpec.ts)
        const column = read(name, `${at}.column`);
        // The type the source holds, whatever columnTypes writes it as.
        const kind = column && (column.override?.from ?? column.type).kind;
        if (column && kind !== undefined && !datedKinds.has(kind)) {
          refusals.push({ column: name, path: `${at}.column`, reason: `${label}, column "${name}" (${column.sourceType}): freshness needs a date or timestamp column${check.column === undefined ? ' (the incremental cursor is the default; name one)' : ''}` });
        }
        break;
      }
    }
  });
  return refusals;
}
