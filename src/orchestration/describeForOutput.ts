import { NonRetryableError } from '../errors/errorTypes.js';
import { unwritableColumns } from '../formats/unwritableColumns.js';
import type { Column } from '../spec/columns.js';
import { overrideTypeOf, type OverrideType } from '../spec/columnTypes.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { compileRowRules } from '../validation/rowRules.js';
import { qualityColumnRefusals } from '../quality/qualityColumnRefusals.js';
import { readTargetLabel, readTargetOf } from '../sources/readTarget.js';
import type { ColumnRefusal, DescribeOptions, SourceConnector, TableDescription } from '../sources/sourceConnector.js';

/**
 * The columns a run of `spec` writes: the source's description with the pipeline's
 * `columnTypes` applied, less what the output format cannot hold exactly. Like describe itself,
 * it fails naming every refused column, or with `collectRefusals` lists them beside the columns
 * that can be written.
 */
export async function describeForOutput(source: SourceConnector, spec: PipelineSpec, options: DescribeOptions = {}): Promise<TableDescription> {
  const target = readTargetOf(spec);
  const label = readTargetLabel(target);
  const description = await source.describe(target, spec.columns, options);
  const overridden = applyColumnTypes(description.columns, spec, label);
  const refusals = [...overridden.refusals, ...compileRowRules(overridden.columns, spec.validation, label).refusals, ...unwritableColumns(overridden.columns, spec.output.format, label), ...qualityColumnRefusals(overridden.columns, spec, label)];
  if (!refusals.length) return { ...description, columns: overridden.columns };
  if (!options.collectRefusals) throw new NonRetryableError(refusals.map((refusal) => refusal.reason).join('; '));
  const refused = new Set(refusals.map((refusal) => refusal.column));
  return { ...description, columns: overridden.columns.filter((column) => !refused.has(column.name)), refusals: [...description.refusals, ...refusals] };
}

/** Output types a column can be read as text and made into: anything has a text but bytes. */
function applyColumnTypes(columns: Column[], spec: PipelineSpec, label: string): { columns: Column[]; refusals: ColumnRefusal[] } {
  const overrides = spec.columnTypes ?? {};
  const refusals: ColumnRefusal[] = Object.keys(overrides)
    .filter((name) => !columns.some((column) => column.name === name))
    .map((name) => ({ column: name, path: 'columnTypes', reason: `columnTypes names "${name}", which ${label} does not read` }));
  const result = columns.map((column): Column => {
    const override = overrides[column.name];
    if (!override) return column;
    const from = column.override?.from ?? column.type;
    // Checked when the spec was parsed; a stored spec parses the same way.
    const type = overrideTypeOf(override.type) as OverrideType;
    const refusal = overrideRefusal(from, type.kind);
    if (refusal) {
      refusals.push({ column: column.name, path: 'columnTypes', reason: `${label}, column "${column.name}" (${column.sourceType}): columnTypes cannot read it as ${type.kind}: ${refusal}` });
      return column;
    }
    return { ...column, type, override: { from, ...(override.rounding ? { rounding: override.rounding } : {}) } };
  });
  return { columns: result, refusals };
}

function overrideRefusal(from: Column['type'], to: 'string' | 'decimal'): string | undefined {
  if (from.kind === 'binary') return 'bytes have no exact text';
  if (to === 'decimal' && !['int16', 'int32', 'int64', 'uint64', 'decimal', 'float32', 'float64', 'string'].includes(from.kind)) return `a ${from.kind} is not a number`;
  return undefined;
}
