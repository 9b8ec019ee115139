import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { planChunks } from '../copy/planChunks.js';
import { planBalancedChunks } from '../copy/planBalancedChunks.js';
import { checkPartitionColumns } from '../copy/partitionFolders.js';
import type { ChunkRange } from '../spec/columns.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { ChunkStatus, RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import type { ReadTarget, SourceConnector, KeyKind } from '../sources/sourceConnector.js';
import { readTargetLabel, readTargetOf, tableName } from '../sources/readTarget.js';
import { runPaths } from '../sink/blobPaths.js';
import type { PreparedRun, RunRef } from './activityContracts.js';

/**
 * Snapshots the pipeline spec into the run, introspects the source, and plans the chunks.
 * A plan already recorded for the run is reused, so a prepare that runs again after a crash
 * yields the same chunks and therefore the same file names.
 */
export async function prepareRun(services: Services, ref: RunRef): Promise<PreparedRun> {
  const context = `Pipeline ${ref.pipelineId}, run ${ref.runId}, prepare`;
  try {
    const run = await services.runs.get(ref.pipelineId, ref.runId);
    if (!run) throw new NonRetryableError('the run record does not exist');
    if (terminalRunStatuses.has(run.status)) throw new NonRetryableError(`the run is already ${run.status}`);
    if (run.spec && run.columns) return { chunkCount: run.chunksPlanned, maxParallel: run.spec.chunking?.maxParallel ?? 1 };

    const pipeline = await services.pipelines.get(ref.pipelineId);
    if (!pipeline) throw new NonRetryableError('the pipeline does not exist');
    const { spec } = pipeline;
    const target = readTargetOf(spec);
    const source = await services.openSource(spec.source);
    try {
      const description = await source.describe(target, spec.columns);
      checkPartitionColumns(description.columns, spec.output.partitionBy ?? [], readTargetLabel(target));
      const plan = await planRun(source, target, spec, description.primaryKey);
      await services.chunks.savePlan(plan.ranges.map((range, index) => ({ runId: ref.runId, index, range, status: ChunkStatus.planned, rows: 0, bytes: 0, files: [] })));
      const paths = runPaths({ pipelineId: ref.pipelineId, runId: ref.runId, table: tableName(target), template: spec.output.pathTemplate });
      await services.runs.update(ref.pipelineId, ref.runId, (current) => ({
        ...current,
        status: RunStatus.running,
        startedAt: services.now().toISOString(),
        spec,
        columns: description.columns,
        keyKind: plan.keyKind,
        orderBy: plan.orderBy,
        planMethod: plan.method,
        chunksPlanned: plan.ranges.length,
        rowsEstimate: plan.rowsEstimate,
        outputFolder: `${spec.output.container}/${paths.folder}`,
      }));
      return { chunkCount: plan.ranges.length, maxParallel: spec.chunking?.maxParallel ?? 1 };
    } finally {
      await source.close();
    }
  } catch (err) {
    throw withContext(err, context);
  }
}

type RunPlan = { ranges: ChunkRange[]; keyKind?: KeyKind; orderBy: string[]; method: 'single' | 'equalWidth' | 'statistics' | 'sample'; rowsEstimate: number };

/**
 * Rows are ordered by the split key and then the primary key, so a chunk read twice yields its
 * rows in the same order and its files the same bytes. Without chunking the whole table (or the
 * query, in its own order) is one streamed chunk.
 */
async function planRun(source: SourceConnector, target: ReadTarget, spec: PipelineSpec, primaryKey: string[]): Promise<RunPlan> {
  const { chunking } = spec;
  if (!chunking) return { ranges: [{ kind: 'all' }], orderBy: primaryKey, method: 'single', rowsEstimate: 0 };
  const bounds = await source.keyBounds(target, chunking.column);
  const orderBy = [chunking.column, ...primaryKey.filter((name) => name !== chunking.column)];
  if (chunking.strategy === 'equalWidth' || bounds.min === undefined) {
    return { ranges: planChunks(bounds, chunking.chunks), keyKind: bounds.kind, orderBy, method: 'equalWidth', rowsEstimate: bounds.rowsEstimate };
  }
  const distribution = await source.keyDistribution(target, chunking.column, bounds.kind, samplePointsFor(chunking.chunks));
  return { ranges: planBalancedChunks(bounds, distribution, chunking.chunks), keyKind: bounds.kind, orderBy, method: distribution.method, rowsEstimate: bounds.rowsEstimate };
}

/** Enough sampled keys that each chunk's boundary rests on dozens of them, within a bounded query. */
function samplePointsFor(chunks: number): number {
  return Math.min(200_000, Math.max(10_000, chunks * 50));
}
