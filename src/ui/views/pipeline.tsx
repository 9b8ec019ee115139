import { useTitle } from '../components/useTitle.js';

export function PipelineView({ pipelineId }: { pipelineId: string }) {
  useTitle(pipelineId);
  return <section><h1>{pipelineId}</h1></section>;
}
