import type { Column, ChunkRange } from '../spec/columns.js';

export type TableRef = { schema: string; name: string };

export type KeyKind = 'integer' | 'timestamp' | 'timestamptz' | 'date';

export type KeyBounds = {
  kind: KeyKind;
  /**
   * Smallest and largest key as integer digits: the value itself for integer keys, days since
   * the epoch for dates, microseconds since the epoch for timestamps. Undefined for an empty table.
   */
  min?: string;
  max?: string;
  nullable: boolean;
  rowsEstimate: number;
};

export type TableDescription = { columns: Column[]; primaryKey: string[] };

/**
 * One connector per engine. Rows come out as arrays in the column order of `describeTable`,
 * each value in its canonical form (see formats/canonicalValues.ts), batch by batch: the next
 * batch is only read from the server when the caller asks for it, so memory stays bounded.
 */
export interface SourceConnector {
  describeTable(table: TableRef, columns?: string[]): Promise<TableDescription>;
  keyBounds(table: TableRef, keyColumn: string): Promise<KeyBounds>;
  readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]>;
  close(): Promise<void>;
}

export type ReadChunkRequest = {
  table: TableRef;
  columns: Column[];
  keyColumn: string;
  keyKind: KeyKind;
  orderBy: string[];
  range: ChunkRange;
  batchRows: number;
};
