import { useTitle } from '../components/useTitle.js';

export function PipelinesView() {
  useTitle('Pipelines');
  return <section><h1>Pipelines</h1></section>;
}
