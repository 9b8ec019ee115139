import { useEffect, useState } from 'preact/hooks';

/** Every view lives under this path, so links can be shared and reloaded. */
export const basePath = '/api/ui';

export type Route =
  | { view: 'overview' }
  | { view: 'pipelines' }
  | { view: 'newPipeline' }
  | { view: 'pipeline'; pipelineId: string }
  | { view: 'editPipeline'; pipelineId: string }
  | { view: 'run'; pipelineId: string; runId: string }
  | { view: 'queries' }
  | { view: 'query'; queryId: string }
  | { view: 'notFound'; path: string };

/** The route for a path below basePath (`/pipelines/x/runs/y`); query strings belong to the views. */
export function parseRoute(pathname: string): Route {
  const below = pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname;
  const parts = below.split('/').filter(Boolean).map(decodePart);
  if (parts.some((part) => part === undefined)) return { view: 'notFound', path: below };
  const [first, second, third, fourth, ...rest] = parts as string[];
  if (rest.length) return { view: 'notFound', path: below };
  if (first === undefined) return { view: 'overview' };
  if (first === 'pipelines') {
    if (second === undefined) return { view: 'pipelines' };
    if (second === 'new' && third === undefined) return { view: 'newPipeline' };
    if (third === undefined) return { view: 'pipeline', pipelineId: second };
    if (third === 'edit' && fourth === undefined) return { view: 'editPipeline', pipelineId: second };
    if (third === 'runs' && fourth !== undefined) return { view: 'run', pipelineId: second, runId: fourth };
  }
  if (first === 'queries' && third === undefined) return second === undefined ? { view: 'queries' } : { view: 'query', queryId: second };
  return { view: 'notFound', path: below };
}

function decodePart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The URL of a view: `href('pipelines', id, 'runs', runId)`. */
export const href = (...parts: string[]) => `${basePath}/${parts.map(encodeURIComponent).join('/')}`;

/** Moves to a view without a reload (the history entry makes Back work). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current location, re-read on every navigation (links, Back, Forward). */
export function useLocation(): Location {
  const [, setTick] = useState(0);
  useEffect(() => {
    const onChange = () => setTick((tick) => tick + 1);
    addEventListener('popstate', onChange);
    return () => removeEventListener('popstate', onChange);
  }, []);
  return location;
}

/** Plain left clicks on same-origin links under basePath stay in the page; the rest (new tab, other sites) are the browser's. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element).closest('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(basePath)) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
