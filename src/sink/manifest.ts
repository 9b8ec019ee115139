import { z } from 'zod';
import { columnSchema, fileEntrySchema, outputTypeSchema } from '../spec/columns.js';
import { deltaModes, outputFormats } from '../spec/pipelineSpec.js';

/**
 * `_manifest.json`: the list of a run's files that readers may trust. It is written after every
 * chunk is committed and before `_SUCCESS`; a file not listed here is not part of the run.
 */
export const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  pipelineId: z.string(),
  runId: z.string(),
  createdAt: z.string(),
  format: z.enum(outputFormats),
  compression: z.string(),
  source: z.object({ engine: z.string(), table: z.string().optional(), query: z.string().optional() }),
  /** Columns whose values are in the folder names (`col=value/`) rather than in the files. */
  partitionBy: z.array(z.string()).optional(),
  /**
   * An incremental run's cursor range, `after < cursor <= upTo`: digits (integers, days or
   * microseconds since the epoch, exact) and the same as text. With a lookback, `after` lies that
   * far below the watermark the run started from, so rows near it may also be in an earlier run.
   */
  window: z.object({
    column: z.string(),
    mode: z.enum(['incremental', 'fullRefresh', 'backfill']),
    after: z.string().optional(),
    upTo: z.string(),
    afterText: z.string().optional(),
    upToText: z.string(),
    lookback: z.string().optional(),
  }).optional(),
  /**
   * A change-capture run (capture/): its rows are change rows (`_change_type`, `_change_version`).
   * `version` is this run's `_change_version`; `afterVersion` and `afterRun` name the state it was
   * compared with (absent: a snapshot, every row an insert). Versions are microseconds since the
   * epoch of each run's start, ascending from run to run. changeTracking and cdc: the window
   * read from the engine's change table, `afterVersion` (exclusive) up to `version` (inclusive,
   * a Change Tracking version or an LSN as 0x hex), or a snapshot with `snapshotReason`. A Delta
   * merge's change files are in the run's `_changes/` folder beside the table (listed in
   * `files`); the table holds their fold.
   */
  changes: z.object({
    mode: z.enum(['hashDiff', 'softDelete', 'changeTracking', 'cdc']),
    keys: z.array(z.string()),
    version: z.string(),
    afterVersion: z.string().optional(),
    afterRun: z.string().optional(),
    snapshotReason: z.string().optional(),
    captureInstance: z.string().optional(),
    /** The change rows of each type the run wrote (counted by its chunks); absent in manifests written before they were counted. */
    inserted: z.number().int().nonnegative().optional(),
    updated: z.number().int().nonnegative().optional(),
    deleted: z.number().int().nonnegative().optional(),
  }).optional(),
  /**
   * A Delta run: the table (container/path), the mode, the version the run was planned against
   * (-1: no table yet), and the version it committed. Written once before the commit without
   * `version` and again after it with; absent `version` after the commit means there was nothing
   * to commit (no rows). The table's log, not this file, is what Delta readers trust.
   */
  delta: z.object({
    table: z.string(),
    mode: z.enum(deltaModes),
    readVersion: z.number().int().min(-1),
    version: z.number().int().nonnegative().optional(),
    committed: z.boolean().optional(),
  }).optional(),
  /**
   * Parquet: the readers the files were written for (spec output.readers), and each column
   * written in another type than its output type for them, with why (formats/readerProfiles.ts).
   * Every such encoding keeps the values exactly.
   */
  readers: z.array(z.string()).optional(),
  encodings: z.array(z.object({ column: z.string(), writtenAs: outputTypeSchema, why: z.string() })).optional(),
  /** Every column read, partition columns included, with its source and output type. */
  columns: z.array(columnSchema),
  /** The version of `columns` (sink/schemaVersion.ts): the `{schemaVersion}` path token's value; absent in manifests written before it. */
  schemaVersion: z.string().optional(),
  rows: z.number(),
  bytes: z.number(),
  files: z.array(fileEntrySchema.extend({ chunk: z.number().int() })),
  /**
   * With validation: the rows it rejected and the `_quarantine/` files (gzip JSON Lines) that hold
   * them, one object a row with its failed rules and every value as text. Not part of `rows`.
   */
  quarantine: z.object({ rows: z.number().int().nonnegative(), files: z.array(fileEntrySchema.extend({ chunk: z.number().int() })) }).optional(),
  /** A re-ingest run: the run whose quarantined rows (or the corrected rows uploaded for them) it wrote. */
  reingestOf: z.string().optional(),
  /** With a transforms filter: the rows it left out. Rows read = rows + quarantine.rows + rowsFiltered. */
  rowsFiltered: z.number().int().nonnegative().optional(),
  /**
   * Statements that read this run's files with every column's type declared (DuckDB, Spark SQL,
   * Synapse serverless), generated for the run; absent in manifests written before them.
   */
  readWith: z.object({ duckdb: z.string(), spark: z.string(), synapse: z.string() }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
