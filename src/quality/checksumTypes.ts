// The reconciliation checksum's types, apart from its code (node:crypto, node:zlib) so that
// modules the dashboard's build also reads (sources/sourceConnector.ts) can name them.

/** What each value of a column adds to its sum (see chunkChecksum.ts for the table). */
export type ChecksumTerm = 'integer' | 'decimal' | 'float64Bits' | 'float32Bits' | 'boolean' | 'text' | 'binary' | 'days' | 'dateDigits' | 'micros' | 'dateTimeDigits' | 'int8Hash' | 'offsetMicros' | 'count';

/** How an engine hashes strings and binary, and whether it can give a float's bits. */
export type ChecksumDialect = 'postgres' | 'mysql' | 'sqlserver';

export type ColumnTerm = { name: string; term: ChecksumTerm; scale: number };

/** Each column's counts and sum (integer digits); a source gives them per column in the same order. */
export type ColumnSum = { nonNull: number; sum: string };
export type ChunkChecksum = { rows: number; columns: ColumnSum[] };
