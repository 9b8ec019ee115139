import { useTitle } from '../components/useTitle.js';

export function QueryView({ queryId }: { queryId: string }) {
  useTitle(`Query ${queryId}`);
  return <section><h1>Query {queryId}</h1></section>;
}
