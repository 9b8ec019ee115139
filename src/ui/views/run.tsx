import { useTitle } from '../components/useTitle.js';

export function RunView({ pipelineId, runId }: { pipelineId: string; runId: string }) {
  useTitle(`Run ${runId}`);
  return <section><h1>Run {runId} of {pipelineId}</h1></section>;
}
