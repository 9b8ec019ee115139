// First: zod must know it may not compile parsers before any schema is built (see the module).
import '../spec/zodWithoutEval.js';
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Layout } from './components/layout.js';
import { CallerProvider } from './components/caller.js';
import { interceptLinks, parseRoute, useLocation, type Route } from './router.js';
import { OverviewView } from './views/overview.js';
import { PipelinesView } from './views/pipelines.js';
import { PipelineView } from './views/pipeline.js';
import { PipelineFormView } from './views/pipelineForm.js';
import { RunView } from './views/run.js';
import { QueriesView } from './views/queries.js';
import { QueryView } from './views/query.js';

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview': return <OverviewView />;
    case 'pipelines': return <PipelinesView />;
    case 'newPipeline': return <PipelineFormView />;
    case 'pipeline': return <PipelineView pipelineId={route.pipelineId} />;
    case 'editPipeline': return <PipelineFormView pipelineId={route.pipelineId} />;
    case 'run': return <RunView pipelineId={route.pipelineId} runId={route.runId} />;
    case 'queries': return <QueriesView />;
    case 'query': return <QueryView queryId={route.queryId} />;
    case 'notFound': return <section><h1>Not found</h1><p>No view has the path {route.path}.</p></section>;
  }
}

function App() {
  const location = useLocation();
  const route = parseRoute(location.pathname);
  // A new view takes the focus to its content, so keyboard and screen-reader users start there.
  // Not on the first load: the page starts at its top, where the skip link is.
  const loaded = useRef(false);
  useEffect(() => {
    if (loaded.current) document.getElementById('main')?.focus({ preventScroll: true });
    loaded.current = true;
  }, [location.pathname]);
  return (
    <CallerProvider>
      <Layout path={location.pathname}>
        <View route={route} />
      </Layout>
    </CallerProvider>
  );
}

const root = document.getElementById('app')!;
// Preact renders beside what is already there: the page's "Loading Siphon…" goes first.
root.replaceChildren();
interceptLinks(root);
render(<App />, root);
