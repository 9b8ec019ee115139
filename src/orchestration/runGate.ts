import type { Services } from '../services.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { RunStatus } from '../spec/runStatus.js';

/**
 * Why a run must not go ahead, or undefined when it may: an upstream pipeline whose latest run did
 * not succeed, or another run of the same pipeline still going (two runs of an incremental
 * pipeline would read the same cursor range twice).
 */
export async function reasonToSkip(services: Services, spec: PipelineSpec, runId: string): Promise<string | undefined> {
  for (const upstream of spec.dependsOn ?? []) {
    const [latest] = await services.runs.listByPipeline(upstream, 1);
    if (!latest) return `upstream pipeline ${upstream} has never run`;
    if (latest.status !== RunStatus.succeeded) return `upstream pipeline ${upstream}'s latest run ${latest.runId} is ${latest.status}`;
  }
  const recent = await services.runs.listByPipeline(spec.id, 20);
  const other = recent.find((run) => run.runId !== runId && run.status === RunStatus.running);
  if (other) return `run ${other.runId} of this pipeline is still running`;
  return undefined;
}
