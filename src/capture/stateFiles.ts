import { createGunzip, createGzip } from 'node:zlib';
import { once } from 'node:events';
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { StagedBlobWriter } from '../sink/stagedBlobWriter.js';
import type { ChunkRange } from '../spec/columns.js';
import { inStateRange, keyText, parseKeyText, rangesOverlap, type StateKey, type StateRange } from './stateKeys.js';
import type { StateRecord } from './stateMerge.js';

/**
 * A run's change state, in `_change_state/` of its folder: one file per chunk, gzip text of
 * `key<TAB>hash` lines in ascending key order, and `index.json` listing each file with the part
 * of the first key column it covers. The next run reads, for each of its chunks, only the files
 * whose range overlaps the chunk's, so chunk bounds may move between runs.
 */
export const stateIndexSchema = z.object({
  runId: z.string(),
  version: z.string().regex(/^\d+$/),
  keys: z.array(z.string()).min(1),
  files: z.array(z.object({ path: z.string(), lower: z.string().optional(), upper: z.string().optional() })),
});
export type StateIndex = z.infer<typeof stateIndexSchema>;

export function stateFolder(runFolder: string): string {
  return `${runFolder}/_change_state`;
}

export function stateFilePath(runFolder: string, chunk: number): string {
  return `${stateFolder(runFolder)}/part-${String(chunk).padStart(5, '0')}.tsv.gz`;
}

export function stateIndexPath(runFolder: string): string {
  return `${stateFolder(runFolder)}/index.json`;
}

/**
 * The first key column's range a chunk's state covers: the chunk's key range, open below for
 * the first chunk and above for the last (a chunk `all` covers everything).
 */
export function stateRangeOf(range: ChunkRange, chunk: number): StateRange {
  if (range.kind === 'all') return {};
  // planRead splits a hashDiff run on its first key only: no NULL keys, pages, partitions or tuples.
  if (range.kind !== 'range') throw new Error(`a hashDiff chunk is a range of its first key, not ${range.kind}`);
  return { ...(chunk === 0 ? {} : { lower: range.lower }), ...(range.upperInclusive ? {} : { upper: range.upper }) };
}

/** Writes one chunk's state file: lines in, gzip out as staged blocks, visible at commit. */
export class StateFileWriter {
  private readonly gzip = createGzip({ level: 1 });
  private readonly blob: StagedBlobWriter;
  private readonly pump: Promise<void>;
  private text = '';
  rows = 0;

  constructor(container: ContainerClient, path: string) {
    const blob = new StagedBlobWriter(container.getBlockBlobClient(path), { contentType: 'application/gzip', blockSizeInBytes: 4 * 1024 * 1024 });
    const gzip = this.gzip;
    this.blob = blob;
    this.pump = (async () => {
      for await (const bytes of gzip) await blob.write(bytes as Buffer);
    })();
    this.pump.catch(() => undefined); // awaited at commit
  }

  /** Adds a line; `flush` (after a batch) hands the text to gzip once enough has gathered. */
  add(key: StateKey, hash: string): void {
    this.text += `${keyText(key)}\t${hash}\n`;
    this.rows++;
  }

  async flush(): Promise<void> {
    if (this.text.length < 256 * 1024) return;
    await this.write();
  }

  async commit(): Promise<void> {
    await this.write();
    this.gzip.end();
    await this.pump;
    await this.blob.commit();
  }

  private async write(): Promise<void> {
    if (!this.text) return;
    const full = !this.gzip.write(this.text);
    this.text = '';
    if (full) await once(this.gzip, 'drain');
  }
}

/**
 * The records of an old state whose first key lies in `range`, in ascending key order, in
 * batches: only the index's files that overlap the range are read, streamed.
 */
export async function* readState(container: ContainerClient, index: StateIndex | undefined, range: StateRange): AsyncGenerator<StateRecord[]> {
  if (!index) return;
  const files = index.files.filter((file) => rangesOverlap(file, range));
  for (const file of files) {
    const download = await container.getBlockBlobClient(file.path).download();
    const lines = download.readableStreamBody!.pipe(createGunzip());
    let rest = '';
    let batch: StateRecord[] = [];
    for await (const bytes of lines) {
      const text = rest + (bytes as Buffer).toString('utf8');
      let start = 0;
      for (let end = text.indexOf('\n', start); end >= 0; end = text.indexOf('\n', start)) {
        const tab = text.indexOf('\t', start);
        const key = parseKeyText(text.slice(start, tab));
        if (inStateRange(range, key[0]!)) batch.push({ key, hash: text.slice(tab + 1, end) });
        start = end + 1;
      }
      rest = text.slice(start);
      if (batch.length >= 10_000) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
}

/** The index of a run's state, from its chunks' ranges in key order. */
export function stateIndexOf(runId: string, version: string, keys: string[], runFolder: string, chunks: Array<{ index: number; range: ChunkRange }>): StateIndex {
  const files = [...chunks].sort((a, b) => a.index - b.index).map((chunk) => ({ path: stateFilePath(runFolder, chunk.index), ...stateRangeOf(chunk.range, chunk.index) }));
  return { runId, version, keys, files };
}

/**
 * The last index read, by URL: every chunk of a run reads the same previous index, which lists a
 * file per chunk of the previous run, so thousands of chunks would otherwise read it thousands
 * of times. An index is never rewritten with other content (it is a pure function of its run).
 */
let lastIndex: { url: string; index: Promise<StateIndex> } | undefined;

export function readStateIndex(container: ContainerClient, path: string): Promise<StateIndex> {
  const blob = container.getBlockBlobClient(path);
  if (lastIndex?.url === blob.url) return lastIndex.index;
  const index = blob.downloadToBuffer().then((body) => stateIndexSchema.parse(JSON.parse(body.toString('utf8'))));
  lastIndex = { url: blob.url, index };
  index.catch(() => {
    if (lastIndex?.index === index) lastIndex = undefined;
  });
  return index;
}
