import type { Services } from '../services.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { RunStatus } from '../spec/runStatus.js';
import { acquireRunLease, leaseHeldReason } from '../jobs/runLease.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';

/**
 * Why a run must not go ahead, or undefined when it may: an upstream pipeline whose latest run did
 * not succeed, or another run of the same pipeline holding its run lease (two runs of an
 * incremental pipeline would read the same cursor range twice). Taking the lease here is what
 * makes it exclusive: the run either holds it when this returns undefined, or is told who does.
 */
export async function reasonToSkip(services: Services, spec: PipelineSpec, run: { runId: string; attempt: number }): Promise<string | undefined> {
  for (const upstream of spec.dependsOn ?? []) {
    // A re-ingest run lands an earlier run's quarantined rows: not the upstream's latest run.
    const latest = (await services.runs.listByPipeline(upstream, 20)).find((candidate) => candidate.reason !== 'reingest');
    if (!latest) return `upstream pipeline ${upstream} has never run`;
    // A run kept from a deleted upstream of the same id says nothing about the one there now.
    const upstreamPipeline = await services.pipelines.get(upstream);
    if (!upstreamPipeline) return `upstream pipeline ${upstream} does not exist`;
    if (runGeneration(latest) !== upstreamPipeline.generation) return `upstream pipeline ${upstream} has not run since it was created again`;
    if (latest.status !== RunStatus.succeeded) return `upstream pipeline ${upstream}'s latest run ${latest.runId} is ${latest.status}`;
  }
  const lease = await acquireRunLease(services, spec.id, run);
  return lease.acquired ? undefined : leaseHeldReason(spec.id, lease.holder);
}
