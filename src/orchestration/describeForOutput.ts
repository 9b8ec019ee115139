import { NonRetryableError } from '../errors/errorTypes.js';
import { unwritableColumns } from '../formats/unwritableColumns.js';
import type { Column } from '../spec/columns.js';
import { overrideTypeOf, type OverrideType } from '../spec/columnTypes.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { compileRowRules } from '../validation/rowRules.js';
import { compileUniqueKeys } from '../validation/uniqueKeys.js';
import { deriveOutputColumns } from '../transforms/planTransforms.js';
import { qualityColumnRefusals } from '../quality/qualityColumnRefusals.js';
import { readTargetLabel, readTargetOf } from '../sources/readTarget.js';
import { capturesChanges, changeTypeColumn, changeVersionColumn, withChangeColumns } from '../capture/changeColumns.js';
import type { ColumnRefusal, DescribeOptions, SourceConnector, TableDescription } from '../sources/sourceConnector.js';

/** `columns`: the columns read (what drift compares); `outputColumns`: what the transforms make of them, which is written. */
export type OutputDescription = TableDescription & { outputColumns: Column[] };

/**
 * The columns a run of `spec` reads, with the pipeline's `columnTypes` applied, and the columns
 * it writes: those after its `transforms`, less what the output format cannot hold exactly. Like
 * describe itself, it fails naming every refusal (a transforms step's at `transforms[i]...`), or
 * with `collectRefusals` lists them beside the columns that can be read and written.
 */
export async function describeForOutput(source: SourceConnector, spec: PipelineSpec, options: DescribeOptions = {}): Promise<OutputDescription> {
  const target = readTargetOf(spec);
  const label = readTargetLabel(target);
  const description = await source.describe(target, spec.columns, options);
  const overridden = applyColumnTypes(description.columns, spec, label);
  const readRefusals = [...overridden.refusals, ...compileRowRules(overridden.columns, spec.validation, label).refusals, ...compileUniqueKeys(overridden.columns, spec.validation, label).refusals, ...qualityColumnRefusals(overridden.columns, spec, label)];
  const derived = outputOf(overridden.columns, spec, label);
  const refusals = [...readRefusals, ...derived.refusals];
  if (!refusals.length) return { ...description, columns: overridden.columns, outputColumns: derived.columns };
  if (!options.collectRefusals) throw new NonRetryableError(refusals.map((refusal) => refusal.reason).join('; '));
  const refused = new Set(readRefusals.map((refusal) => refusal.column));
  const unwritable = new Set(derived.refusals.map((refusal) => refusal.column));
  return {
    ...description,
    columns: overridden.columns.filter((column) => !refused.has(column.name)),
    outputColumns: derived.columns.filter((column) => !unwritable.has(column.name) && (spec.transforms || !refused.has(column.name))),
    refusals: [...description.refusals, ...refusals],
  };
}

/**
 * The columns written when the pipeline's transforms run on `columnsRead`, and what refuses: a
 * step that does not fit the columns (naming it), a column the format cannot hold. Prepare
 * derives them again after the schema contract has had its say about the columns read.
 */
export function outputOf(columnsRead: Column[], spec: PipelineSpec, label: string): { columns: Column[]; refusals: ColumnRefusal[] } {
  const derived = spec.transforms ? deriveOutputColumns(columnsRead, spec.transforms) : { columns: columnsRead, refusals: [] };
  const refusals = derived.refusals.map((refusal) => ({ ...refusal, reason: `${label}: ${refusal.reason}` }));
  if (!capturesChanges(spec)) return { columns: derived.columns, refusals: [...refusals, ...unwritableColumns(derived.columns, spec.output.format, label)] };
  // Change rows: the row's columns and then _change_type and _change_version (capture/changeColumns.ts).
  const taken = derived.columns.filter((column) => column.name === changeTypeColumn || column.name === changeVersionColumn)
    .map((column) => ({ column: column.name, path: 'changeCapture', reason: `${label}: column "${column.name}" has the name of a change column` }));
  const columns = withChangeColumns(derived.columns, spec);
  return { columns, refusals: [...refusals, ...taken, ...unwritableColumns(columns, spec.output.format, label)] };
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
