import { useTitle } from '../components/useTitle.js';

export function QueriesView() {
  useTitle('Queries');
  return <section><h1>Queries</h1></section>;
}
