import type { ComponentChildren } from 'preact';
import { basePath } from '../router.js';
import { readOnlyHint, useCanOperate, useCaller } from './caller.js';

const sections = [
  { label: 'Overview', href: `${basePath}/`, matches: (path: string) => path === basePath || path === `${basePath}/` },
  { label: 'Pipelines', href: `${basePath}/pipelines`, matches: (path: string) => path.startsWith(`${basePath}/pipelines`) },
  { label: 'Queries', href: `${basePath}/queries`, matches: (path: string) => path.startsWith(`${basePath}/queries`) },
];

/** The frame of every view: a skip link, the navigation (the current section marked for screen readers too), the view. */
export function Layout({ path, children }: { path: string; children: ComponentChildren }) {
  const me = useCaller();
  const canOperate = useCanOperate();
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href={`${basePath}/`}>Siphon</a>
        <nav aria-label="Sections">
          {sections.map((section) => (
            <a href={section.href} aria-current={section.matches(path) ? 'page' : undefined}>{section.label}</a>
          ))}
        </nav>
        {me ? <span class="caller" title={me.roles.join(', ') || 'no Siphon role'}>{me.local ? 'Local (no sign-in)' : me.name}</span> : null}
      </header>
      {canOperate ? null : <p class="notice info read-only" role="status">{readOnlyHint}</p>}
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}
