import type { Column, ChunkRange } from '../spec/columns.js';
import type { CursorWindow, keyKinds } from '../spec/cursorWindow.js';
import type { ChecksumDialect, ChunkChecksum, ColumnTerm } from '../quality/checksumTypes.js';

/** A table; without a schema, the engine's default (PostgreSQL `public`, MySQL the connection's database, SQL Server `dbo`). */
export type TableRef = { schema?: string | undefined; name: string };

/** What a pipeline reads: a table, or the result set of the user's own SELECT. */
export type ReadTarget = { kind: 'table'; table: TableRef } | { kind: 'query'; sql: string };

export type KeyKind = (typeof keyKinds)[number];

export type KeyBounds = {
  kind: KeyKind;
  /**
   * Smallest and largest key as integer digits: the value itself for integer keys, days since
   * the epoch for dates, microseconds since the epoch for timestamps, the unsigned 64-bit value of
   * a SQL Server rowversion. Undefined for an empty table.
   */
  min?: string;
  max?: string;
  nullable: boolean;
  rowsEstimate: number;
};

/**
 * How the rows of a table spread over its split key, as the engine's statistics (or a sample)
 * tell it: points in ascending key order (integer digits, as in KeyBounds), each weighing the
 * share of rows between the previous point and itself. Used to cut chunks of equal row counts.
 */
export type KeyDistribution = { method: 'statistics' | 'sample'; points: KeyPoint[] };
export type KeyPoint = { key: string; weight: number };

/** An index of a table as the catalog lists it (the primary key is one), its key columns in order. */
export type CatalogIndex = { name: string; primaryKey: boolean; clustered: boolean; unique: boolean; columns: string[] };

/**
 * What the catalog says of a table's keys and size, without reading its rows: indexes usable to
 * split it (full, not partial or expression indexes), rows and bytes of its data (the heap or
 * clustered index with its out-of-row storage, not secondary indexes; estimates), for
 * PostgreSQL the heap's pages now (ctid ranges), and for SQL Server how the table is partitioned.
 */
export type TableCatalog = { indexes: CatalogIndex[]; rows: number; bytes: number; pages?: number; partitioning?: TablePartitioning | undefined };

/** `defaultSchema`: what a table name without a schema means on this connection (public, the database, dbo). */
export type TableList = { defaultSchema: string; tables: Array<{ schema: string; name: string }> };

/** A SQL Server table partitioned by `column` under partition function `function`: `count` partitions, the largest holding `largestRows`. */
export type TablePartitioning = { function: string; column: string; count: number; largestRows: number };

/** Only the rows whose `column` equals `equals` (integer digits, as in KeyBounds): the second column of a composite key under one value of its first. */
export type KeyPrefix = { column: string; kind: KeyKind; equals: string };

/** A column that cannot be copied as asked: absent, or of a type with no exact output type. */
export type ColumnRefusal = { column: string; reason: string; /** The spec field it concerns, when not `columns`. */ path?: string };
/** `collectRefusals`: return every refusal beside the columns that map instead of failing (plans, validation). */
export type DescribeOptions = { collectRefusals?: boolean };
/** `refusals` is empty unless asked to collect them; otherwise describe fails naming them all. */
export type TableDescription = { columns: Column[]; primaryKey: string[]; refusals: ColumnRefusal[] };

/**
 * One connector per engine; each owns its dialect (quoting, introspection, range queries,
 * statistics) and its type map. Rows come out as arrays in the column order of `describe`, each
 * value in its canonical form (see formats/canonicalValues.ts), batch by batch: the next batch is
 * only read from the server when the caller asks for it, so memory stays bounded.
 */
export interface SourceConnector {
  /** Columns with their output types; fails naming table, column and type of every one with no exact mapping (or lists them: DescribeOptions). */
  describe(target: ReadTarget, columns?: string[], options?: DescribeOptions): Promise<TableDescription>;
  /** Smallest and largest key; with `within`, of the rows under one value of a composite key's first column. */
  keyBounds(target: ReadTarget, keyColumn: string, within?: KeyPrefix): Promise<KeyBounds>;
  /** The table's indexes and size from the catalog (identifiers bound as parameters), for choosing a split key (copy/chooseSplitKey.ts). */
  tableCatalog(table: TableRef): Promise<TableCatalog>;
  /** The user's tables as the catalog lists them (never views or system tables), and the schema an unqualified name means. */
  listTables(): Promise<TableList>;
  /** Statistics first (histograms), a sample of about `samplePoints` keys when there are none. */
  keyDistribution(target: ReadTarget, keyColumn: string, kind: KeyKind, samplePoints: number): Promise<KeyDistribution>;
  readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]>;
  /** The run's rows and, per column, how many hold a value (not NULL): one aggregate read (quality checks). */
  countNonNull(request: RunRowsRequest & { columns: Column[] }): Promise<NonNullCounts>;
  /** Values of the key columns held by more than one of the run's rows: how many, and the first `limit` in key order (quality checks). */
  duplicateKeys(request: RunRowsRequest & { keys: Column[]; limit: number }): Promise<DuplicateKeys>;
  close(): Promise<void>;
}

/** A run's rows at the source: everything the target holds, or an incremental run's window of it. */
export type RunRowsRequest = { target: ReadTarget; window?: ReadChunkRequest['window'] };
export type NonNullCounts = { rows: number; nonNull: number[] };
/** `keys`: how many distinct key values occur more than once; `examples`: the first of them, values as text (NULL as null). */
export type DuplicateKeys = { keys: number; examples: Array<{ key: Array<string | null>; rows: number }> };

export type ChunkKey = { column: string; kind: KeyKind; next?: { column: string; kind: KeyKind } | undefined };

export type ReadChunkRequest = {
  target: ReadTarget;
  columns: Column[];
  /**
   * The split key; absent for the single `all` chunk of an unchunked pipeline and for PostgreSQL
   * `pages` chunks (ctid ranges). `next`: the second column of a composite key, for `tuple` chunks.
   */
  key?: ChunkKey | undefined;
  orderBy: string[];
  range: ChunkRange;
  /** An incremental run's cursor range, applied to every chunk on top of its key range. */
  window?: Pick<CursorWindow, 'column' | 'kind' | 'after' | 'upTo'> | undefined;
  batchRows: number;
  /**
   * Aborted when the run ends while the read is going (cancelled, timed out): the connector then
   * cancels the statement on the server (PostgreSQL's CancelRequest, MySQL's KILL QUERY, TDS
   * ATTENTION), not only stops reading, and the read fails.
   */
  signal?: AbortSignal | undefined;
  /**
   * Asks the read to run in a snapshot it exports, and is called with the snapshot's id before
   * the first row, so a second session can compute the chunk's checksum in the same snapshot
   * while the read goes on (PostgreSQL). The read's transaction stays open until the promise it
   * returns settles (the snapshot was imported, or that failed): an exported snapshot can only be
   * imported while its transaction lasts. Connectors that cannot share a snapshot never call it.
   */
  onSnapshot?: ((snapshot: string) => Promise<void>) | undefined;
  /**
   * Asks the read to run in a repeatable-read transaction and to call this after the last row,
   * still inside it, before it ends: the chunk's checksum then sees the read's own snapshot
   * without a second session (PostgreSQL under source.maxSessions, where a chunk holds one
   * session). Connectors without such a transaction never call it.
   */
  inReadSnapshot?: (() => Promise<void>) | undefined;
  /**
   * An incremental changeTracking or cdc run (capture/): the engine's change table is read
   * instead of the table's rows, each row followed by two more values, the change's operation as
   * the engine names it and its version (a bigint, or an LSN as 0x hex text). Only the SQL Server
   * connector reads one (spec validation keeps these modes to it); the others refuse it.
   */
  changeRead?: ChangeTableRead | undefined;
};

/**
 * changeTracking: `CHANGETABLE(CHANGES table, after)` joined to the table by `keys` (its primary
 * key), versions `after < v <= upTo`. cdc: `cdc.fn_cdc_get_all_changes_<captureInstance>` from
 * `from` (inclusive) to `upTo` (inclusive), both LSNs as 0x hex.
 */
export type ChangeTableRead =
  | { mode: 'changeTracking'; keys: string[]; after: string; upTo: string }
  | { mode: 'cdc'; keys: string[]; captureInstance: string; captured: string[]; from: string; upTo: string; rowFilter: 'all' | 'all update old' };

/**
 * Reconciliation (quality/chunkChecksum.ts): a chunk's rows as a read of it would see them, and
 * per column the values not NULL and the sum of their terms, computed by the source in one
 * aggregate. `snapshot`: a snapshot a read exported (ReadChunkRequest.onSnapshot), to compute in.
 */
export type ChunkChecksumRequest = Pick<ReadChunkRequest, 'target' | 'columns' | 'key' | 'range' | 'window'> & {
  terms: ColumnTerm[];
  snapshot?: string | undefined;
  /** Called once the snapshot is imported (the read may then end its transaction). */
  onImported?: (() => void) | undefined;
  /** Run in the read's own transaction, still open (ReadChunkRequest.inReadSnapshot): no BEGIN or COMMIT of its own. */
  inReadTransaction?: boolean | undefined;
};

/** Implemented by the connectors that reconcile; `checksumDialect` names how they hash (chunkChecksum.ts). */
export interface ChecksumSource {
  readonly checksumDialect: ChecksumDialect;
  /** False when this connection cannot run the checksum's SQL (a PostgreSQL-protocol source read in `cursor` mode: CockroachDB, Redshift). */
  readonly canReconcile: boolean;
  chunkChecksum(request: ChunkChecksumRequest): Promise<ChunkChecksum>;
}

export function canChecksum(source: SourceConnector): source is SourceConnector & ChecksumSource {
  const candidate = source as Partial<ChecksumSource>;
  return typeof candidate.chunkChecksum === 'function' && candidate.canReconcile === true;
}
