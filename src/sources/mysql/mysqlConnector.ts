import { chunkChecksumQuery, columnCharsetsQuery } from './mysqlChecksumQuery.js';
import { sourceSumDigits, type ChunkChecksum } from '../../quality/chunkChecksum.js';
import type { ChecksumSource, ChunkChecksumRequest } from '../sourceConnector.js';
import mysql from 'mysql2';
import type { Connection, ConnectionOptions, FieldPacket } from 'mysql2';
import { NonRetryableError, errorMessage } from '../../errors/errorTypes.js';
import { readType, type Column } from '../../spec/columns.js';
import type { KeyBounds, KeyPrefix, TableCatalog, TableList, TableRef, KeyDistribution, KeyKind, KeyPoint, ReadChunkRequest, ReadTarget, SourceConnector, TableDescription, DescribeOptions, ColumnRefusal, RunRowsRequest, NonNullCounts, DuplicateKeys } from '../sourceConnector.js';
import { keyExampleText } from '../keyExampleText.js';
import { duplicateKeyCountQuery, duplicateKeysQuery, nonNullCountsQuery } from './mysqlQualityQueries.js';
import { mapColumnTypes } from '../mapColumnTypes.js';
import { seededRandom } from '../seededRandom.js';
import { defaultSessionLimits, type SessionLimits } from '../sessionLimits.js';
import {
  chunkQuery,
  countQuery,
  describeColumnsQuery,
  isJsonCheck,
  keyBoundsQuery,
  mariadbCheckConstraintsQuery,
  mariadbHistogramQuery,
  mysqlHistogramQuery,
  primaryKeyQuery,
  probeQuery,
  rowEstimateQuery,
  listTablesQuery,
  tableIndexesQuery,
  tableSizeQuery,
  sampleQuery,
  serverQuery,
  sampleSeed,
  sessionLimitSettings,
  sessionSettings,
  type SqlSource,
  type SqlWithValues,
} from './mysqlDialect.js';
import {
  decoderFor,
  fieldNullable,
  keyDigitsOf,
  keyKindOf,
  keyParameter,
  mariadbHistogramPoints,
  mysqlHistogramPoints,
  outputTypeOf,
  typeInfoFromField,
  type MysqlTypeInfo,
} from './mysqlTypes.js';

/**
 * Driver options every decoder in mysqlTypes relies on: decimals, dates, times and JSON as the
 * server's text, 64-bit integers as a number only when it is a safe integer (exact digits
 * otherwise), so no value passes through a JS float on its way in. They override the same names
 * in the connection string's query.
 *
 * bigNumberStrings stays off: mysql2 then reads a BIGINT's digits straight into a number (its
 * text only beyond 2^53), and BigInt(number) costs half of BigInt(text). Measured against the
 * other ways mysql2 offers (typeCast false, a typeCast function, the binary protocol of execute),
 * this is the cheapest exact one: a Buffer per field costs more than the short string it would
 * save, a typeCast function makes a closure per field, and the binary protocol either drops
 * DATETIME(6)'s microseconds (Date) or formats dates through string joins (dateStrings).
 */
const exactOptions = {
  supportBigNumbers: true,
  bigNumberStrings: false,
  dateStrings: true,
  decimalNumbers: false,
  jsonStrings: true,
  multipleStatements: false,
  charset: 'UTF8MB4_GENERAL_CI',
} satisfies ConnectionOptions;
// multipleStatements stays false whatever the connection string says (it is in fixedUrlOptions):
// one query text is one statement, so a smuggled second statement is a syntax error. Statements
// go as text with `?` values escaped by mysql2 rather than as prepared statements (execute):
// streaming a result with backpressure needs query(), and the query check and the read-only
// session are the guards for the user's text.
const fixedUrlOptions = [...Object.keys(exactOptions), 'typeCast', 'rowsAsArray', 'nestTables', 'timezone'];

/** Server errors that name a mistake in the spec or the grants; retrying them cannot help. */
const permanentErrnos = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR
  1054, // ER_BAD_FIELD_ERROR
  1060, // ER_DUP_FIELDNAME
  1064, // ER_PARSE_ERROR
  1142, // ER_TABLEACCESS_DENIED_ERROR
  1143, // ER_COLUMNACCESS_DENIED_ERROR
  1146, // ER_NO_SUCH_TABLE
  1248, // ER_DERIVED_MUST_HAVE_ALIAS
  1292, // ER_TRUNCATED_WRONG_VALUE
]);
/** Statistics the user may not be allowed to read, or a server without them: sample instead. */
const missingStatisticsErrnos = new Set([1044, 1142, 1143, 1146, 1054, 1109]);

type Flavor = 'mysql' | 'mariadb';
type Described = { column: Column; info: MysqlTypeInfo };
type Resolved = { source: SqlSource; label: string };
type QueryResult = { rows: unknown[][]; fields: FieldPacket[] };

export class MysqlConnector implements SourceConnector, ChecksumSource {
  readonly checksumDialect = 'mysql' as const;
  readonly canReconcile = true;

  private session: Promise<Connection> | undefined;
  private streaming = 0;

  private constructor(
    private readonly options: ConnectionOptions,
    private readonly limits: SessionLimits,
    /** MySQL and MariaDB keep their statistics and JSON columns in different places. */
    readonly flavor: Flavor,
    /** The database of the connection string: the schema of tables named without one. */
    private readonly database: string | null,
    connection: Connection,
  ) {
    this.session = Promise.resolve(connection);
  }

  static async connect(connectionString: string, limits: SessionLimits = defaultSessionLimits): Promise<MysqlConnector> {
    const options = connectionOptions(connectionString);
    const session = await openSession(options, limits);
    return new MysqlConnector(options, limits, session.flavor, session.database, session.connection);
  }

  async describe(target: ReadTarget, columns?: string[], options?: DescribeOptions): Promise<TableDescription> {
    const resolved = this.resolve(target);
    const described = await this.describeColumns(resolved, columns, options);
    const primaryKey = resolved.source.kind === 'table'
      ? (await this.query(primaryKeyQuery, [resolved.source.schema, resolved.source.name], resolved.label)).rows.map((row) => String(row[0]))
      : [];
    return { columns: described.columns.map((entry) => entry.column), primaryKey, refusals: described.refusals };
  }

  async listTables(): Promise<TableList> {
    if (!this.database) throw new NonRetryableError('the connection string names no database: a pattern of tables is matched in the connection\'s database');
    const { rows } = await this.query(listTablesQuery, [], `Database ${this.database}`);
    return { defaultSchema: this.database, tables: rows.map((row) => ({ schema: String(row[0]), name: String(row[1]) })) };
  }

  async tableCatalog(table: TableRef): Promise<TableCatalog> {
    const resolved = this.resolve({ kind: 'table', table });
    const { source } = resolved;
    if (source.kind !== 'table') throw new Error('tableCatalog reads tables');
    const found = new Map<string, { unique: boolean; columns: Array<string | null> }>();
    for (const row of (await this.query(tableIndexesQuery, [source.schema, source.name], resolved.label)).rows) {
      const name = String(row[0]);
      const entry = found.get(name) ?? { unique: Number(row[1]) === 0, columns: [] };
      entry.columns.push(row[2] === null ? null : String(row[2]));
      found.set(name, entry);
    }
    const [size] = (await this.query(tableSizeQuery, [source.schema, source.name], resolved.label)).rows;
    if (!size) throw new NonRetryableError(`${resolved.label} was not found in the source`);
    const indexes = [...found].flatMap(([name, entry]) => (entry.columns.some((column) => column === null)
      ? []
      : [{ name, primaryKey: name === 'PRIMARY', clustered: name === 'PRIMARY', unique: entry.unique, columns: entry.columns as string[] }]));
    const count = (value: unknown) => {
      const number = Number(value ?? 0);
      return Number.isFinite(number) && number > 0 ? number : 0;
    };
    return { indexes, rows: count(size[0]), bytes: count(size[1]) };
  }

  async keyBounds(target: ReadTarget, keyColumn: string, within?: KeyPrefix): Promise<KeyBounds> {
    const resolved = this.resolve(target);
    const { column, kind } = await this.describeKey(resolved, keyColumn);
    const decode = decoderFor(column.type, `${resolved.label}, chunk key "${keyColumn}"`);
    const [row] = (await this.query(keyBoundsQuery(resolved.source, keyColumn, within?.column), within ? [keyParameter(within.kind, within.equals)] : [], resolved.label)).rows;
    const min = decode(row?.[0]);
    const max = decode(row?.[1]);
    const table = resolved.source.kind === 'table' ? resolved.source : undefined;
    return {
      kind,
      min: min === null ? undefined : keyDigitsOf(min),
      max: max === null ? undefined : keyDigitsOf(max),
      // A query's column may come from an outer join or an expression; NULL keys are assumed possible.
      nullable: table ? column.nullable : true,
      rowsEstimate: table ? await this.rowEstimate(table, resolved.label) : 0,
    };
  }

  async keyDistribution(target: ReadTarget, keyColumn: string, kind: KeyKind, samplePoints: number): Promise<KeyDistribution> {
    const resolved = this.resolve(target);
    const { column } = await this.describeKey(resolved, keyColumn);
    if (resolved.source.kind === 'table') {
      const points = await this.statisticsPoints(resolved.source, keyColumn, kind, resolved.label);
      if (points) return { method: 'statistics', points };
    }
    return { method: 'sample', points: await this.sample(resolved, column, samplePoints) };
  }

  async *readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]> {
    if (request.changeRead) throw new NonRetryableError(`${request.changeRead.mode} reads SQL Server's change tables; this source is not SQL Server`);
    const resolved = this.resolve(request.target);
    const key = request.key;
    if (request.range.kind !== 'all' && !key) throw new NonRetryableError(`${resolved.label}: a ${request.range.kind} chunk needs a split key`);
    const window = request.window && { column: request.window.column, after: request.window.after === undefined ? undefined : keyParameter(request.window.kind, request.window.after), upTo: keyParameter(request.window.kind, request.window.upTo) };
    const query = chunkQuery(resolved.source, request.columns, key, request.orderBy, request.range, keyParameter, window);
    const decoders = request.columns.map((column) => decoderFor(readType(column), `${resolved.label}, column "${column.name}" (${column.sourceType})`));
    for await (const rows of this.stream(query, Math.max(1, request.batchRows), resolved.label, request.signal)) {
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        for (let i = 0; i < decoders.length; i++) row[i] = decoders[i]!(row[i]);
      }
      yield rows;
    }
  }

  async countNonNull(request: RunRowsRequest & { columns: Column[] }): Promise<NonNullCounts> {
    const resolved = this.resolve(request.target);
    const query = nonNullCountsQuery({ source: resolved.source, window: request.window }, request.columns);
    const [row] = (await this.query(query.sql, query.values, resolved.label)).rows;
    return { rows: Number(row![0]), nonNull: request.columns.map((_, index) => Number(row![index + 1])) };
  }

  async duplicateKeys(request: RunRowsRequest & { keys: Column[]; limit: number }): Promise<DuplicateKeys> {
    const resolved = this.resolve(request.target);
    const rows = { source: resolved.source, window: request.window };
    const query = duplicateKeysQuery(rows, request.keys, request.limit);
    const examples = (await this.query(query.sql, query.values, resolved.label)).rows.map((row) => ({ key: row.slice(0, -1).map(keyExampleText), rows: Number(row[row.length - 1]) }));
    // Fewer than asked for: these are all of them, and counting again would read the rows twice.
    if (examples.length < request.limit) return { keys: examples.length, examples };
    const counted = duplicateKeyCountQuery(rows, request.keys);
    const [row] = (await this.query(counted.sql, counted.values, resolved.label)).rows;
    return { keys: Number(row![0]), examples };
  }

  /**
   * The chunk's checksum in one aggregate over the same range, in this session after the read:
   * MySQL cannot share a snapshot between sessions, so a row changed since the read shows.
   */
  async chunkChecksum(request: ChunkChecksumRequest): Promise<ChunkChecksum> {
    const resolved = this.resolve(request.target);
    const { source } = resolved;
    const charsets = source.kind === 'table'
      ? new Map((await this.query(columnCharsetsQuery, [source.schema, source.name], resolved.label)).rows.map((row) => [String(row[0]), row[1] == null ? null : String(row[1])] as const))
      : undefined;
    const query = chunkChecksumQuery(source, request, charsets);
    const [row] = (await this.query(query.sql, query.values, resolved.label)).rows;
    const value = (index: number) => (row![index] === null ? null : String(row![index]));
    const rows = Number(row![0]);
    return {
      rows,
      // A NOT NULL column's count is not asked for: every row has a value.
      columns: request.terms.map((term, index) => ({ nonNull: row![1 + 2 * index] === null ? rows : Number(row![1 + 2 * index]), sum: sourceSumDigits(term, value(2 + 2 * index)) })),
    };
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    const connection = await session.catch(() => undefined);
    if (!connection) return;
    // A stream the caller never finished would make a polite QUIT wait for the rest of its rows.
    if (this.streaming > 0 || connection.state === 'error' || connection.state === 'disconnected') {
      connection.destroy();
      return;
    }
    await new Promise<void>((resolve) => connection.end(() => resolve()));
  }

  private resolve(target: ReadTarget): Resolved {
    if (target.kind === 'query') return { source: { kind: 'query', sql: target.sql }, label: 'Query' };
    const schema = target.table.schema ?? this.database;
    if (!schema) throw new NonRetryableError(`Table ${target.table.name}: no schema given and the connection string names no database`);
    return { source: { kind: 'table', schema, name: target.table.name }, label: `Table ${schema}.${target.table.name}` };
  }

  private async describeColumns(resolved: Resolved, wanted?: string[], options?: DescribeOptions): Promise<{ columns: Described[]; refusals: ColumnRefusal[] }> {
    const found = resolved.source.kind === 'table' ? await this.tableColumns(resolved.source, resolved.label) : await this.queryColumns(resolved.source, resolved.label);
    const infoOf = new Map(found.map((entry) => [entry.name, entry.info]));
    const { columns, refusals } = mapColumnTypes(resolved.label, found, (entry) => entry.name, wanted, (entry) => {
      const type = outputTypeOf(entry.info, `${resolved.label}, column "${entry.name}" (${entry.info.columnType})`);
      return { name: entry.name, sourceType: entry.info.columnType, nullable: entry.nullable, type };
    }, options);
    return { columns: columns.map((column) => ({ column, info: infoOf.get(column.name)! })), refusals };
  }

  private async tableColumns(table: Extract<SqlSource, { kind: 'table' }>, label: string): Promise<Array<{ name: string; nullable: boolean; info: MysqlTypeInfo }>> {
    const { rows } = await this.query(describeColumnsQuery, [table.schema, table.name], label);
    if (rows.length === 0) throw new NonRetryableError(`${label} was not found in the source (or has no columns)`);
    const checks = this.flavor === 'mariadb' ? (await this.query(mariadbCheckConstraintsQuery, [table.schema, table.name], label)).rows.map((row) => String(row[0])) : [];
    return rows.map(([name, dataType, columnType, isNullable, precision, scale]) => {
      const columnName = String(name);
      const declared = String(columnType);
      const info: MysqlTypeInfo = {
        dataType: String(dataType).toLowerCase(),
        unsigned: /\b(unsigned|zerofill)\b/i.test(declared),
        precision: precision == null ? undefined : Number(precision),
        scale: scale == null ? undefined : Number(scale),
        columnType: declared,
      };
      // MariaDB's JSON is an alias of LONGTEXT whose only trace is the json_valid() check it adds.
      if (/^(char|varchar|tinytext|text|mediumtext|longtext)$/.test(info.dataType) && checks.some((check) => isJsonCheck(check, columnName))) {
        return { name: columnName, nullable: isNullable === 'YES', info: { ...info, dataType: 'json', columnType: 'json' } };
      }
      return { name: columnName, nullable: isNullable === 'YES', info };
    });
  }

  private async queryColumns(source: SqlSource, label: string): Promise<Array<{ name: string; nullable: boolean; info: MysqlTypeInfo }>> {
    const { fields } = await this.query(probeQuery(source), [], label);
    return fields.map((field) => ({ name: field.name, nullable: fieldNullable(field), info: typeInfoFromField(field) }));
  }

  private async describeKey(resolved: Resolved, keyColumn: string): Promise<{ column: Column; kind: KeyKind }> {
    const [entry] = (await this.describeColumns(resolved, [keyColumn])).columns;
    const kind = keyKindOf(entry!.info, `${resolved.label}, chunk key "${keyColumn}" (${entry!.info.columnType})`);
    return { column: entry!.column, kind };
  }

  private async rowEstimate(table: Extract<SqlSource, { kind: 'table' }>, label: string): Promise<number> {
    const [row] = (await this.query(rowEstimateQuery, [table.schema, table.name], label)).rows;
    const estimate = Number(row?.[0] ?? 0);
    return Number.isFinite(estimate) && estimate > 0 ? estimate : 0;
  }

  /** Histogram points when the server keeps a usable histogram of the key; undefined otherwise. */
  private async statisticsPoints(table: Extract<SqlSource, { kind: 'table' }>, keyColumn: string, kind: KeyKind, label: string): Promise<KeyPoint[] | undefined> {
    const values = [table.schema, table.name, keyColumn];
    try {
      if (this.flavor === 'mysql') {
        const [row] = (await this.query(mysqlHistogramQuery, values, label)).rows;
        return row?.[0] == null ? undefined : mysqlHistogramPoints(String(row[0]), kind);
      }
      const [row] = (await this.query(mariadbHistogramQuery, values, label)).rows;
      if (!row) return undefined;
      return mariadbHistogramPoints({ minValue: textOrNull(row[0]), maxValue: textOrNull(row[1]), histType: textOrNull(row[2]), histogram: row[3] instanceof Uint8Array ? row[3] : null }, kind);
    } catch (err) {
      if (missingStatisticsErrnos.has(errnoOf(err))) return undefined;
      throw err;
    }
  }

  /**
   * About `samplePoints` keys drawn uniformly from the rows, each weighing 1. The server keeps a
   * fraction sized from the row estimate; a reservoir caps what arrives when the estimate was low,
   * so memory stays at `samplePoints` keys however wrong the estimate is.
   */
  private async sample(resolved: Resolved, column: Column, samplePoints: number): Promise<KeyPoint[]> {
    const wanted = Math.max(1, Math.floor(samplePoints));
    let rows = resolved.source.kind === 'table' ? await this.rowEstimate(resolved.source, resolved.label) : 0;
    if (rows === 0) rows = Number((await this.query(countQuery(resolved.source), [], resolved.label)).rows[0]?.[0] ?? 0);
    if (rows === 0) return [];
    const fraction = Math.min(1, (2 * wanted) / rows);
    const decode = decoderFor(column.type, `${resolved.label}, chunk key "${column.name}"`);
    const reservoir: bigint[] = [];
    const random = seededRandom(sampleSeed);
    let seen = 0;
    for await (const batch of this.stream(sampleQuery(resolved.source, column.name, fraction), 10_000, resolved.label)) {
      for (const row of batch) {
        const key = BigInt(keyDigitsOf(decode(row[0])));
        seen++;
        if (reservoir.length < wanted) reservoir.push(key);
        else {
          const slot = Math.floor(random() * seen);
          if (slot < wanted) reservoir[slot] = key;
        }
      }
    }
    reservoir.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return reservoir.map((key) => ({ key: key.toString(), weight: 1 }));
  }

  /**
   * The session, reopened (with its settings) when the last one was discarded or died: a dropped
   * idle connection or an abandoned stream costs a reconnect, not a failed run.
   */
  private async connection(): Promise<Connection> {
    const current = this.session ? await this.session.catch(() => undefined) : undefined;
    if (current && (current.state === 'error' || current.state === 'disconnected')) {
      current.destroy();
      this.session = undefined;
    } else if (!current) {
      this.session = undefined;
    }
    this.session ??= openSession(this.options, this.limits).then((session) => session.connection);
    try {
      return await this.session;
    } catch (err) {
      this.session = undefined;
      throw err;
    }
  }

  /** Drops a connection left mid-result; the next call opens a fresh session. */
  private discard(connection: Connection): void {
    connection.destroy();
  }

  private async query(sql: string, values: unknown[], label: string): Promise<QueryResult> {
    const connection = await this.connection();
    try {
      return await run(connection, sql, values);
    } catch (err) {
      throw queryError(err, label);
    }
  }

  /**
   * Rows in batches of `batchRows`, read only as fast as the caller takes them: once a batch is
   * full the connection is paused (mysql2 stops reading the socket and the server waits: TCP
   * backpressure) until the caller takes it; then reading resumes, so the next batch arrives
   * while the caller works on this one. Rows are taken from the query's row events rather than
   * through a Readable stream, whose per-row push and async iteration cost more than the row.
   * A caller that stops early leaves rows on the wire; the connection is then destroyed, which
   * ends the query on the server, rather than drained to the end of a possibly huge chunk.
   */
  private async *stream(query: SqlWithValues, batchRows: number, label: string, signal?: AbortSignal): AsyncGenerator<unknown[][]> {
    const connection = await this.connection();
    const command = connection.query({ sql: query.sql, values: query.values, rowsAsArray: true });
    // The run ended: KILL QUERY from a second connection stops the statement on the server (the
    // read then fails with ER_QUERY_INTERRUPTED); destroying our own socket alone would leave a
    // statement that sends no rows running to its end.
    const cancel = () => {
      killQuery(this.options, connection.threadId).catch(() => undefined);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    if (signal?.aborted) cancel();
    let batch: unknown[][] = [];
    const full: unknown[][][] = [];
    let ended = false;
    let failure: unknown;
    let abandoned = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      const waiting = wake;
      wake = undefined;
      waiting?.();
    };
    command.on('result', (row: unknown) => {
      if (abandoned) return;
      batch.push(row as unknown[]);
      if (batch.length >= batchRows) {
        full.push(batch);
        batch = [];
        connection.pause();
        notify();
      }
    });
    command.on('end', () => {
      ended = true;
      notify();
    });
    command.on('error', (err: unknown) => {
      failure ??= err;
      notify();
    });
    let complete = false;
    this.streaming++;
    try {
      for (;;) {
        const rows = full.shift();
        if (rows) {
          if (!ended && failure === undefined) connection.resume();
          yield rows;
          continue;
        }
        if (failure !== undefined) throw queryError(failure, label);
        if (ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (batch.length > 0) yield batch;
      complete = true;
    } finally {
      signal?.removeEventListener('abort', cancel);
      this.streaming--;
      if (!complete) {
        // Closing only half-closes the socket: a paused one would never read again and the
        // server would stay blocked writing; so reading resumes, dropping the rows, until it ends.
        abandoned = true;
        connection.resume();
        this.discard(connection);
      }
    }
  }
}

function connectionOptions(connectionString: string): ConnectionOptions {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // The string holds the password: never repeat it.
    throw new NonRetryableError('The MySQL/MariaDB connection string is not a URL like mysql://user:password@host:3306/database');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') throw new NonRetryableError(`The MySQL/MariaDB connection string must start with mysql://, not ${url.protocol}//`);
  url.protocol = 'mysql:';
  for (const name of fixedUrlOptions) url.searchParams.delete(name);
  return { ...exactOptions, uri: url.toString() };
}

/**
 * `KILL QUERY <thread>` from a connection of its own: it ends the statement the thread is running
 * and leaves the session. A user may kill its own threads without any privilege, so Siphon's
 * read-only login suffices. The thread id is the server's number, never text from a spec.
 */
async function killQuery(options: ConnectionOptions, threadId: number): Promise<void> {
  if (!Number.isSafeInteger(threadId)) return;
  const killer = mysql.createConnection(options);
  killer.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => killer.connect((err) => (err ? reject(err) : resolve())));
    await run(killer, `KILL QUERY ${threadId}`);
  } finally {
    killer.destroy();
  }
}

type Session = { connection: Connection; flavor: Flavor; database: string | null };

/**
 * A connection with every session setting in place: text forms, read-only transactions, and the
 * statement and lock timeouts, whose names differ between MySQL and MariaDB.
 */
async function openSession(options: ConnectionOptions, limits: SessionLimits): Promise<Session> {
  const connection = mysql.createConnection(options);
  // An idle connection the server drops emits 'error'; without a listener that kills the process.
  connection.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
    for (const statement of sessionSettings) await run(connection, statement);
    const [row] = (await run(connection, serverQuery)).rows;
    const flavor: Flavor = /mariadb/i.test(String(row?.[0] ?? '')) ? 'mariadb' : 'mysql';
    for (const statement of sessionLimitSettings(flavor, limits)) await run(connection, statement);
    return { connection, flavor, database: row?.[1] == null ? null : String(row[1]) };
  } catch (err) {
    connection.destroy();
    const message = `Cannot open a MySQL/MariaDB session: ${errorMessage(err)}`;
    throw permanentErrnos.has(errnoOf(err)) ? new NonRetryableError(message) : new Error(message);
  }
}

function run(connection: Connection, sql: string, values: unknown[] = []): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    connection.query({ sql, values, rowsAsArray: true }, (err, rows, fields) => {
      if (err) reject(err);
      else resolve({ rows: Array.isArray(rows) ? (rows as unknown[][]) : [], fields: fields ?? [] });
    });
  });
}

function errnoOf(err: unknown): number {
  return typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number' ? err.errno : 0;
}

/** The server's message with where it happened; mistakes in the spec are not retried. */
function queryError(err: unknown, label: string): Error {
  if (err instanceof NonRetryableError) return err;
  const message = `${label}: ${errorMessage(err)}`;
  const wrapped = permanentErrnos.has(errnoOf(err)) ? new NonRetryableError(message) : new Error(message);
  if (err instanceof Error && err.stack) wrapped.stack = `${wrapped.name}: ${message}\n${err.stack.split('\n').slice(1).join('\n')}`;
  return wrapped;
}

function textOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8') : String(value);
}
