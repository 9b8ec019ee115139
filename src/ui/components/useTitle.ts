import { useEffect } from 'preact/hooks';

/** The tab's title names the view, so history and bookmarks say where they lead. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Siphon`;
  }, [title]);
}
