import type { Reconciliation } from './reconciliationRecord.js';
import type { Column } from '../spec/columns.js';
import type { ChecksumSource, ChunkChecksumRequest, SourceConnector } from '../sources/sourceConnector.js';
import { ChunkChecksummer, checksumDigest, checksumTerms, differingColumns, type ChunkChecksum } from './chunkChecksum.js';


export type ChunkReconciler = {
  /** Give every batch read, as read (CopyChunkRequest.onRead). */
  onRead: (rows: unknown[][]) => void;
  /**
   * Give the read's exported snapshot (CopyChunkRequest.onSnapshot): the source's side starts at
   * once, in a second session; settles once it imported the snapshot. Absent when no second
   * session may be opened: the source's side then runs in the read's session after the read.
   */
  onSnapshot: ((snapshot: string) => Promise<void>) | undefined;
  /**
   * Given when no second session may be opened (ReadChunkRequest.inReadSnapshot): the source's
   * side runs in the read's own repeatable-read transaction after the last row, in its snapshot.
   */
  inReadSnapshot: (() => Promise<void>) | undefined;
  /** After the read: the source's side (in the read's session when there was no snapshot), compared. */
  finish: () => Promise<Reconciliation>;
  /** Ends the second session, if one was opened. */
  close: () => Promise<void>;
};

/**
 * Reconciles one chunk: Siphon's checksum of the values read (quality/chunkChecksum.ts) against
 * the source's own. On PostgreSQL the source computes in the read's snapshot: in a second session
 * that imports it while the read goes on (`openCheckSource`), or, with no second session to
 * open, in the read's own transaction after its last row. Elsewhere in the read's session right
 * after the read, over the same range, and a row changed meanwhile shows as a mismatch.
 */
export function reconcileChunk(source: SourceConnector & ChecksumSource, openCheckSource: (() => Promise<SourceConnector>) | undefined, request: Omit<ChunkChecksumRequest, 'terms' | 'snapshot'>, columns: Column[]): ChunkReconciler {
  const terms = checksumTerms(columns, source.checksumDialect);
  const checksummer = new ChunkChecksummer(terms, source.checksumDialect);
  let opened: SourceConnector | undefined;
  let concurrent: Promise<ChunkChecksum> | undefined;
  let inRead: ChunkChecksum | undefined;
  return {
    onRead: (rows) => checksummer.add(rows),
    onSnapshot: openCheckSource && ((snapshot) => new Promise<void>((imported, failed) => {
      concurrent = (async () => {
        opened = await openCheckSource();
        return (opened as SourceConnector & ChecksumSource).chunkChecksum({ ...request, terms, snapshot, onImported: imported });
      })();
      // Awaited in finish; a failure also releases the read's transaction.
      concurrent.catch(failed);
    })),
    inReadSnapshot: openCheckSource ? undefined : async () => {
      inRead = await source.chunkChecksum({ ...request, terms, inReadTransaction: true });
    },
    finish: async () => {
      const snapshot = concurrent !== undefined || inRead !== undefined;
      const sourceSide = inRead ?? await (concurrent ?? source.chunkChecksum({ ...request, terms }));
      const readSide = checksummer.result();
      const columnsDiffering = differingColumns(terms, sourceSide, readSide);
      const status = sourceSide.rows === readSide.rows && columnsDiffering.length === 0 ? 'match' : 'mismatch';
      return {
        status,
        snapshot,
        source: { rows: sourceSide.rows, checksum: checksumDigest(sourceSide) },
        read: { rows: readSide.rows, checksum: checksumDigest(readSide) },
        ...(columnsDiffering.length ? { columns: columnsDiffering } : {}),
      };
    },
    close: async () => {
      await concurrent?.catch(() => undefined);
      await opened?.close();
    },
  };
}

/** What a mismatch's error and warning say. */
export function mismatchText(reconciliation: Reconciliation): string {
  const rows = reconciliation.source.rows === reconciliation.read.rows ? `${reconciliation.read.rows} rows on both sides` : `the source holds ${reconciliation.source.rows} rows, ${reconciliation.read.rows} were read`;
  const columns = reconciliation.columns?.length ? `; values differ in ${reconciliation.columns.map((name) => JSON.stringify(name)).join(', ')}` : '';
  return `reconciliation mismatch: ${rows}${columns}${reconciliation.snapshot ? ' (in the read\'s snapshot)' : ' (checked after the read, without a snapshot)'}`;
}
