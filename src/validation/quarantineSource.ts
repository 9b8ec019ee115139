import { gunzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../errors/errorTypes.js';
import type { DuplicateKeys, KeyBounds, TableCatalog, TableList, KeyDistribution, NonNullCounts, ReadChunkRequest, SourceConnector, TableDescription } from '../sources/sourceConnector.js';
import { lineProblemText, rowReader } from './quarantineLines.js';

/** A blob of quarantined (or corrected) rows: gzip JSON Lines when its name ends `.gz`. */
export type QuarantineFile = { container: ContainerClient; path: string };

/**
 * Quarantined rows as a source the copy reads like a database (copy/copyChunk.ts), so a re-ingest
 * run validates, encodes and writes them exactly as a run of the source would: one chunk reads
 * one file, its lines in file order (so a retried chunk writes the same bytes), each line's text
 * forms read back into canonical values (formats/parseTextForms.ts) in the columns' order. Only
 * readChunk is meaningful; a re-ingest run is planned from its source run's manifest, never by
 * asking this source about keys.
 */
export class QuarantineSource implements SourceConnector {
  constructor(private readonly files: readonly QuarantineFile[]) {}

  describe(): Promise<TableDescription> {
    return Promise.reject(new NonRetryableError('a quarantine is not described: a re-ingest run takes the columns of the run it re-ingests'));
  }

  keyBounds(): Promise<KeyBounds> {
    return Promise.reject(new NonRetryableError('a quarantine has no split key: a re-ingest run reads one file per chunk'));
  }

  tableCatalog(): Promise<TableCatalog> {
    return Promise.reject(new NonRetryableError('a quarantine has no catalog: a re-ingest run reads one file per chunk'));
  }

  listTables(): Promise<TableList> {
    return Promise.reject(new NonRetryableError('a quarantine has no catalog: a re-ingest run reads one table'));
  }

  keyDistribution(): Promise<KeyDistribution> {
    return Promise.reject(new NonRetryableError('a quarantine has no split key: a re-ingest run reads one file per chunk'));
  }

  countNonNull(): Promise<NonNullCounts> {
    return Promise.reject(new NonRetryableError('a quarantine is not measured by quality checks: a re-ingest run skips them'));
  }

  duplicateKeys(): Promise<DuplicateKeys> {
    return Promise.reject(new NonRetryableError('a quarantine is not measured by quality checks: a re-ingest run skips them'));
  }

  async *readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]> {
    const read = rowReader(request.columns);
    for (const file of this.files) {
      request.signal?.throwIfAborted();
      const text = await download(file);
      let batch: unknown[][] = [];
      let lineNumber = 0;
      let start = 0;
      while (start < text.length) {
        const end = text.indexOf('\n', start);
        const line = text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '');
        start = end < 0 ? text.length : end + 1;
        lineNumber++;
        if (line.trim() === '') continue;
        const row = read(line, lineNumber);
        // Written by Siphon (or checked when uploaded): a line that does not read is a file changed since.
        if (!Array.isArray(row)) throw new NonRetryableError(`${file.container.containerName}/${file.path}: ${row.problems.map(lineProblemText).join('; ')}`);
        batch.push(row);
        if (batch.length >= request.batchRows) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    }
  }

  async close(): Promise<void> {}
}

async function download(file: QuarantineFile): Promise<string> {
  let body: Buffer;
  try {
    body = await file.container.getBlockBlobClient(file.path).downloadToBuffer();
  } catch (err) {
    if (typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404) {
      throw new NonRetryableError(`${file.container.containerName}/${file.path} is gone: the quarantine it held cannot be re-ingested`);
    }
    throw err;
  }
  return (file.path.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8');
}
