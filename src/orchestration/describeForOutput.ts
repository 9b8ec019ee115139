import { NonRetryableError } from '../errors/errorTypes.js';
import { unwritableColumns } from '../formats/unwritableColumns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { readTargetLabel, readTargetOf } from '../sources/readTarget.js';
import type { DescribeOptions, SourceConnector, TableDescription } from '../sources/sourceConnector.js';

/**
 * The columns a run of `spec` writes: the source's description, less what the output format
 * cannot hold exactly. Like describe itself, it fails naming every refused column, or with
 * `collectRefusals` lists them beside the columns that can be written.
 */
export async function describeForOutput(source: SourceConnector, spec: PipelineSpec, options: DescribeOptions = {}): Promise<TableDescription> {
  const target = readTargetOf(spec);
  const description = await source.describe(target, spec.columns, options);
  const refusals = unwritableColumns(description.columns, spec.output.format, readTargetLabel(target));
  if (!refusals.length) return description;
  if (!options.collectRefusals) throw new NonRetryableError(refusals.map((refusal) => refusal.reason).join('; '));
  const refused = new Set(refusals.map((refusal) => refusal.column));
  return { ...description, columns: description.columns.filter((column) => !refused.has(column.name)), refusals: [...description.refusals, ...refusals] };
}
