import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { columnTypesSchema } from './columnTypes.js';
import { findSecrets } from './findSecrets.js';
import { schemaContractSchema } from './schemaContract.js';
import { validationSchema } from './validationSpec.js';
import { transformNameProblems, transformsSchema } from './transformsSpec.js';
import { alertsSchema, checkNotificationFields, lateAfterSchema, notificationsSchema } from './notificationSpec.js';
import { qualityNeedsCursor, qualitySchema } from './qualitySpec.js';
import { changeCaptureSchema, checkChangeCaptureFields, softDeleteSchema } from './changeCaptureSpec.js';
import { entryPattern, excludeSchema, isExactName, tableOverrideFields, tablePatternSchema, tablePipelineIdPattern } from './tablesSpec.js';

const identifier = z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL');

export const pipelineIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'lowercase letters, digits and hyphens, 1-48 characters, not starting or ending with a hyphen');

/** A run's pipeline: a pipeline, or the table pipeline of a table's run in a many-table run (spec/tablesSpec.ts). */
export const runPipelineIdSchema = z.union([pipelineIdSchema, z.string().regex(tablePipelineIdPattern)], { error: 'a pipeline id (lowercase letters, digits and hyphens, 1-48 characters), or a table pipeline id like orders~0123456789ab' });

const appSettingName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'the name of an app setting that holds the connection string (letters, digits, underscores), not the connection string itself');

/**
 * Every source session's limits (see sources/sessionLimits.ts for what each engine counts);
 * without them, an hour per statement and 30 seconds of waiting for a lock.
 */
const sessionLimits = {
  statementTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3_600).optional(),
  lockTimeoutSeconds: z.number().int().min(1).max(3_600).optional(),
  /**
   * The most sessions Siphon holds on this source's server and database at once, over every run,
   * pipeline and kind of session (sources/sourceSessions.ts); 8 when absent. Pipelines whose
   * settings reach the same server and database share the count.
   */
  maxSessions: z.number().int().min(1).max(256).optional(),
};

const postgresSource = z
  .object({
    engine: z.literal('postgres'),
    connectionSetting: appSettingName,
    ...sessionLimits,
    /**
     * `copy` (the default): chunks are read with binary COPY, falling back to a cursor for tables
     * with a column COPY's decoder does not read; `cursor`: always a cursor, for poolers and
     * proxies that refuse COPY (see PostgresReadMode).
     */
    readMode: z.enum(['copy', 'cursor']).optional(),
  })
  .strict();
const mysqlSource = z.object({ engine: z.literal('mysql'), connectionSetting: appSettingName, ...sessionLimits }).strict();
const sqlServerSource = z
  .object({
    engine: z.literal('sqlserver'),
    connectionSetting: appSettingName,
    ...sessionLimits,
    /** `sql`: user and password from the connection string; `entraId`: a token from the app's managed identity (Azure SQL). */
    authentication: z.enum(['sql', 'entraId']).default('sql'),
    encrypt: z.boolean().default(true),
    trustServerCertificate: z.boolean().default(false),
    /** Bytes per TDS packet; larger packets mean fewer round trips when streaming wide rows. */
    packetSize: z.number().int().min(512).max(32_767).default(32_767),
  })
  .strict();

export const sourceSchema = z.discriminatedUnion('engine', [postgresSource, mysqlSource, sqlServerSource]);

export const engines = ['postgres', 'mysql', 'sqlserver'] as const;
export type Engine = (typeof engines)[number];

/** Without a schema, the engine's default: `public`, the connection's database, or `dbo`. */
export const tableSchema = z.object({ schema: identifier.optional(), name: identifier }).strict();

/** `chunking.targetChunkMB` when the spec gives neither `chunks` nor `targetChunkMB` and no column (orchestration/planSplit.ts). */
export const defaultTargetChunkMB = 256;
/** `chunking.chunks` when a spec names its column but gives neither `chunks` nor `targetChunkMB`: the count specs always had. */
export const defaultNamedKeyChunks = 8;

/**
 * How a table is split. `column` names the split key; without it the key is chosen from the
 * catalog (primary key, clustered or unique index; PostgreSQL's ctid pages when there is none)
 * and `chunks`, when absent, comes from the table's size: its source bytes (the table's storage
 * as the catalog reports it, without secondary indexes) over `targetChunkMB`.
 */
export const chunkingSchema = z
  .object({
    column: identifier.optional(),
    chunks: z.number().int().min(1).max(10_000).optional(),
    /** Megabytes of source data per chunk when `chunks` is absent (default 256; with a named column the default is 8 chunks instead). */
    targetChunkMB: z.number().positive().max(1_000_000).optional(),
    maxParallel: z.number().int().min(1).max(64).default(4),
    /** `statistics`: boundaries from the engine's histograms (or a sample) so chunks hold equal rows; `equalWidth`: equal key ranges. */
    strategy: z.enum(['statistics', 'equalWidth']).default('statistics'),
  })
  .strict();

const containerName = z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/, 'a blob container name: 3-63 lowercase letters, digits, single hyphens');

/** Formats that write a run's files into a folder of its own (query jobs write these). */
export const fileFormats = ['parquet', 'csv', 'jsonl'] as const;
/** `delta`: every run commits its Parquet files into one Delta Lake table (sink/delta/). */
export const outputFormats = [...fileFormats, 'delta'] as const;
export type OutputFormat = (typeof outputFormats)[number];
export type FileFormat = (typeof fileFormats)[number];
export const compressionsByFormat = {
  parquet: ['snappy', 'zstd', 'gzip', 'none'],
  csv: ['gzip', 'none'],
  jsonl: ['gzip', 'none'],
  // Data files are snappy Parquet, named *.snappy.parquet, as every Delta writer names them.
  delta: ['snappy'],
} as const satisfies Record<OutputFormat, readonly string[]>;
export type Compression = (typeof compressionsByFormat)[OutputFormat][number];

/** `{schemaVersion}`: a short hash of the run's output schema (sink/schemaVersion.ts), so one folder never mixes schemas. */
export const pathTokens = ['pipeline', 'table', 'runId', 'schemaVersion', 'chunk', 'file', 'yyyy', 'MM', 'dd', 'HH'] as const;
export const defaultPathTemplate = '{pipeline}/{yyyy}/{MM}/{dd}/run={runId}/part-{chunk}-{file}';

/**
 * Where files go inside the container, without the extension (the format adds it). The folder
 * must hold {runId}, so each run's files, manifest and _SUCCESS share a folder no other run
 * writes to; the file name must hold {chunk} and {file}, so every name is a pure function of
 * (run, chunk, file sequence) and a retry overwrites instead of adding.
 */
export const pathTemplateSchema = z
  .string()
  .min(1)
  .max(400)
  .superRefine((template, ctx) => {
    const problems: string[] = [];
    const tokens = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
    const unknown = tokens.filter((token) => !(pathTokens as readonly string[]).includes(token));
    if (unknown.length) problems.push(`unknown token ${unknown.map((t) => `{${t}}`).join(', ')} (known: ${pathTokens.map((t) => `{${t}}`).join(' ')})`);
    const slash = template.lastIndexOf('/');
    const folder = slash < 0 ? '' : template.slice(0, slash);
    const fileName = template.slice(slash + 1);
    if (!folder.includes('{runId}')) problems.push('the folder part must contain {runId}');
    if (!fileName.includes('{chunk}') || !fileName.includes('{file}')) problems.push('the file name (after the last /) must contain {chunk} and {file}');
    if (template.startsWith('/') || template.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) problems.push('segments must not be empty, "." or ".."');
    if (/[\\?#\u0000-\u001f]/.test(template.replace(/\{[^{}]*\}/g, ''))) problems.push('must not contain backslashes, ?, # or control characters');
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
  });

const defaultRowGroupRows = 100_000;

/**
 * The readers a Parquet file is written for (formats/readerProfiles.ts): each output type gets
 * the encoding every listed reader reads right. `exact` alone keeps the richest encodings (UUID,
 * TIME, UINT_64), which some readers refuse. New pipelines default to all four readers; stored
 * pipelines from before profiles existed read as `exact` (store/recordVersions.ts).
 */
export const readerProfiles = ['spark', 'synapse', 'fabric', 'duckdb'] as const;
export type ReaderProfile = (typeof readerProfiles)[number];
export const readersSchema = z
  .array(z.enum([...readerProfiles, 'exact']))
  .min(1)
  .max(5)
  .superRefine((readers, ctx) => {
    if (new Set(readers).size !== readers.length) ctx.addIssue({ code: 'custom', message: 'a reader is named twice' });
    if (readers.includes('exact') && readers.length > 1) ctx.addIssue({ code: 'custom', message: '"exact" keeps the richest encodings whatever reads them; give it alone, or name readers' });
  });

export const deltaModes = ['append', 'overwrite', 'merge'] as const;
export type DeltaMode = (typeof deltaModes)[number];
export const deltaTableTokens = ['pipeline', 'table'] as const;
export const defaultDeltaTablePath = '{pipeline}';
export const defaultRetentionHours = 168;

/**
 * Where a Delta table lives in the container: one folder for every run of the pipeline, so only
 * {pipeline} and {table} may name it (a token of the run would make a table per run). Hidden
 * segments (`_x`, `.x`) are refused: Delta readers skip such folders, and Siphon keeps its run
 * manifests in `_siphon_runs` beside the table.
 */
export const deltaTablePathSchema = z
  .string()
  .min(1)
  .max(400)
  .superRefine((path, ctx) => {
    const problems: string[] = [];
    const tokens = [...path.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
    const unknown = tokens.filter((token) => !(deltaTableTokens as readonly string[]).includes(token));
    if (unknown.length) problems.push(`unknown token ${unknown.map((t) => `{${t}}`).join(', ')} (a table path may hold {pipeline} and {table})`);
    const segments = path.split('/');
    if (path.startsWith('/') || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) problems.push('segments must not be empty, "." or ".."');
    else if (segments.some((segment) => segment.startsWith('_') || segment.startsWith('.'))) problems.push('a segment must not start with _ or . (Delta readers take such folders as hidden)');
    if (/[\\?#%\u0000-\u001f]/.test(path.replace(/\{[^{}]*\}/g, ''))) problems.push('must not contain backslashes, ?, #, % or control characters');
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
  });

export const outputSchema = z
  .object({
    container: containerName,
    format: z.enum(outputFormats).default('parquet'),
    /** Defaults to snappy for Parquet and none for CSV and JSON Lines. */
    compression: z.enum(['snappy', 'zstd', 'gzip', 'none']).optional(),
    maxRowsPerFile: z.number().int().min(1_000).max(100_000_000).default(5_000_000),
    /** Defaults to 100,000, or maxRowsPerFile when that is smaller (a row group never spans files). */
    rowGroupRows: z.number().int().min(1_000).max(1_000_000).optional(),
    pathTemplate: pathTemplateSchema.default(defaultPathTemplate),
    /** Who reads the Parquet files (see readersSchema); default every reader Siphon knows. */
    readers: readersSchema.default([...readerProfiles]),
    /** Hive-style folders (`order_date=2024-05-01/`) by these columns' values; the columns then live in the path, not in the files. */
    partitionBy: z.array(identifier).min(1).max(4).optional(),
    // Delta Lake only (format "delta"; README "Delta Lake tables"):
    /** The table's folder in the container; default `{pipeline}`. */
    tablePath: deltaTablePathSchema.optional(),
    /** `append` adds each run's rows; `overwrite` replaces the table's contents; `merge` upserts by `keys`. Default append. */
    mode: z.enum(deltaModes).optional(),
    /** The columns that identify a row, for merge. */
    keys: z.array(identifier).min(1).max(8).optional(),
    /** How long files no longer in the table are kept for readers of older versions before the vacuum deletes them; default 168 (7 days). */
    retentionHours: z.number().int().min(1).max(24 * 3_650).optional(),
  })
  .strict()
  .superRefine((output, ctx) => {
    const allowed: readonly string[] = compressionsByFormat[output.format];
    if (output.compression !== undefined && !allowed.includes(output.compression)) {
      ctx.addIssue({ code: 'custom', path: ['compression'], message: `${output.format === 'delta' ? 'a Delta table\'s data files are' : `${output.format} files can be`} compressed with ${allowed.join(', ')}, not ${output.compression}` });
    }
    if (output.partitionBy && new Set(output.partitionBy).size !== output.partitionBy.length) {
      ctx.addIssue({ code: 'custom', path: ['partitionBy'], message: 'a column is named twice' });
    }
    if (output.format !== 'delta') {
      for (const field of ['tablePath', 'mode', 'keys', 'retentionHours'] as const) {
        if (output[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `only a Delta table (format "delta") has ${field}` });
      }
      return;
    }
    if (output.pathTemplate !== defaultPathTemplate) {
      ctx.addIssue({ code: 'custom', path: ['pathTemplate'], message: 'a Delta table lays out its own files; give tablePath instead' });
    }
    const mode = output.mode ?? 'append';
    // A merge without keys: refused by the spec's own refinement, where change capture (whose
    // keys a merge of change rows takes) is in sight (spec/changeCaptureSpec.ts).
    if (mode !== 'merge' && output.keys) ctx.addIssue({ code: 'custom', path: ['keys'], message: `keys are for mode "merge"; ${mode} does not match rows` });
    if (output.keys && new Set(output.keys).size !== output.keys.length) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'a column is named twice' });
    const keyPartitions = (output.keys ?? []).filter((key) => output.partitionBy?.includes(key));
    if (keyPartitions.length) {
      ctx.addIssue({ code: 'custom', path: ['keys'], message: `${keyPartitions.map((name) => `"${name}"`).join(', ')} is a partition column; a merge key must be in the files (a row may move between partitions as its partition column changes)` });
    }
  })
  .transform((output) => ({
    ...output,
    compression: (output.compression ?? (output.format === 'parquet' || output.format === 'delta' ? 'snappy' : 'none')) as Compression,
    rowGroupRows: output.rowGroupRows ?? Math.min(defaultRowGroupRows, output.maxRowsPerFile),
    ...(output.format === 'delta'
      ? { tablePath: output.tablePath ?? defaultDeltaTablePath, mode: output.mode ?? 'append', retentionHours: output.retentionHours ?? defaultRetentionHours }
      : {}),
  }));

export const scheduleSchema = z
  .object({
    cron: z.string().min(1).max(100),
    timeZone: z.string().default('UTC'),
  })
  .strict()
  .superRefine((schedule, ctx) => {
    if (!isTimeZone(schedule.timeZone)) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown IANA time zone "${schedule.timeZone}"` });
    try {
      CronExpressionParser.parse(schedule.cron, { tz: 'UTC' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `not a cron expression: ${(err as Error).message}` });
    }
  });

/**
 * Incremental loads: each run reads `column > watermark AND column <= high`, where high is the
 * column's maximum captured at prepare (for SQL Server rowversion, bounded by
 * MIN_ACTIVE_ROWVERSION() so rows of open transactions are never skipped); the watermark moves
 * to high only after the run's manifest is written. A lookback re-reads rows whose cursor landed
 * below the watermark late (a long transaction committing after a run): seconds for date and
 * timestamp cursors, values for integer and rowversion cursors.
 */
export const incrementalSchema = z
  .object({
    column: identifier,
    lookbackSeconds: z.number().int().min(1).max(31 * 86_400).optional(),
    lookbackValues: z.number().int().min(1).max(1_000_000_000).optional(),
  })
  .strict()
  .superRefine((incremental, ctx) => {
    if (incremental.lookbackSeconds !== undefined && incremental.lookbackValues !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['lookbackValues'], message: 'give lookbackSeconds (date and timestamp cursors) or lookbackValues (integer and rowversion cursors), not both' });
    }
  });

/** Retries of a chunk that failed for a reason a retry can fix (a dropped connection, a throttled upload). */
export const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10).default(4),
    firstDelaySeconds: z.number().min(0.1).max(600).default(5),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maxDelaySeconds: z.number().min(0.1).max(3_600).default(300),
  })
  .strict();

/** A pipeline's id, or (in a table's run of a many-table pipeline, never through the API) its table pipeline's id. */
const specIdSchema = z.string().superRefine((id, ctx) => {
  if (tablePipelineIdPattern.test(id)) return;
  const checked = pipelineIdSchema.safeParse(id);
  if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
});

const pipelineSpecBase = z
  .object({
    id: specIdSchema,
    description: z.string().max(1_000).optional(),
    source: sourceSchema,
    /** What to read: a table, many tables (`tables`), or (instead) a SELECT of the user's own. */
    table: tableSchema.optional(),
    query: z.string().min(1).max(30_000).optional(),
    columns: z.array(identifier).min(1).max(1_000).optional(),
    /** Output types chosen per column instead of the type map's (spec/columnTypes.ts): `{"amount": "decimal(18,2)", "tm": "string"}`. */
    columnTypes: columnTypesSchema.optional(),
    /** What a run does when the source's columns changed since the last successful run (spec/schemaContract.ts); absent, the defaults. */
    schemaContract: schemaContractSchema.optional(),
    /** Rules rows must meet; rows that fail go to the run's `_quarantine/` files (spec/validationSpec.ts). */
    validation: validationSchema.optional(),
    /** Steps applied to each row after validation, before encoding (spec/transformsSpec.ts); the output's columns are theirs. */
    transforms: transformsSchema.optional(),
    /** Checks each run must pass after its copy and before its manifest (spec/qualitySpec.ts, quality/). */
    quality: qualitySchema.optional(),
    /**
     * Per-chunk reconciliation (quality/reconcileChunk.ts): after each chunk the source's rows and
     * checksum of the chunk's range are compared with what was read. On (absent) for tables with
     * a key; `false` turns it off.
     */
    reconcile: z.boolean().optional(),
    /** Without chunking, the whole table or query is one streamed chunk, split into files by maxRowsPerFile. */
    chunking: chunkingSchema.optional(),
    output: outputSchema,
    schedule: scheduleSchema.optional(),
    incremental: incrementalSchema.optional(),
    /** Change rows instead of plain rows: `{mode: "hashDiff"}` diffs each run against the last (spec/changeCaptureSpec.ts, capture/). */
    changeCapture: changeCaptureSchema.optional(),
    /** An incremental pipeline's soft-delete column: rows read with it set are written as `delete` change rows. */
    softDelete: softDeleteSchema.optional(),
    retry: retrySchema.default(retrySchema.parse({})),
    /** A run still going after this long ends `timed_out` and its chunks stop. */
    timeoutMinutes: z.number().min(0.05).max(7 * 24 * 60).default(24 * 60),
    /** Pipelines whose latest run must have succeeded for a run of this one to go ahead. */
    dependsOn: z.array(pipelineIdSchema).max(50).optional(),
    /** A query's rows are copied up to this many; the rest are not read (query jobs' maxRows). */
    maxRows: z.number().int().min(1).max(1_000_000_000).optional(),
    /**
     * Entra ID groups (object ids) whose operators may change and run this pipeline; without
     * owners, every operator may. Readers see every pipeline (src/api/auth/pipelineOwners.ts).
     */
    owners: z.array(z.guid('an Entra ID group object id (a GUID)')).min(1).max(20).optional(),
    /** Who hears of which events: Teams, Slack, Discord, Telegram, a signed webhook (spec/notificationSpec.ts, notify/). */
    notifications: notificationsSchema.optional(),
    /** A scheduled fire time without a successful run this long after it is event `late`. */
    lateAfter: lateAfterSchema.optional(),
    /** Rules over the run history (failure rate, volume drop, duration anomaly), sent as event `alert`. */
    alerts: alertsSchema.optional(),
  })
  .strict();

/**
 * An entry of `tables`: a name or pattern, or one with its own values of the table-level fields
 * (tableOverrideFields), each checked as the pipeline's field of that name is.
 */
const tableEntryObjectSchema = pipelineSpecBase.pick(Object.fromEntries(tableOverrideFields.map((field) => [field, true])) as { [field in (typeof tableOverrideFields)[number]]: true }).extend({ name: tablePatternSchema }).strict();
type TableEntryValue = string | z.output<typeof tableEntryObjectSchema>;
// A string is a pattern, anything else an entry object: checked by the one schema it is meant for,
// so a problem is reported at its own field (`tables.0.columns`), not as "Invalid input" of a union.
const tableEntrySchema = z.unknown().transform((value, ctx): TableEntryValue => {
  const checked = typeof value === 'string' ? tablePatternSchema.safeParse(value) : tableEntryObjectSchema.safeParse(value);
  if (checked.success) return checked.data;
  for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

const pipelineSpecShape = pipelineSpecBase
  .extend({
    /**
     * Many tables in one pipeline (tables/, README "Many tables"): names and patterns (`sales.*`,
     * `dbo.fact_%`) resolved from the catalog at each run's prepare, each entry optionally with
     * its own values of table-level settings. Each table is copied as a run of its own under the
     * pipeline's run, with its own watermark, schema and manifest.
     */
    tables: z.array(tableEntrySchema).min(1).max(1_000).optional(),
    /** Patterns of tables `tables` matched that are not copied. */
    exclude: excludeSchema.optional(),
    /** A table that fails stops the other tables of the run (default false: they go on, and the run ends failed listing them). */
    failFast: z.boolean().optional(),
  })
  .strict();

export const pipelineSpecSchema = pipelineSpecShape
  .superRefine((spec, ctx) => {
    if (spec.transforms) {
      for (const problem of transformNameProblems(spec.transforms, spec.columns)) ctx.addIssue({ code: 'custom', path: ['transforms', ...problem.path], message: problem.message });
    }
    checkNotificationFields(spec, ctx);
    checkChangeCaptureFields(spec, ctx);
    qualityNeedsCursor(spec.quality, spec.incremental, ctx);
    spec.owners?.forEach((owner, index) => {
      if (spec.owners!.findIndex((other) => other.toLowerCase() === owner.toLowerCase()) < index) ctx.addIssue({ code: 'custom', path: ['owners', index], message: `${owner} is listed twice` });
    });
    if (spec.dependsOn?.includes(spec.id)) ctx.addIssue({ code: 'custom', path: ['dependsOn'], message: `a pipeline cannot depend on itself (${spec.id} -> ${spec.id})` });
    const targets = [spec.table, spec.tables, spec.query].filter((target) => target !== undefined).length;
    if (targets !== 1) {
      ctx.addIssue({ code: 'custom', path: spec.query !== undefined && targets > 1 ? ['query'] : spec.tables ? ['tables'] : ['table'], message: 'give exactly one of table, tables and query' });
    }
    if (spec.tables) checkTables(spec, ctx);
    else {
      if (spec.exclude) ctx.addIssue({ code: 'custom', path: ['exclude'], message: 'exclude filters what tables matches; give tables' });
      if (spec.failFast !== undefined) ctx.addIssue({ code: 'custom', path: ['failFast'], message: 'failFast is for a pipeline of many tables (tables)' });
    }
    if (spec.query !== undefined && spec.columns !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'a query pipeline selects its columns in the query' });
    }
    // One chunk, one reader: a cap per chunk of a chunked read would not be a cap on the result.
    // A query has no catalog to choose a key from.
    if (spec.chunking && spec.chunking.column === undefined && spec.query !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['chunking', 'column'], message: 'a query pipeline must name its split column (the key is chosen from the catalog only for tables)' });
    }
    if (spec.chunking?.targetChunkMB !== undefined && spec.query !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['chunking', 'targetChunkMB'], message: 'a query has no catalog size to divide: give chunking.chunks' });
    }
    if (spec.maxRows !== undefined && (spec.query === undefined || spec.chunking !== undefined || spec.incremental !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['maxRows'], message: 'only a query read as one chunk (no chunking, not incremental) can be capped' });
    }
  });

/**
 * The rules of a many-table pipeline: each table lands in a folder of its own ({table} in the
 * path), and each entry's overrides make a table spec that passes every rule a one-table spec
 * must (checked here on a stand-in table, so a bad override is refused at the API, at its field).
 */
function checkTables(spec: z.infer<typeof pipelineSpecShape>, ctx: z.RefinementCtx): void {
  const tables = spec.tables!;
  // An empty list is refused at `tables` already; the rules below need a first entry.
  if (tables.length === 0) return;
  const many = tables.length > 1 || !isExactName(entryPattern(tables[0]!));
  if (many) {
    if (spec.output.format === 'delta' && !(spec.output.tablePath ?? defaultDeltaTablePath).includes('{table}')) {
      ctx.addIssue({ code: 'custom', path: ['output', 'tablePath'], message: 'each table of a many-table pipeline is a Delta table of its own: tablePath must hold {table} (e.g. "{pipeline}/{table}")' });
    }
    if (spec.output.format !== 'delta' && !spec.output.pathTemplate.includes('{table}')) {
      ctx.addIssue({ code: 'custom', path: ['output', 'pathTemplate'], message: `each table of a many-table pipeline writes a folder of its own: the path template must hold {table} (e.g. "${tablesPathTemplateExample}")` });
    }
  }
  const { tables: _tables, exclude: _exclude, failFast: _failFast, ...shared } = spec;
  tables.forEach((entry, index) => {
    const overrides = typeof entry === 'string' ? {} : Object.fromEntries(tableOverrideFields.filter((field) => entry[field] !== undefined).map((field) => [field, entry[field]]));
    const tableSpec = { ...shared, ...overrides, table: { name: 'table' } };
    const checked = pipelineSpecSchema.safeParse(tableSpec);
    if (checked.success) return;
    for (const issue of checked.error.issues) {
      const field = issue.path[0];
      // An override's problem at its place in the entry; a problem of the pipeline's own fields is reported once, by the pipeline's own parse.
      if (typeof field === 'string' && field in overrides) ctx.addIssue({ code: 'custom', path: ['tables', index, ...issue.path], message: issue.message });
      else if (typeof field === 'string' && (field === 'changeCapture' || field === 'softDelete' || field === 'chunking' || field === 'transforms' || field === 'validation' || field === 'quality')) {
        ctx.addIssue({ code: 'custom', path: ['tables', index, ...issue.path], message: `with this table's settings: ${issue.message}` });
      }
    }
  });
}

/** A path template for a many-table pipeline, as error messages and the README suggest it. */
export const tablesPathTemplateExample = '{pipeline}/{table}/{yyyy}/{MM}/{dd}/run={runId}/part-{chunk}-{file}';

/** A pipeline has no place to say its copy was cut short; query jobs report it (truncated). */
export function refuseMaxRows(spec: z.infer<typeof pipelineSpecSchema>, ctx: z.RefinementCtx): void {
  if (spec.maxRows !== undefined) ctx.addIssue({ code: 'custom', path: ['maxRows'], message: 'only query jobs (POST /api/queries) cap their rows' });
}

/** Secrets are looked for before the shape is checked, so a body carrying a password is refused with a message that says why, whatever else is wrong with it. */
export const secretFreeInput = z.unknown().superRefine((value, ctx) => {
  for (const found of findSecrets(value)) {
    ctx.addIssue({ code: 'custom', path: found.path, message: found.reason });
  }
});

/**
 * The spec as the dashboard's form checks it before sending: every rule of the API's
 * (pipelineSpecInput.ts) except those that need the server (app setting names, the SQL parser);
 * those come back from the API as field errors.
 */
export const pipelineSpecDraftSchema = secretFreeInput.pipe(pipelineSpecSchema.superRefine(refuseMaxRows).superRefine(refuseTablePipelineId));

/** A table pipeline's id is Siphon's to make (tables/tableSpec.ts), never a pipeline's. */
export function refuseTablePipelineId(spec: z.infer<typeof pipelineSpecSchema>, ctx: z.RefinementCtx): void {
  if (tablePipelineIdPattern.test(spec.id)) ctx.addIssue({ code: 'custom', path: ['id'], message: 'lowercase letters, digits and hyphens, 1-48 characters, not starting or ending with a hyphen' });
}

export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;
export type OutputSpec = PipelineSpec['output'];
export type SourceSpec = PipelineSpec['source'];

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
