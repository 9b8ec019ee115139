import { useTitle } from '../components/useTitle.js';

export function PipelineFormView({ pipelineId }: { pipelineId?: string }) {
  useTitle(pipelineId ? `Edit ${pipelineId}` : 'New pipeline');
  return <section><h1>{pipelineId ? `Edit ${pipelineId}` : 'New pipeline'}</h1></section>;
}
