import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { apiPathOf, isLive, type ChunkDetail, type ChunkPage, type RunDetail } from './runTypes.js';

/** How often a live run's chunks past the first page are read again: every page is a partition query. */
const pagedRefreshInMs = 3_000;
const pageSize = 1_000;

/**
 * Every chunk of the run. The run's own answer carries the first 100 (fresh on every poll); a run
 * with more has the rest paged from chunksUrl, 1,000 a request, every 3 s while it is live and once
 * more when it ends. The first 100 always come from the run's latest answer.
 */
export function useRunChunks(run: RunDetail | undefined): { chunks: ChunkDetail[]; loading: boolean } {
  const planned = run?.progress.chunksPlanned ?? 0;
  const paged = run !== undefined && planned > run.chunks.length;
  const live = isLive(run?.status);
  const chunksPath = run ? apiPathOf(run.chunksUrl) : undefined;
  const [rest, setRest] = useState<{ path?: string; chunks: ChunkDetail[] }>({ chunks: [] });

  useEffect(() => {
    if (!paged || !chunksPath) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const all: ChunkDetail[] = [];
        let token: string | undefined;
        do {
          const page = await getJson<ChunkPage>(`${chunksPath}?limit=${pageSize}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`, controller.signal);
          all.push(...page.chunks);
          token = page.continuationToken;
        } while (token);
        setRest({ path: chunksPath, chunks: all });
      } catch {
        // A missed refresh only leaves the lanes past the first 100 a little behind; the next one catches up.
      }
      if (live && !controller.signal.aborted) timer = setTimeout(load, pagedRefreshInMs);
    };
    void load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [paged, chunksPath, live]);

  const chunks = useMemo(() => {
    if (!run) return [];
    if (!paged || rest.path !== chunksPath) return run.chunks;
    const fresh = new Map(run.chunks.map((chunk) => [chunk.index, chunk]));
    return rest.chunks.map((chunk) => fresh.get(chunk.index) ?? chunk);
  }, [run, paged, rest, chunksPath]);

  return { chunks, loading: paged && rest.path !== chunksPath };
}
