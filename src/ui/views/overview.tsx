import { useTitle } from '../components/useTitle.js';

export function OverviewView() {
  useTitle('Overview');
  return <section><h1>Overview</h1></section>;
}
