import type { EngineName } from './sourceTables.js';

export const methodIds = ['wire', 'siphon', 'siphon-transforms', 'siphon-reconcile', 'siphon-hashdiff', 'siphon-read', 'siphon-encode', 'csv-file', 'csv-fifo', 'connectorx', 'dlt'] as const;
export type MethodId = (typeof methodIds)[number];

/**
 * limit: what the wire gives with nothing done to the rows; siphon: the copy in its default
 * configuration; phase: a part of Siphon's copy, run to split its CPU into phases; peer: a
 * script a data engineer would write instead, measured the same way; variant: the copy with a
 * feature on, compared with the plain copy. (How each is opened: openMethod, in the child process
 * only.)
 */
export type MethodRole = 'limit' | 'siphon' | 'phase' | 'peer' | 'variant';

export type MethodInfo = { role: MethodRole; python?: true; label(engine: EngineName): string };

const csvLabel = (engine: EngineName, via: string) => engine === 'postgres'
  ? `peer: COPY (SELECT) TO STDOUT (FORMAT csv) -> ${via} -> DuckDB Parquet snappy -> uploadFile`
  : `peer: SELECT CONCAT_WS(',', ...) lines -> ${via} -> DuckDB Parquet snappy -> uploadFile`;

export const methods: Record<MethodId, MethodInfo> = {
  wire: {
    role: 'limit',
    label: (engine) => engine === 'postgres' ? 'wire read limit: COPY (SELECT) TO STDOUT (FORMAT binary), drained' : 'wire read limit: mysql2 typeCast false, rowsAsArray, rows dropped',
  },
  siphon: { role: 'siphon', label: () => 'Siphon copyChunk, default output (Parquet snappy) -> blob' },
  'siphon-transforms': { role: 'variant', label: () => '  Siphon copyChunk with 5 transforms (rename, drop, compute, filter keeping all, mapValues)' },
  'siphon-reconcile': { role: 'variant', label: () => '  Siphon copyChunk with per-chunk reconciliation (checksum of the values read vs the source\'s own)' },
  'siphon-hashdiff': { role: 'variant', label: () => '  Siphon hashDiff copyChunk, 1% changed (hash, merge with the old state, ~1% change rows + new state)' },
  'siphon-read': { role: 'phase', label: () => '  phase run: Siphon connector readChunk, rows dropped' },
  'siphon-encode': { role: 'phase', label: () => '  phase run: Siphon copyChunk, upload dropped' },
  'csv-file': { role: 'peer', label: (engine) => csvLabel(engine, 'file') },
  'csv-fifo': { role: 'peer', label: (engine) => csvLabel(engine, 'fifo') },
  connectorx: { role: 'peer', python: true, label: () => 'peer (Python): ConnectorX read_sql arrow -> pyarrow Parquet snappy -> uploadFile' },
  dlt: { role: 'peer', python: true, label: () => 'peer (Python): dlt sql_table pyarrow -> filesystem Parquet -> uploadFile' },
};
