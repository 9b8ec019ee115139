import { defaultNamedKeyChunks, defaultTargetChunkMB } from '../spec/pipelineSpec.js';
import { maxPlannedChunks } from './chunkBudget.js';

/** A megabyte of `chunking.targetChunkMB`: 2^20 bytes. */
export const bytesPerMB = 1_048_576;

/**
 * How many chunks a run asks for before the time budget (chunkBudget.ts) may raise it, and where
 * the figure came from: the spec's `chunks`; 8 for a spec that names its column but gives no
 * size (what such specs always got); or the source bytes to read over the target chunk size.
 */
export type ChunkSizing =
  | { from: 'spec'; chunks: number; explain: string }
  | { from: 'namedKeyDefault'; chunks: number; explain: string }
  | { from: 'size'; chunks: number; bytes: number; targetChunkMB: number; explain: string };

export function sizeChunkCount(chunking: { column?: string | undefined; chunks?: number | undefined; targetChunkMB?: number | undefined }, bytesToRead: number | undefined): ChunkSizing {
  if (chunking.chunks !== undefined) return { from: 'spec', chunks: chunking.chunks, explain: `chunking.chunks is ${chunking.chunks}` };
  if (chunking.column !== undefined && chunking.targetChunkMB === undefined) {
    return { from: 'namedKeyDefault', chunks: defaultNamedKeyChunks, explain: `${defaultNamedKeyChunks}, the default for a named chunking.column without chunks or targetChunkMB` };
  }
  const targetChunkMB = chunking.targetChunkMB ?? defaultTargetChunkMB;
  const bytes = Math.max(0, bytesToRead ?? 0);
  const chunks = chunksForSize(bytes, targetChunkMB * bytesPerMB, maxPlannedChunks);
  return { from: 'size', chunks, bytes, targetChunkMB, explain: `${mb(bytes)} MB of source data to read at ${targetChunkMB} MB per chunk: ${chunks}` };
}

/** Chunks for `bytes` of source data at `targetBytes` each: at least one, at most `max`. */
export function chunksForSize(bytes: number, targetBytes: number, max: number): number {
  if (!(bytes > 0) || !(targetBytes > 0)) return 1;
  return Math.min(max, Math.max(1, Math.ceil(bytes / targetBytes)));
}

function mb(bytes: number): string {
  return (Math.round((bytes / bytesPerMB) * 100) / 100).toLocaleString('en-US');
}
