import type { Services } from '../services.js';
import { NonRetryableError } from '../errors/errorTypes.js';
import { writtenColumns } from '../formats/writtenTypes.js';
import type { Column } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { deltaLayoutFor } from '../sink/blobPaths.js';
import { readDeltaTable } from '../sink/delta/deltaLog.js';
import { deltaFields, parseSchemaString, refusedDeltaNames, schemaEvolution } from '../sink/delta/deltaSchema.js';
import { mergeKeyProblems } from '../sink/delta/mergeIntoTable.js';
import { checkWritable } from '../sink/delta/writableTable.js';
import { changeMergeKeyRefusal, deltaMergeKeys } from './changeMerge.js';

/**
 * The checks a Delta pipeline's columns pass before anything is copied, each a refusal at its
 * spec field: names Delta cannot hold (`columns`), merge keys (`output.keys`), and the table as
 * it is now (`output.tablePath`): a protocol or feature this writer does not follow, other
 * partition columns, or a column removed or retyped (only added columns evolve the schema).
 */
export function checkDeltaColumns(spec: PipelineSpec, columns: Column[], where: string): void {
  const names = refusedDeltaNames(columns);
  if (names.length) throw new NonRetryableError(`${where}: ${names.map((entry) => `"${entry.column}"`).join(', ')}: ${names[0]!.reason}`);
}

/** `primaryKey`: the table's, the keys a merge of change rows takes by default (orchestration/changeMerge.ts). */
export function checkMergeKeys(spec: PipelineSpec, columns: Column[], primaryKey: string[], where: string): void {
  if (spec.output.mode !== 'merge') return;
  const refusal = changeMergeKeyRefusal(spec, primaryKey);
  if (refusal) throw new NonRetryableError(`${where}: ${refusal}`);
  const problems = mergeKeyProblems(writtenColumns(columns, spec.output), deltaMergeKeys(spec, primaryKey));
  if (problems.length) throw new NonRetryableError(`${where}: ${problems.map((problem) => problem.reason).join('; ')}`);
}

/** The table's version now (-1: not created yet), after checking the run can commit to it. */
export async function checkDeltaTable(services: Services, spec: PipelineSpec, table: string, columns: Column[], where: string): Promise<number> {
  const layout = deltaLayoutFor(spec.output, spec.id, table);
  const container = services.dataBlobs.getContainerClient(spec.output.container);
  const snapshot = await readDeltaTable(container, layout);
  const place = `${where}, Delta table ${spec.output.container}/${layout.table}`;
  checkWritable(snapshot, spec.output.mode ?? 'append', place);
  if (snapshot.metadata) {
    const partitionBy = spec.output.partitionBy ?? [];
    if (JSON.stringify(snapshot.metadata.partitionColumns) !== JSON.stringify(partitionBy)) {
      throw new NonRetryableError(`${place}: the table is partitioned by ${JSON.stringify(snapshot.metadata.partitionColumns)} and the pipeline by ${JSON.stringify(partitionBy)}`);
    }
    schemaEvolution(parseSchemaString(snapshot.metadata.schemaString), deltaFields(writtenColumns(columns, spec.output)), place);
  }
  return snapshot.version;
}
