import { runIdTime } from '../jobs/runId.js';

/**
 * Where a run's files go. Every name is a pure function of (pipeline, run id, chunk, file
 * number), so a retried or repeated activity writes the same names and overwrites, never adds.
 * Default layout: <pipeline>/<yyyy>/<MM>/<dd>/run=<runId>/part-<chunk>-<file>.parquet
 */
export function runFolder(pipelineId: string, runId: string): string {
  const time = runIdTime(runId);
  const yyyy = String(time.getUTCFullYear()).padStart(4, '0');
  const MM = String(time.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(time.getUTCDate()).padStart(2, '0');
  return `${pipelineId}/${yyyy}/${MM}/${dd}/run=${runId}`;
}

export function partFilePath(pipelineId: string, runId: string, chunk: number, file: number, extension: string): string {
  return `${runFolder(pipelineId, runId)}/part-${String(chunk).padStart(5, '0')}-${String(file).padStart(4, '0')}.${extension}`;
}

export function manifestPath(pipelineId: string, runId: string): string {
  return `${runFolder(pipelineId, runId)}/_manifest.json`;
}

export function successMarkerPath(pipelineId: string, runId: string): string {
  return `${runFolder(pipelineId, runId)}/_SUCCESS`;
}
