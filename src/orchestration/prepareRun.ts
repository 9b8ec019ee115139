import { NonRetryableError, withContext } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import { planChunks } from '../copy/planChunks.js';
import { ChunkStatus, RunStatus, terminalRunStatuses } from '../spec/runStatus.js';
import { runFolder } from '../sink/blobPaths.js';
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
    if (run.spec && run.keyKind) return { chunkCount: run.chunksPlanned, maxParallel: run.spec.chunking.maxParallel };

    const pipeline = await services.pipelines.get(ref.pipelineId);
    if (!pipeline) throw new NonRetryableError('the pipeline does not exist');
    const { spec } = pipeline;
    const source = await services.openSource(spec.source);
    try {
      const table = await source.describeTable(spec.table, spec.columns);
      const bounds = await source.keyBounds(spec.table, spec.chunking.column);
      const ranges = planChunks(bounds, spec.chunking.chunks);
      const orderBy = [spec.chunking.column, ...table.primaryKey.filter((name) => name !== spec.chunking.column)];
      await services.chunks.savePlan(ranges.map((range, index) => ({ runId: ref.runId, index, range, status: ChunkStatus.planned, rows: 0, bytes: 0, files: [] })));
      await services.runs.update(ref.pipelineId, ref.runId, (current) => ({
        ...current,
        status: RunStatus.running,
        startedAt: services.now().toISOString(),
        spec,
        columns: table.columns,
        keyKind: bounds.kind,
        orderBy,
        chunksPlanned: ranges.length,
        rowsEstimate: bounds.rowsEstimate,
        outputFolder: `${spec.output.container}/${runFolder(ref.pipelineId, ref.runId)}`,
      }));
      return { chunkCount: ranges.length, maxParallel: spec.chunking.maxParallel };
    } finally {
      await source.close();
    }
  } catch (err) {
    throw withContext(err, context);
  }
}
