import { createRequire } from 'node:module';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ensureErrorType, NonRetryableError } from '../../errors/errorTypes.js';
import { scrubSecrets } from '../../errors/scrubSecrets.js';
import type { SourceSpec } from '../../spec/pipelineSpec.js';
import { readTargetLabel } from '../readTarget.js';
import { defaultSessionLimits, sessionLimitsOf, type SessionLimits } from '../sessionLimits.js';
import type { CatalogIndex, KeyBounds, KeyPrefix, TableCatalog, TableList, TableRef, KeyDistribution, KeyKind, KeyPoint, ReadChunkRequest, ReadTarget, SourceConnector, TableDescription, DescribeOptions, RunRowsRequest, NonNullCounts, DuplicateKeys, ChecksumSource, ChunkChecksumRequest } from '../sourceConnector.js';
import type { Column } from '../../spec/columns.js';
import { keyExampleText } from '../keyExampleText.js';
import { duplicateKeyCountQuery, duplicateKeysQuery, nonNullCountsQuery } from './sqlServerQualityQueries.js';
import { chunkChecksumQuery } from './sqlServerChecksumQuery.js';
import { sourceSumDigits, type ChunkChecksum } from '../../quality/chunkChecksum.js';
import { mapColumnTypes } from '../mapColumnTypes.js';
import { cdcCapturedColumnsQuery, cdcInstancesQuery, cdcMaxLsnQuery, cdcMinLsnQuery, cdcReadQuery, changeTrackingReadQuery, changeTrackingStateQuery, minValidVersionQuery } from './sqlServerChangeQueries.js';
import {
  chunkQuery, describeQueryQuery, describeTableQuery, keyBoundsQuery, listTablesQuery, primaryKeyQuery, randomSampleQuery, rowEstimateQuery, tableIndexesQuery, tablePagesQuery, tablePartitioningQuery,
  statisticsHistogramQuery, tableSampleQuery, type SqlParam, type SqlQuery,
} from './sqlServerDialect.js';
import { baseTypeName, decoderFor, formatSqlServerType, keyDigits, keyKindOf, outputTypeOf, type Decoder, type SqlServerTypeInfo } from './sqlServerTypes.js';

// ---------------------------------------------------------------------------------------------
// The part of mssql (v12, tedious underneath) this connector uses. mssql ships no types and
// @types/mssql is not a dependency; loading it through require keeps one typed surface here
// whether or not those types are installed later.

type MssqlTypeFactory = (...args: number[]) => unknown;

export type MssqlRequest = {
  stream: boolean;
  arrayRowMode: boolean;
  input(name: string, type: unknown, value: unknown): MssqlRequest;
  query(command: string): Promise<{ recordset?: Array<Record<string, unknown>> }>;
  pause(): boolean;
  resume(): boolean;
  cancel(): boolean;
  on(event: 'row', listener: (row: unknown[]) => void): MssqlRequest;
  on(event: 'error', listener: (error: Error) => void): MssqlRequest;
  on(event: 'done', listener: () => void): MssqlRequest;
};

export type MssqlPool = {
  connect(): Promise<MssqlPool>;
  close(): Promise<void>;
  request(): MssqlRequest;
  on(event: 'error', listener: (error: Error) => void): MssqlPool;
};

/** What mssql's own connection-string parser returns (ConnectionPool.parseConnectionString). */
type ParsedConnectionString = {
  server?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  domain?: string;
  connectionTimeout?: number;
  options: { instanceName?: string; readOnlyIntent?: boolean; multiSubnetFailover?: boolean };
};

type MssqlModule = {
  ConnectionPool: { new (config: SqlServerConfig): MssqlPool; parseConnectionString(connectionString: string): ParsedConnectionString };
  BigInt: unknown;
  Int: unknown;
  Date: unknown;
  NVarChar: MssqlTypeFactory;
  DateTime2: MssqlTypeFactory;
  DateTimeOffset: MssqlTypeFactory;
  Binary: MssqlTypeFactory;
  MAX: number;
};

const mssql = createRequire(import.meta.url)('mssql') as MssqlModule;

// ---------------------------------------------------------------------------------------------
// Configuration

export type SqlServerSource = Pick<Extract<SourceSpec, { engine: 'sqlserver' }>, 'authentication' | 'encrypt' | 'trustServerCertificate' | 'packetSize' | 'statementTimeoutSeconds' | 'lockTimeoutSeconds'>;

/** The mssql configuration Siphon connects with; see sqlServerConfig. */
export type SqlServerConfig = {
  server: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  authentication?: { type: 'token-credential'; options: { credential: TokenCredential } };
  connectionTimeout: number;
  requestTimeout: number;
  pool: { max: number; min: number };
  options: {
    encrypt: boolean;
    trustServerCertificate: boolean;
    packetSize: number;
    useUTC: true;
    appName: string;
    lowerCaseGuids: true;
    instanceName?: string;
    readOnlyIntent?: true;
    multiSubnetFailover?: true;
  };
};

/** The managed identity's token source; a user-assigned identity is chosen by its client id. */
export type CredentialFactory = (managedIdentityClientId: string | undefined) => TokenCredential;

const defaultCredential: CredentialFactory = (clientId) => new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// mssql's parser compares ApplicationIntent case-sensitively with `readonly`, so the documented
// spelling `ReadOnly` would silently read from the primary.
const readOnlyIntent = /(?:^|;)\s*application\s*intent\s*=\s*["']?readonly["']?\s*(?=;|$)/i;

/**
 * The mssql configuration for an ADO.NET-style connection string (Server=tcp:host,1433;
 * Database=db;User Id=u;Password=p) and the pipeline's source spec. Pure, so it is tested
 * without a server.
 *
 * - The string gives where to connect (server, port or instance, database), the SQL login, the
 *   connect timeout, ApplicationIntent=ReadOnly and MultiSubnetFailover. Encrypt,
 *   TrustServerCertificate and Packet Size come from the spec, which always has them (with
 *   defaults), so what the string says about them is ignored.
 * - `sql`: User Id and Password are required; DOMAIN\user (Windows/NTLM) is refused.
 * - `entraId`: a token from the app's managed identity (DefaultAzureCredential). A Password in
 *   the string is refused rather than ignored: it is a secret nothing would use, and most
 *   likely a spec and a setting that disagree. User Id, if present, must be the client id of a
 *   user-assigned managed identity, as in ADO.NET's Active Directory Managed Identity.
 *
 * Errors never quote the connection string or the password.
 */
export function sqlServerConfig(connectionString: string, source: SqlServerSource, credential: CredentialFactory = defaultCredential): SqlServerConfig {
  let parsed: ParsedConnectionString;
  try {
    parsed = mssql.ConnectionPool.parseConnectionString(connectionString);
  } catch (err) {
    throw new NonRetryableError(`The SQL Server connection string could not be read: ${scrubSecrets(ensureErrorType(err).message)}`);
  }
  const server = parsed.server?.trim();
  if (!server) throw new NonRetryableError('The SQL Server connection string names no server (expected Server=tcp:<host>,<port>;Database=<db>;...)');
  if (parsed.domain !== undefined) {
    throw new NonRetryableError(`The SQL Server connection string for ${server} has a DOMAIN\\user login (Windows authentication), which Siphon does not use: give a SQL login, or authentication entraId`);
  }
  const options: SqlServerConfig['options'] = {
    encrypt: source.encrypt,
    trustServerCertificate: source.trustServerCertificate,
    packetSize: source.packetSize,
    // Dates are built and read in UTC fields, so no value depends on the host's time zone.
    useUTC: true,
    appName: 'siphon',
    lowerCaseGuids: true,
  };
  if (parsed.options.instanceName) options.instanceName = parsed.options.instanceName;
  if (parsed.options.readOnlyIntent === true || readOnlyIntent.test(connectionString)) options.readOnlyIntent = true;
  if (parsed.options.multiSubnetFailover === true) options.multiSubnetFailover = true;
  const config: SqlServerConfig = {
    server,
    connectionTimeout: parsed.connectionTimeout ?? 30_000,
    // The source's statement timeout. tedious stops this clock at the first packet of the answer,
    // so it bounds the wait before the first row: a sort over a large chunk can take minutes, a
    // hung server or a blocked read not forever.
    requestTimeout: sessionLimitsOf(source).statementTimeoutSeconds * 1000,
    // One connection per connector: a copy activity runs one statement at a time.
    pool: { max: 1, min: 0 },
    options,
  };
  if (parsed.port !== undefined && !options.instanceName) config.port = parsed.port;
  if (parsed.database) config.database = parsed.database;

  if (source.authentication === 'sql') {
    if (!parsed.user) throw new NonRetryableError(`The SQL Server connection string for ${server} has no User Id, which SQL authentication needs`);
    if (parsed.password === undefined) throw new NonRetryableError(`The SQL Server connection string for ${server} has no Password, which SQL authentication needs`);
    config.user = parsed.user;
    config.password = parsed.password;
    return config;
  }
  if (parsed.password !== undefined && parsed.password !== '') {
    throw new NonRetryableError(`The SQL Server connection string for ${server} holds a password, but the source uses entraId (a managed identity token): remove the password from the app setting`);
  }
  const clientId = parsed.user?.trim() || undefined;
  if (clientId !== undefined && !guid.test(clientId)) {
    throw new NonRetryableError(`The SQL Server connection string for ${server} has a User Id that is not a client id: with entraId, User Id may only name a user-assigned managed identity by its client id (a GUID)`);
  }
  config.authentication = { type: 'token-credential', options: { credential: credential(clientId) } };
  return config;
}

/** How errors name the server: host, port or instance, database. Never a credential. */
export function serverLabel(config: Pick<SqlServerConfig, 'server' | 'port' | 'database' | 'options'>): string {
  const where = config.options.instanceName ? `${config.server}\\${config.options.instanceName}` : `${config.server},${config.port ?? 1433}`;
  return `SQL Server ${where}${config.database ? `/${config.database}` : ''}`;
}

// Errors a retry cannot fix: syntax, unknown objects or columns, permissions, conversions.
const nonRetryableNumbers = new Set([102, 156, 207, 208, 229, 230, 245, 1033, 4104, 8114, 8115, 8156, 18456]);

/** A driver error with the server named, the message scrubbed, and no retry where none can help. */
export function sqlServerError(err: unknown, label: string): Error {
  if (err instanceof NonRetryableError) return err;
  const number = (err as { number?: unknown } | null)?.number;
  const message = `${label}: ${ensureErrorType(err).message}`;
  const loginFailed = (err as { code?: unknown } | null)?.code === 'ELOGIN' && /login failed/i.test(message);
  return (typeof number === 'number' && nonRetryableNumbers.has(number)) || loginFailed ? new NonRetryableError(message) : new Error(message);
}

// ---------------------------------------------------------------------------------------------
// The connector

/** Statistics changed by more than this share of their rows since they were built are too stale to cut chunks by. */
const staleStatisticsShare = 0.1;
/** A sample TABLESAMPLE brings back below this share of the wanted size is too small; a full-scan sample follows. */
const minimumSampleShare = 0.25;
/** Waiting for a cancelled statement to end before giving its connection up anyway. */
const cancelWaitMs = 30_000;

/** A column as the catalog describes it, before its type is mapped. */
type RawColumn = { name: string; sourceType: string; info: SqlServerTypeInfo; nullable: boolean };

/** A mssql parameter type for each SqlParam the dialect declares. */
export function mssqlTypeOf(param: SqlParam): unknown {
  switch (param.type) {
    case 'bigint': return mssql.BigInt;
    case 'int': return mssql.Int;
    case 'nvarchar': return mssql.NVarChar(param.length === 'max' ? mssql.MAX : param.length);
    case 'date': return mssql.Date;
    case 'datetime2': return mssql.DateTime2(param.scale);
    case 'datetimeoffset': return mssql.DateTimeOffset(param.scale);
    case 'binary': return mssql.Binary(param.length);
  }
}

/**
 * Sent at the head of every batch, so it holds on whichever pooled connection runs it (mssql
 * offers no hook when it opens one). SQL Server has no read-only session or transaction: the
 * query check (sources/queryGuard) and the login's rights are what keep a query from writing.
 * Reads run at the database's isolation level, never NOLOCK: with read-committed snapshot (RCSI)
 * on, they neither block writers nor wait for them.
 */
export function lockTimeoutStatement(limits: SessionLimits): string {
  return `SET LOCK_TIMEOUT ${Math.round(limits.lockTimeoutSeconds * 1000)};\n`;
}

export class SqlServerConnector implements SourceConnector, ChecksumSource {
  readonly checksumDialect = 'sqlserver' as const;
  readonly canReconcile = true;
  private readonly sessionPrefix: string;

  private constructor(private readonly pool: MssqlPool, private readonly label: string, limits: SessionLimits) {
    this.sessionPrefix = lockTimeoutStatement(limits);
  }

  static async connect(connectionString: string, source: SqlServerSource): Promise<SqlServerConnector> {
    const config = sqlServerConfig(connectionString, source);
    const label = serverLabel(config);
    const pool = new mssql.ConnectionPool(config);
    // A connection that breaks while idle is reported here as well as to the next request that
    // uses it; without a listener the process would die of it.
    pool.on('error', () => undefined);
    try {
      await pool.connect();
    } catch (err) {
      throw sqlServerError(err, label);
    }
    return new SqlServerConnector(pool, label, sessionLimitsOf(source));
  }

  /** A connector over a pool that is already connected; `label` names the server in errors. */
  static withPool(pool: MssqlPool, label: string, limits: SessionLimits = defaultSessionLimits): SqlServerConnector {
    return new SqlServerConnector(pool, label, limits);
  }

  async describe(target: ReadTarget, wanted?: string[], options?: DescribeOptions): Promise<TableDescription> {
    const label = readTargetLabel(target);
    const raw = await this.rawColumns(target);
    // Only the columns read must map: an unsupported type in a column left out is no obstacle.
    const { columns, refusals } = mapColumnTypes(label, raw, (column) => column.name, wanted, (column) => ({
      name: column.name,
      sourceType: column.sourceType,
      nullable: column.nullable,
      type: outputTypeOf(column.info, `${label}, column "${column.name}" (${column.sourceType})`),
    }), options, (name) => findColumnOrUndefined(raw, name));
    const primaryKey = target.kind === 'table' ? (await this.rows<{ name: string }>(primaryKeyQuery(target.table))).map((row) => row.name) : [];
    return { columns, primaryKey, refusals };
  }

  /**
   * For a rowversion key the maximum is the highest *settled* value: the smaller of MAX(key) and
   * MIN_ACTIVE_ROWVERSION() - 1. A transaction still open holds a rowversion from the database's
   * counter and may commit a row with it after rows with higher values are visible; every value
   * below the lowest one still held is committed (or rolled back) for good. So a cursor window
   * closed at this maximum never skips a row of an open transaction: it lands in the next run.
   * Should every row lie above it, the minimum is lowered to it, keeping min <= max.
   */
  async listTables(): Promise<TableList> {
    const rows = await this.rows<{ schema_name: string; table_name: string; default_schema: string | null }>(listTablesQuery);
    const defaultSchema = rows[0]?.default_schema ?? (await this.rows<{ default_schema: string | null }>({ text: 'SELECT SCHEMA_NAME() AS default_schema', params: [] }))[0]?.default_schema ?? 'dbo';
    return { defaultSchema, tables: rows.map((row) => ({ schema: row.schema_name, name: row.table_name })) };
  }

  async tableCatalog(table: TableRef): Promise<TableCatalog> {
    const found = new Map<string, CatalogIndex>();
    for (const row of await this.rows<{ index_name: string; primary_key: boolean; is_unique: boolean; clustered: number; column_name: string }>(tableIndexesQuery(table))) {
      const index = found.get(row.index_name) ?? { name: row.index_name, primaryKey: Boolean(row.primary_key), clustered: Number(row.clustered) === 1, unique: Boolean(row.is_unique), columns: [] };
      index.columns.push(row.column_name);
      found.set(row.index_name, index);
    }
    const pages = (await this.rows<{ used_pages: number }>(tablePagesQuery(table)))[0];
    if (!pages) throw new NonRetryableError(`${readTargetLabel({ kind: 'table', table })} was not found in the source`);
    const { rows } = await this.tableEstimate({ kind: 'table', table });
    const [partitioned] = await this.rows<{ function_name: string; column_name: string; partition_count: number; largest_rows: number }>(tablePartitioningQuery(table));
    const partitioning = partitioned && { function: partitioned.function_name, column: partitioned.column_name, count: Number(partitioned.partition_count), largestRows: Math.max(0, Number(partitioned.largest_rows)) };
    return { indexes: [...found.values()], rows, bytes: Math.max(0, Number(pages.used_pages)) * 8192, partitioning };
  }

  async keyBounds(target: ReadTarget, keyColumn: string, within?: KeyPrefix): Promise<KeyBounds> {
    const label = readTargetLabel(target);
    const key = findColumn(await this.rawColumns(target), keyColumn, label);
    const where = `${label}, chunk key "${key.name}" (${key.sourceType})`;
    const kind = keyKindOf(key.info.typeName, where);
    const bounds = (await this.rows<{ min_key: string | null; max_key: string | null; active_key?: string | null; row_count?: number }>(keyBoundsQuery(target, key.name, kind, within)))[0];
    const rowsEstimate = target.kind === 'table' ? (await this.tableEstimate(target)).rows : Number(bounds?.row_count ?? 0);
    let min = bounds?.min_key == null ? undefined : keyDigits(kind, bounds.min_key, 'floor', where);
    let max = bounds?.max_key == null ? undefined : keyDigits(kind, bounds.max_key, 'ceil', where);
    if (kind === 'rowversion' && min !== undefined && max !== undefined) {
      if (bounds?.active_key == null) throw new NonRetryableError(`${where}: ${this.label} returned no MIN_ACTIVE_ROWVERSION()`);
      const settled = BigInt(keyDigits(kind, bounds.active_key, 'floor', where)) - 1n;
      if (settled < BigInt(max)) max = String(settled);
      if (settled < BigInt(min)) min = max;
    }
    return { kind, min, max, nullable: key.nullable, rowsEstimate: Math.max(0, rowsEstimate) };
  }

  async keyDistribution(target: ReadTarget, keyColumn: string, kind: KeyKind, samplePoints: number): Promise<KeyDistribution> {
    const where = `${readTargetLabel(target)}, chunk key "${keyColumn}"`;
    const wanted = Math.max(1, Math.floor(samplePoints));
    if (target.kind === 'table') {
      const fromStatistics = await this.statisticsDistribution(target, keyColumn, kind, where);
      if (fromStatistics) return fromStatistics;
      const estimate = await this.tableEstimate(target);
      // Page sampling pays off on a table of many pages; it cannot sample a view at all.
      if (estimate.objectType === 'U' && estimate.rows > wanted * 20) {
        const percent = ((wanted * 2) / estimate.rows) * 100;
        const sample = await this.rows<{ sample_key: string | null }>(tableSampleQuery(target.table, keyColumn, kind, percent, wanted * 10));
        if (sample.length >= wanted * minimumSampleShare) return { method: 'sample', points: sampledPoints(sample, kind, where) };
      }
    }
    const sample = await this.rows<{ sample_key: string | null }>(randomSampleQuery(target, keyColumn, kind, wanted));
    return { method: 'sample', points: sampledPoints(sample, kind, where) };
  }

  /**
   * What a changeTracking run fixes at prepare (capture/changeTracking.ts): whether the database
   * allows SNAPSHOT isolation, its current Change Tracking version, and the table's minimum valid
   * version (undefined: Change Tracking is off for the table or the database).
   */
  async changeTrackingState(table: TableRef): Promise<{ snapshotAllowed: boolean; currentVersion: string | undefined; minValidVersion: string | undefined }> {
    const [row] = await this.rows<{ snapshot_allowed: number; current_version: string | number | null; min_valid_version: string | number | null }>(changeTrackingStateQuery(table));
    return {
      snapshotAllowed: Number(row?.snapshot_allowed ?? 0) === 1,
      currentVersion: row?.current_version == null ? undefined : String(row.current_version),
      minValidVersion: row?.min_valid_version == null ? undefined : String(row.min_valid_version),
    };
  }

  async *readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]> {
    const label = readTargetLabel(request.target);
    const { changeRead } = request;
    if (changeRead && request.target.kind !== 'table') throw new NonRetryableError(`${label}: ${changeRead.mode} reads a table's changes, not a query's`);
    const decoders = request.columns.map((column) => decoderFor(column, `${label}, column "${column.name}" (${column.sourceType})`));
    // A change row's two more values: the operation as SQL Server names it, and its version
    // (Change Tracking's a bigint, CDC's an LSN and seqval as hex text).
    if (changeRead?.mode === 'changeTracking') decoders.push((value) => value, (value) => (value == null ? value : BigInt(value as string | number)));
    if (changeRead?.mode === 'cdc') {
      decoders.push((value) => (value == null ? value : Number(value)), (value) => value);
      // Nothing after the stored LSN: the function would refuse an empty range (error 313).
      if (BigInt(changeRead.from) >= BigInt(changeRead.upTo)) return;
    }
    const table = request.target.kind === 'table' ? request.target.table : undefined;
    const query = changeRead?.mode === 'changeTracking' && table
      ? changeTrackingReadQuery(table, request.columns, changeRead.keys, changeRead.after, changeRead.upTo)
      : changeRead?.mode === 'cdc'
        ? cdcReadQuery(changeRead.captureInstance, request.columns, changeRead.captured, changeRead.from, changeRead.upTo, changeRead.rowFilter)
        : chunkQuery(request.target, request.columns, request.key, request.orderBy, request.range, request.window);
    const batchRows = Math.max(1, request.batchRows);
    const sqlRequest = this.request(query.params);
    sqlRequest.stream = true;
    sqlRequest.arrayRowMode = true;

    // Rows arrive as events; they are gathered into batches, and the request is paused once a
    // batch is full and resumed only when the consumer asks for the next one. That pause is
    // tedious' backpressure (it stops reading the socket), so memory holds about one batch.
    const ready: unknown[][][] = [];
    let batch: unknown[][] = [];
    let finished = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const signal = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => { markDone = resolve; });

    sqlRequest.on('row', (row) => {
      if (failure) return;
      try {
        batch.push(decodeRow(row, decoders, label));
      } catch (err) {
        failure = ensureErrorType(err);
        sqlRequest.cancel();
        signal();
        return;
      }
      if (batch.length >= batchRows) {
        ready.push(batch);
        batch = [];
        sqlRequest.pause();
        signal();
      }
    });
    sqlRequest.on('error', (err) => {
      failure ??= err;
      signal();
    });
    // In stream mode mssql emits `done` once the statement has ended, after any `error`.
    sqlRequest.on('done', () => {
      if (batch.length) ready.push(batch);
      batch = [];
      finished = true;
      markDone();
      signal();
    });
    sqlRequest.query(this.sessionPrefix + query.text).catch((err: unknown) => {
      failure ??= ensureErrorType(err);
      finished = true;
      markDone();
      signal();
    });

    // The run ended: fail the read, whose ending below sends ATTENTION, even while the statement
    // is still working on its first row.
    const stop = () => {
      failure ??= new Error(`${label}: the run ended; the statement was cancelled`);
      signal();
    };
    request.signal?.addEventListener('abort', stop, { once: true });
    if (request.signal?.aborted) stop();

    try {
      for (;;) {
        if (failure) throw sqlServerError(failure, this.label);
        const next = ready.shift();
        if (next) {
          yield next;
          continue;
        }
        if (finished) {
          if (changeRead?.mode === 'changeTracking' && table) await this.checkChangesStillValid(table, changeRead.after, label);
          if (changeRead?.mode === 'cdc') await this.checkCdcStillValid(changeRead.captureInstance, changeRead.from, label);
          return;
        }
        sqlRequest.resume();
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    } finally {
      request.signal?.removeEventListener('abort', stop);
      if (!finished) {
        // The consumer stopped early (or a row failed to decode): stop the statement instead of
        // draining it, and give the connection back once the server has acknowledged.
        sqlRequest.cancel();
        await Promise.race([done, new Promise<void>((resolve) => setTimeout(resolve, cancelWaitMs).unref())]);
      }
    }
  }

  /**
   * After a Change Tracking read: the table's minimum valid version must still be at or below
   * the version the read started after. It only rises (cleanup removes changes below it), so
   * while it is, the read saw every change after `after`; above it, cleanup may have removed
   * changes the read should have had, and the chunk fails rather than leave a silent gap (the
   * next run's prepare sees the same and takes a snapshot).
   */
  private async checkChangesStillValid(table: TableRef, after: string, label: string): Promise<void> {
    const [row] = await this.rows<{ min_valid_version: string | number | null }>(minValidVersionQuery(table));
    const minValid = row?.min_valid_version == null ? undefined : String(row.min_valid_version);
    if (minValid === undefined) throw new NonRetryableError(`${label}: Change Tracking was turned off for the table while the run read its changes`);
    if (BigInt(minValid) > BigInt(after)) {
      throw new NonRetryableError(`${label}: Change Tracking's minimum valid version rose to ${minValid} while the run read its changes after version ${after} (retention cleanup), so changes may be missing; no manifest is written, and the next run takes a snapshot`);
    }
  }

  /**
   * After a CDC read: the instance's minimum LSN must still be at or below the first LSN read
   * (the one after `from`); cleanup above it may have removed changes while the function read.
   */
  private async checkCdcStillValid(instance: string, from: string, label: string): Promise<void> {
    const [row] = await this.rows<{ min_lsn: string | null }>(cdcMinLsnQuery(instance));
    const first = BigInt(from) + 1n;
    if (row?.min_lsn == null || BigInt(row.min_lsn) > first) {
      throw new NonRetryableError(`${label}: CDC capture instance ${instance}'s minimum LSN rose to ${row?.min_lsn ?? '(none)'} while the run read its changes after ${from} (retention cleanup), so changes may be missing; no manifest is written, and the next run takes a snapshot`);
    }
  }

  /**
   * What a cdc run fixes at prepare (capture/planCdc.ts): the table's capture instances, oldest
   * first, with their start and minimum LSNs and captured columns, and the maximum LSN now.
   */
  async cdcState(table: TableRef): Promise<{ instances: Array<{ name: string; startLsn: string; minLsn: string; columns: string[] }>; maxLsn: string | undefined }> {
    const instances = await this.rows<{ capture_instance: string; start_lsn: string; min_lsn: string }>(cdcInstancesQuery(table));
    const columns = instances.length ? await this.rows<{ capture_instance: string; column_name: string }>(cdcCapturedColumnsQuery(table)) : [];
    const [max] = await this.rows<{ max_lsn: string | null }>(cdcMaxLsnQuery());
    return {
      instances: instances.map((row) => ({
        name: row.capture_instance,
        startLsn: row.start_lsn,
        minLsn: row.min_lsn,
        columns: columns.filter((column) => column.capture_instance === row.capture_instance).map((column) => column.column_name),
      })),
      maxLsn: max?.max_lsn ?? undefined,
    };
  }

  async countNonNull(request: RunRowsRequest & { columns: Column[] }): Promise<NonNullCounts> {
    const [row] = await this.rows<Record<string, unknown>>(nonNullCountsQuery(request, request.columns));
    return { rows: Number(row?.n ?? 0), nonNull: request.columns.map((_, index) => Number(row?.[`n${index}`] ?? 0)) };
  }

  /**
   * The chunk's checksum in one aggregate (sqlServerChecksumQuery.ts), after the read and over
   * the same range: SQL Server shares no snapshot between statements of a read-committed read, so
   * a row changed in between shows as a mismatch (retried, then a warning; README).
   */
  async chunkChecksum(request: ChunkChecksumRequest): Promise<ChunkChecksum> {
    const [row] = await this.rows<Record<string, string | number | null>>(chunkChecksumQuery(request));
    const rows = Number(row?.n ?? 0);
    return {
      rows,
      // A NOT NULL column's count is not asked for: every row has a value.
      columns: request.terms.map((term, index) => ({
        nonNull: row?.[`c${index}`] == null ? rows : Number(row[`c${index}`]),
        sum: sourceSumDigits(term, row?.[`s${index}`] == null ? null : String(row[`s${index}`])),
      })),
    };
  }

  async duplicateKeys(request: RunRowsRequest & { keys: Column[]; limit: number }): Promise<DuplicateKeys> {
    const found = await this.rows<Record<string, unknown>>(duplicateKeysQuery(request, request.keys, request.limit));
    const examples = found.map((row) => ({ key: request.keys.map((_, index) => keyExampleText(row[`k${index}`])), rows: Number(row.n) }));
    // Fewer than asked for: these are all of them, and counting again would read the rows twice.
    if (examples.length < request.limit) return { keys: examples.length, examples };
    const [row] = await this.rows<{ n: unknown }>(duplicateKeyCountQuery(request, request.keys));
    return { keys: Number(row?.n ?? 0), examples };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private request(params: SqlParam[]): MssqlRequest {
    const request = this.pool.request();
    for (const param of params) request.input(param.name, mssqlTypeOf(param), param.value);
    return request;
  }

  private async rows<T>(query: SqlQuery): Promise<T[]> {
    try {
      const result = await this.request(query.params).query(this.sessionPrefix + query.text);
      return (result.recordset ?? []) as T[];
    } catch (err) {
      throw sqlServerError(err, this.label);
    }
  }

  private async rawColumns(target: ReadTarget): Promise<RawColumn[]> {
    const label = readTargetLabel(target);
    if (target.kind === 'table') {
      const rows = await this.rows<{ name: string; type_name: string; max_length: number; precision: number; scale: number; is_nullable: boolean }>(describeTableQuery(target.table));
      if (rows.length === 0) throw new NonRetryableError(`${label} was not found in ${this.label} (or this login cannot see it)`);
      return rows.map((row) => {
        const info = { typeName: row.type_name.toLowerCase(), maxLength: row.max_length, precision: row.precision, scale: row.scale };
        return { name: row.name, sourceType: formatSqlServerType(info), info, nullable: row.is_nullable };
      });
    }
    const rows = await this.rows<{ name: string | null; system_type_name: string | null; max_length: number; precision: number; scale: number; is_nullable: boolean | null; error_message: string | null }>(describeQueryQuery(target.sql));
    const failed = rows.find((row) => row.error_message);
    if (failed) throw new NonRetryableError(`${label} cannot be described by ${this.label}: ${failed.error_message}`);
    if (rows.length === 0) throw new NonRetryableError(`${label} returns no result set`);
    return rows.map((row, index) => {
      if (!row.name) throw new NonRetryableError(`${label}: column ${index + 1} has no name; give it one with AS`);
      const sourceType = (row.system_type_name ?? 'unknown').toLowerCase();
      const info = { typeName: baseTypeName(sourceType), maxLength: row.max_length, precision: row.precision, scale: row.scale };
      return { name: row.name, sourceType, info, nullable: row.is_nullable !== false };
    });
  }

  private async tableEstimate(target: Extract<ReadTarget, { kind: 'table' }>): Promise<{ rows: number; objectType: string | undefined }> {
    const row = (await this.rows<{ object_type: string; row_estimate: number }>(rowEstimateQuery(target.table)))[0];
    return { rows: Math.max(0, Number(row?.row_estimate ?? 0)), objectType: row?.object_type };
  }

  /**
   * Points from the histogram: each step's range_rows spread over the keys below its high key
   * (a point one key unit below it), its equal_rows at the high key. Missing, empty or stale
   * statistics, or a server without dm_db_stats_histogram, give way to a sample.
   */
  private async statisticsDistribution(target: Extract<ReadTarget, { kind: 'table' }>, keyColumn: string, kind: KeyKind, where: string): Promise<KeyDistribution | undefined> {
    let steps: Array<{ stats_rows: number; modified_rows: number; high_key: string | null; range_rows: number; equal_rows: number }>;
    try {
      steps = await this.rows(statisticsHistogramQuery(target.table, keyColumn, kind));
    } catch {
      return undefined;
    }
    const first = steps[0];
    if (!first || first.stats_rows <= 0 || first.modified_rows > first.stats_rows * staleStatisticsShare) return undefined;
    return { method: 'statistics', points: histogramPoints(steps.map((step) => ({ highKey: step.high_key, rangeRows: step.range_rows, equalRows: step.equal_rows })), kind, where) };
  }
}

/** Turns histogram steps (ascending) into KeyPoints; NULL steps belong to the NULL chunk and are left out. */
export function histogramPoints(steps: Array<{ highKey: string | null; rangeRows: number; equalRows: number }>, kind: KeyKind, where = 'chunk key'): KeyPoint[] {
  const points: KeyPoint[] = [];
  let previous: bigint | undefined;
  for (const step of steps) {
    if (step.highKey === null) continue;
    const key = BigInt(keyDigits(kind, step.highKey, 'floor', where));
    const below = key - 1n;
    let atKey = Math.max(0, step.equalRows);
    if (step.rangeRows > 0) {
      if (previous === undefined || below > previous) points.push({ key: String(below), weight: step.rangeRows });
      else atKey += step.rangeRows;
    }
    points.push({ key: String(key), weight: atKey });
    previous = key;
  }
  return points;
}

function sampledPoints(rows: Array<{ sample_key: string | null }>, kind: KeyKind, where: string): KeyPoint[] {
  return rows
    .filter((row): row is { sample_key: string } => row.sample_key !== null)
    .map((row) => BigInt(keyDigits(kind, row.sample_key, 'floor', where)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => ({ key: String(key), weight: 1 }));
}

/** Decodes in place: mssql builds a fresh array for every row (arrayRowMode), which is then ours. */
function decodeRow(row: unknown[], decoders: Decoder[], label: string): unknown[] {
  if (row.length !== decoders.length) throw new NonRetryableError(`${label}: the server sent ${row.length} columns, ${decoders.length} were asked for`);
  for (let i = 0; i < decoders.length; i++) row[i] = decoders[i]!(row[i]);
  return row;
}

/**
 * A column by the name a spec gives. SQL Server usually compares names case-insensitively, so
 * a spelling that differs only in case finds the column when it is the only such one; the
 * catalog's spelling is what the queries then use.
 */
function findColumn<T extends { name: string }>(columns: T[], name: string, label: string): T {
  const found = findColumnOrUndefined(columns, name);
  if (!found) throw new NonRetryableError(`${label} has no column "${name}"`);
  return found;
}

/** The column named exactly, else the one column whose name matches ignoring case (SQL Server's default collation). */
function findColumnOrUndefined<T extends { name: string }>(columns: T[], name: string): T | undefined {
  const exact = columns.find((column) => column.name === name);
  if (exact) return exact;
  const folded = columns.filter((column) => column.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/**
 * The server and database a connection string reaches, read without connecting (for the source's
 * identity: sources/sourceIdentity.ts). Never the user or the password.
 */
export function sqlServerEndpoint(connectionString: string): { server: string; port: number | undefined; instanceName: string | undefined; database: string | undefined } {
  let parsed: ParsedConnectionString;
  try {
    parsed = mssql.ConnectionPool.parseConnectionString(connectionString);
  } catch (err) {
    throw new NonRetryableError(`The SQL Server connection string could not be read: ${scrubSecrets(ensureErrorType(err).message)}`);
  }
  return { server: parsed.server?.trim() ?? '', port: parsed.port, instanceName: parsed.options.instanceName, database: parsed.database };
}
