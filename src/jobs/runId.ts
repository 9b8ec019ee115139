import { createHash, randomBytes } from 'node:crypto';
import { legacyPipelineGeneration } from './pipelineGeneration.js';

/**
 * Run ids start with their UTC time, so they sort and read well; the suffix is random for manual
 * runs and a hash of pipeline + generation + fire time for scheduled ones, so a tick that fires
 * twice names the same run and enqueues it once, while a pipeline deleted and created again under
 * the same id names a different run for the same fire time (its predecessor's run record and
 * orchestration instance may still exist under the old id).
 */
export function newRunId(now: Date): string {
  return `${compactTime(now)}-${randomBytes(4).toString('hex')}`;
}

export function scheduledRunId(pipelineId: string, generation: string, fireTime: Date): string {
  // The legacy generation keeps the hash it always had: a tick just after the deploy that brought
  // generations must name the run the tick before it recorded, not enqueue the fire time again.
  const key = generation === legacyPipelineGeneration ? `${pipelineId}|${fireTime.toISOString()}` : `${pipelineId}|${generation}|${fireTime.toISOString()}`;
  const hash = createHash('sha256').update(key).digest('hex');
  return `${compactTime(fireTime)}-${hash.slice(0, 8)}`;
}

/** The time a run id was made from. */
export function runIdTime(runId: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(runId);
  if (!m) throw new Error(`Not a run id: ${runId}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function compactTime(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}
