import type { ChunkRange } from '../spec/columns.js';

/**
 * Splits a PostgreSQL heap of `pages` pages into `count` ranges of equal pages, read by ctid.
 * The first starts at page 0 and the last has no end, so every tuple is in exactly one range
 * whatever the page count was when planned (a table that grew since is read to its end). One
 * chunk (or an empty table) is everything.
 */
export function planPageChunks(pages: number, count: number): ChunkRange[] {
  const n = Math.min(Math.max(1, Math.floor(count)), Math.max(1, Math.floor(pages)));
  if (n <= 1) return [{ kind: 'all' }];
  const starts = Array.from({ length: n }, (_, i) => Math.floor((pages * i) / n));
  return starts.map((from, i) => (i === n - 1 ? { kind: 'pages', from } : { kind: 'pages', from, to: starts[i + 1]! }));
}
