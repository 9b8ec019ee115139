import pg from 'pg';
import Cursor from 'pg-cursor';
import { to as copyTo } from 'pg-copy-streams';
import { NonRetryableError } from '../../errors/errorTypes.js';
import type { KeyBounds, KeyPrefix, TableCatalog, TableList, TableRef, KeyDistribution, KeyKind, KeyPoint, ReadChunkRequest, ReadTarget, SourceConnector, TableDescription, DescribeOptions, RunRowsRequest, NonNullCounts, DuplicateKeys, ChecksumSource, ChunkChecksumRequest } from '../sourceConnector.js';
import { chunkChecksumQuery } from './postgresChecksumQuery.js';
import { sourceSumDigits, type ChunkChecksum } from '../../quality/chunkChecksum.js';
import type { Column } from '../../spec/columns.js';
import { duplicateKeyCountQuery, duplicateKeysQuery, nonNullCountsQuery } from './postgresQualityQueries.js';
import { mapColumnTypes } from '../mapColumnTypes.js';
import { readTargetLabel } from '../readTarget.js';
import {
  chunkQuery, columnStatisticsQuery, copyStatement, countQuery, describeColumnsQuery, fromClause, keyBoundsQuery, keyLiteral, keySampleQuery,
  keyValueText, listTablesQuery, primaryKeyQuery, tableIndexesQuery, tableSizeQuery, quoteIdentifier, rowEstimateQuery, seedRandomQuery, sessionSettings, typeInfoQuery,
  type SqlWithParams, type ValuePlacement,
} from './postgresDialect.js';
import { defaultSessionLimits, type SessionLimits } from '../sessionLimits.js';
import { sendCancelRequest } from './postgresCancelRequest.js';
import { keyKindOf, outputTypeOf, parseDateDays, parseTimeMicros, parseTimestampMicros, selectExpression, typeOids, type PgType } from './postgresTypes.js';
import { BinaryCopyDecoder, type FieldDecoder } from './binaryCopyDecoder.js';
import { builtinSendFunction, fieldDecoderOf, nonFiniteDecimal, sendFunctionQuery } from './binaryFieldDecoders.js';

const identity = (text: string) => text;

/** pg's query config with the protocol choice its types do not list yet (pg >= 8.14). */
type ExtendedQueryConfig = pg.QueryConfig & { queryMode: 'extended'; rowMode?: 'array' };

/**
 * A value a parser refused (`infinity`, a year past 9999). pg runs parsers inside its socket
 * handler, where a throw kills the connection and leaves the read hanging; so the refusal travels
 * in the row and readChunk throws it, naming the column.
 */
class RefusedValue {
  constructor(readonly error: unknown) {}
}

function refusing<T>(parse: (text: string) => T): (text: string) => T | RefusedValue {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      return new RefusedValue(err);
    }
  };
}

/** Output types whose parsers can refuse a value. */
const refusableKinds = new Set(['date', 'time', 'timestamp', 'decimal']);

/** numeric's text as it is, but NaN and ±Infinity, which no decimal holds, refused (as the binary path does). */
function finiteDecimal(text: string): string {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') throw new NonRetryableError(nonFiniteDecimal(text));
  return text;
}

/** Text parsers that keep every value exact: bigints as bigint, times in microseconds, JSON as text. */
const exactTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    switch (oid) {
      case typeOids.int8: return (text: string) => BigInt(text);
      case typeOids.numeric: return refusing(finiteDecimal);
      case typeOids.json: case typeOids.jsonb: return identity;
      case typeOids.date: return refusing(parseDateDays);
      case typeOids.time: return refusing(parseTimeMicros);
      case typeOids.timestamp: case typeOids.timestamptz: return refusing(parseTimestampMicros);
      default: return pg.types.getTypeParser(oid, format as 'text');
    }
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Statistics gathered before this share of the table changed are too stale to cut chunks by. */
const staleStatisticsShare = 0.1;

/** 2,000 pages of 8 KiB: a 16 MiB read, small next to any table worth chunking. */
const minSampledPages = 2_000;

type RawColumn = { name: string; typeOid: number; typmod: number; nullable: boolean };

/**
 * How a connector reads chunks. `copy` (the default): `COPY (SELECT ...) TO STDOUT (FORMAT
 * binary)`, decoded here, when every column has a binary decoder, else a cursor; `cursor`: always
 * a cursor of text rows. `cursor` is for sources that speak PostgreSQL's protocol but refuse
 * binary COPY: CockroachDB ("binary format for COPY TO not implemented", cockroach#103542),
 * Amazon Redshift (no COPY TO; it exports with UNLOAD), and proxies or SQL firewalls in front of
 * PostgreSQL that pass only plain queries.
 */
export type PostgresReadMode = 'copy' | 'cursor';

/** A chunk's COPY statement and a decoder per column, in select-list order. */
type CopyPlan = { statement: string; decoders: FieldDecoder[] };

export class PostgresConnector implements SourceConnector, ChecksumSource {
  readonly checksumDialect = 'postgres' as const;
  /**
   * Only in `copy` mode: the sources `cursor` mode is for (CockroachDB, Redshift, proxies) lack
   * pg_export_snapshot and hashtextextended, so reconciliation leaves them alone.
   */
  get canReconcile(): boolean {
    return this.readMode === 'copy';
  }

  /** Set once the connection is lost. */
  private lostError: Error | undefined;
  /** Reads waiting on the server, failed at once if the connection is lost. */
  private readonly waiting = new Set<(err: Error) => void>();

  private constructor(private readonly client: pg.Client, private readonly readMode: PostgresReadMode) {
    // A session the server ends (a restart, pg_terminate_backend) or a dropped network makes the
    // client emit 'error': without a listener that is an uncaught exception that kills the host,
    // and a cursor read in flight never settles. Here it fails the read instead, as an error a
    // retry of the chunk can fix.
    client.on('error', (err: Error) => {
      this.lostError ??= new Error(`The connection to PostgreSQL was lost: ${err.message}`);
      for (const fail of this.waiting) fail(this.lostError);
      this.waiting.clear();
    });
  }

  /**
   * `work`, failed early if the connection is lost meanwhile. Not Promise.race with a promise of
   * the loss: every race would stay attached to that never-settling promise and keep its result
   * (a whole batch of rows) alive for as long as the connector lives.
   */
  private unlessLost<T>(work: Promise<T>): Promise<T> {
    if (this.lostError) return Promise.reject(this.lostError);
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      work.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }

  static async connect(connectionString: string, limits: SessionLimits = defaultSessionLimits, readMode: PostgresReadMode = 'copy'): Promise<PostgresConnector> {
    const client = new pg.Client({ connectionString, application_name: 'siphon' });
    const connector = new PostgresConnector(client, readMode);
    await client.connect();
    // Set after connecting rather than as startup options, which the connection string's own
    // `options` would replace. Generated text, no user input: the one statement sent simply.
    await client.query(sessionSettings(limits));
    return connector;
  }

  /**
   * Every statement goes over the extended protocol (Parse, Bind, Execute), even one without
   * parameters: Parse takes exactly one statement, so a query that smuggles in a second one is
   * refused by the server itself. pg sends a query without values as a simple Query message,
   * which runs any number of statements, unless queryMode says otherwise.
   */
  private run<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], rowMode?: 'array'): Promise<pg.QueryResult<R>> {
    const config: ExtendedQueryConfig = { text, values, queryMode: 'extended', ...(rowMode ? { rowMode } : {}) };
    return this.client.query<R>(config);
  }

  async describe(target: ReadTarget, wanted?: string[], options?: DescribeOptions): Promise<TableDescription> {
    const label = readTargetLabel(target);
    const raw = await this.rawColumns(target);
    // Type details of the columns read only (an unsupported type in a column left out is no obstacle).
    const chosen = wanted ? raw.filter((column) => wanted.includes(column.name)) : raw;
    const types = await this.run<{ formatted: string; type_name: string; typmod: number; typtype: string; category: string }>(
      typeInfoQuery, [chosen.map((column) => column.typeOid), chosen.map((column) => column.typmod)]);
    const infoOf = new Map(chosen.map((column, index) => [column.name, types.rows[index]!]));
    const { columns, refusals } = mapColumnTypes(label, raw, (column) => column.name, wanted, (column) => {
      const info = infoOf.get(column.name)!;
      const type: PgType = { typeName: info.type_name, typmod: info.typmod, typtype: info.typtype, category: info.category, formatted: info.formatted };
      return { name: column.name, sourceType: info.formatted, nullable: column.nullable, type: outputTypeOf(type, `${label}, column "${column.name}" (${info.formatted})`) };
    }, options);
    const primaryKey = target.kind === 'table'
      ? (await this.run<{ name: string }>(primaryKeyQuery, [target.table.schema ?? null, target.table.name])).rows.map((row) => row.name)
      : [];
    return { columns, primaryKey, refusals };
  }

  async listTables(): Promise<TableList> {
    const rows = (await this.run<{ schema: string; name: string }>(listTablesQuery, [])).rows;
    const current = (await this.run<{ schema: string | null }>('SELECT current_schema() AS schema', [])).rows[0]?.schema;
    return { defaultSchema: current ?? 'public', tables: rows.map((row) => ({ schema: row.schema, name: row.name })) };
  }

  async tableCatalog(table: TableRef): Promise<TableCatalog> {
    const params = [table.schema ?? null, table.name];
    const indexes = await this.run<{ name: string; primary_key: boolean; is_unique: boolean; clustered: boolean; columns: string[] }>(tableIndexesQuery, params);
    const size = (await this.run<{ rows: number; pages: number; bytes: number }>(tableSizeQuery, params)).rows[0];
    if (!size) throw new NonRetryableError(`${readTargetLabel({ kind: 'table', table })} was not found in the source`);
    // Never analyzed: reltuples is -1, and 0 here says the rows are not known (bytes still are).
    return {
      indexes: indexes.rows.map((row) => ({ name: row.name, primaryKey: row.primary_key, clustered: row.clustered, unique: row.is_unique, columns: row.columns })),
      rows: Math.max(0, size.rows),
      bytes: size.bytes,
      pages: size.pages,
    };
  }

  async keyBounds(target: ReadTarget, keyColumn: string, within?: KeyPrefix): Promise<KeyBounds> {
    const label = readTargetLabel(target);
    const key = (await this.rawColumns(target)).find((column) => column.name === keyColumn);
    if (!key) throw new NonRetryableError(`${label} has no chunk key column "${keyColumn}"`);
    const typeName = (await this.run<{ type_name: string }>(typeInfoQuery, [[key.typeOid], [key.typmod]])).rows[0]!.type_name;
    const kind = keyKindOf(typeName, `${label}, chunk key "${keyColumn}"`);
    const bounds = await this.run<{ min: string | null; max: string | null }>(keyBoundsQuery(target, keyColumn, within?.column), within ? [keyValueText(within.kind, within.equals)] : []);
    const min = bounds.rows[0]?.min;
    const max = bounds.rows[0]?.max;
    return {
      kind,
      min: min == null ? undefined : keyDigits(kind, min),
      max: max == null ? undefined : keyDigits(kind, max),
      nullable: key.nullable,
      rowsEstimate: await this.rowsEstimate(target),
    };
  }

  async keyDistribution(target: ReadTarget, keyColumn: string, kind: KeyKind, samplePoints: number): Promise<KeyDistribution> {
    if (target.kind === 'table') {
      const fromStatistics = await this.statisticsDistribution(target.table.schema, target.table.name, keyColumn, kind);
      if (fromStatistics) return fromStatistics;
    }
    const size = target.kind === 'table' ? await this.tableSize(target) : { rows: 0, pages: 0 };
    const total = size.rows > 0 ? size.rows : Number((await this.run<{ count: number }>(countQuery(target))).rows[0]!.count);
    // Pages are sampled whole, and rows written together often have neighbouring keys, so the
    // sample is only as varied as its number of pages: take at least minSampledPages of them.
    const share = Math.max(total > 0 ? samplePoints / total : 1, size.pages > 0 ? minSampledPages / size.pages : 0);
    if (target.kind === 'query') await this.run(seedRandomQuery);
    const sample = await this.run<{ key: string }>(keySampleQuery(target, keyColumn, share * 100));
    return { method: 'sample', points: sample.rows.map((row) => ({ key: keyDigits(kind, row.key), weight: 1 })) };
  }

  async *readChunk(request: ReadChunkRequest): AsyncIterable<unknown[][]> {
    if (request.changeRead) throw new NonRetryableError(`${request.changeRead.mode} reads SQL Server's change tables; this source is not SQL Server`);
    // The run ended: cancel the statement on the server, which fails the read in flight (57014).
    const cancel = () => {
      this.cancelStatement().catch(() => undefined);
    };
    request.signal?.addEventListener('abort', cancel, { once: true });
    if (request.signal?.aborted) cancel();
    try {
      // Reconciliation: the read runs in a repeatable-read transaction, whose snapshot either a
      // second session imports to compute the chunk's checksum meanwhile (onSnapshot), or the
      // checksum runs in after the last row, before the transaction ends (inReadSnapshot).
      const inTransaction = request.onSnapshot !== undefined || request.inReadSnapshot !== undefined;
      let imported: Promise<void> | undefined;
      if (inTransaction) await this.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (request.onSnapshot) {
        const exported = await this.run<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
        imported = request.onSnapshot(exported.rows[0]!.snapshot);
        imported.catch(() => undefined);
      }
      const plan = this.readMode === 'copy' ? await this.copyPlan(request) : undefined;
      if (plan) yield* this.readByCopy(request, plan);
      else yield* this.readByCursor(request);
      await imported?.catch(() => undefined);
      await request.inReadSnapshot?.();
      if (inTransaction) await this.run('COMMIT');
    } finally {
      request.signal?.removeEventListener('abort', cancel);
    }
  }

  /**
   * The chunk as a binary COPY, or undefined when a column's type has no binary decoder (inet,
   * cidr, macaddr, bit, xml, ...: their text is the cursor's to give). COPY binds no parameters,
   * so key values are literals generated from the plan's digits (keyLiteral).
   *
   * The statement is first described with LIMIT 0 over the extended protocol: the server names
   * each column's type (a domain as its base type) without running the query, and its Parse
   * refuses a text of two statements. That matters because the COPY itself goes as a simple
   * Query, which runs every statement it holds: the COPY text is this text with `COPY (` before
   * and `) TO STDOUT ...` after, the same tokens, so it too is one statement.
   */
  private async copyPlan(request: ReadChunkRequest): Promise<CopyPlan | undefined> {
    const { text } = chunkSelect(request, keyLiteral, 'inline');
    const described = await this.run(`${text} LIMIT 0`, [], 'array');
    const oids = described.fields.map((field) => field.dataTypeID);
    const sends = oids.map(builtinSendFunction);
    const unknown = oids.filter((_, index) => sends[index] === undefined);
    if (unknown.length > 0) {
      const found = new Map((await this.run<{ oid: number; send: string }>(sendFunctionQuery, [unknown])).rows.map((row) => [row.oid, row.send]));
      oids.forEach((oid, index) => {
        if (sends[index] === undefined) sends[index] = found.get(oid) ?? null;
      });
    }
    const decoders: FieldDecoder[] = [];
    for (const [index, send] of sends.entries()) {
      const decoder = send ? fieldDecoderOf(send, request.columns[index]!.name) : undefined;
      if (!decoder) return undefined;
      decoders.push(decoder);
    }
    return { statement: copyStatement(text), decoders };
  }

  /**
   * The COPY's data as it arrives, decoded into batches of about batchRows. The stream reads
   * from the socket only as fast as the batches are taken (pg-copy-streams pauses the socket
   * while its buffer is full), so the server waits in its send while Siphon encodes and uploads.
   */
  private async *readByCopy(request: ReadChunkRequest, plan: CopyPlan): AsyncIterable<unknown[][]> {
    request.signal?.throwIfAborted();
    const stream = this.client.query(copyTo(plan.statement));
    // A failure reaches the read through the iterator below; this listener keeps one that comes
    // after the read stopped (the session ended under a COPY left running) from being uncaught.
    stream.on('error', () => undefined);
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const decoder = new BinaryCopyDecoder(plan.decoders);
    /** The COPY is over (finished, failed or the connection lost): the session is between statements again. */
    let over = false;
    let rows: unknown[][] = [];
    try {
      for (;;) {
        const next = await this.unlessLost(chunks.next()).catch((err: unknown) => {
          over = true;
          throw err;
        });
        if (next.done) {
          over = true;
          decoder.end();
          break;
        }
        decoder.push(next.value, rows);
        if (rows.length >= request.batchRows) {
          const batch = rows;
          rows = [];
          yield batch;
        }
      }
      if (rows.length > 0) yield rows;
    } finally {
      // The consumer stopped early, or a value was refused, while the server still sends: a COPY
      // cannot be stopped within the session (only a CancelRequest from another connection could,
      // racing with whatever the session runs next), so the session ends instead. Connectors live
      // for one chunk; pg ends a session with a statement running by closing its socket, and the
      // server gives up its COPY at its next send.
      if (!over) await this.client.end();
    }
  }

  private async *readByCursor(request: ReadChunkRequest): AsyncIterable<unknown[][]> {
    const query = chunkSelect(request, keyValueText, 'bound');
    // A portal read batch by batch: the server sends the next rows only when asked, which is the
    // driver's backpressure, so a chunk of any size holds one batch in memory.
    const cursor = this.client.query(new Cursor(query.text, query.values, { rowMode: 'array', types: exactTypes }));
    const checked = request.columns.flatMap((column, index) => (refusableKinds.has(column.type.kind) ? [index] : []));
    let readFailed = false;
    try {
      for (;;) {
        const rows = (await this.unlessLost(cursor.read(request.batchRows)).catch((err: unknown) => {
          readFailed = true;
          throw err;
        })) as unknown[][];
        if (rows.length === 0) return;
        for (const index of checked) {
          for (const row of rows) {
            const value = row[index];
            if (value instanceof RefusedValue) throw new NonRetryableError(`Column "${request.columns[index]!.name}": ${value.error instanceof Error ? value.error.message : String(value.error)}`);
          }
        }
        yield rows;
      }
    } finally {
      // After a failed read the server has dropped the portal (or the session), and closing it
      // would wait for an answer that never comes; otherwise (the consumer stopped early) close it.
      if (!readFailed) await this.unlessLost(cursor.close());
    }
  }

  async countNonNull(request: RunRowsRequest & { columns: Column[] }): Promise<NonNullCounts> {
    const query = nonNullCountsQuery(request, request.columns);
    const [row] = (await this.unlessLost(this.run(query.text, query.values, 'array'))).rows as unknown as number[][];
    return { rows: Number(row![0]), nonNull: request.columns.map((_, index) => Number(row![index + 1])) };
  }

  async duplicateKeys(request: RunRowsRequest & { keys: Column[]; limit: number }): Promise<DuplicateKeys> {
    const query = duplicateKeysQuery(request, request.keys, request.limit);
    const found = await this.unlessLost(this.run(query.text, query.values, 'array'));
    const examples = (found.rows as unknown as unknown[][]).map((row) => ({ key: row.slice(0, -1).map((value) => (value === null ? null : String(value))), rows: Number(row[row.length - 1]) }));
    // Fewer than asked for: these are all of them, and counting again would read the rows twice.
    if (examples.length < request.limit) return { keys: examples.length, examples };
    const counted = duplicateKeyCountQuery(request, request.keys);
    const [row] = (await this.unlessLost(this.run(counted.text, counted.values, 'array'))).rows as unknown as number[][];
    return { keys: Number(row![0]), examples };
  }

  /**
   * The chunk's checksum in one aggregate, in the snapshot the read exported when there is one
   * (an id of hex digits and dashes, checked before it is written into the statement, which
   * takes no parameter). Parallel workers are turned off so its CPU stays in this one backend.
   */
  async chunkChecksum(request: ChunkChecksumRequest): Promise<ChunkChecksum> {
    const query = chunkChecksumQuery(request);
    const inSnapshot = request.snapshot !== undefined;
    if (inSnapshot && !/^[0-9A-Fa-f-]+$/.test(request.snapshot!)) throw new Error(`Not a snapshot id: ${JSON.stringify(request.snapshot)}`);
    const own = !request.inReadTransaction;
    if (own) await this.run(inSnapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN READ ONLY');
    try {
      if (inSnapshot) await this.run(`SET TRANSACTION SNAPSHOT '${request.snapshot}'`);
      request.onImported?.();
      await this.run('SET LOCAL max_parallel_workers_per_gather = 0');
      const [row] = (await this.unlessLost(this.run(query.text, query.values, 'array'))).rows as unknown as Array<Array<string | null>>;
      const rows = Number(row![0]);
      return {
        rows,
        // A NOT NULL column's count is not asked for: every row has a value.
        columns: request.terms.map((term, index) => ({ nonNull: row![1 + 2 * index] == null ? rows : Number(row![1 + 2 * index]), sum: sourceSumDigits(term, row![2 + 2 * index] ?? null) })),
      };
    } finally {
      // In the read's transaction, the read commits it.
      if (own) await this.run('COMMIT').catch(() => undefined);
    }
  }

  /** Cancels what the session is running now, with the protocol's CancelRequest (see postgresCancelRequest). */
  private async cancelStatement(): Promise<void> {
    // Set by the server's BackendKeyData at startup; pg keeps them on the client, untyped.
    const key = this.client as unknown as { processID: number | null; secretKey: number | null };
    if (key.processID === null || key.secretKey === null) return;
    await sendCancelRequest({ host: this.client.host, port: this.client.port, processId: key.processID, secretKey: key.secretKey });
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async rawColumns(target: ReadTarget): Promise<RawColumn[]> {
    if (target.kind === 'table') {
      const result = await this.run<{ name: string; type_oid: number; typmod: number; nullable: boolean }>(describeColumnsQuery, [target.table.schema ?? null, target.table.name]);
      if (result.rows.length === 0) throw new NonRetryableError(`${readTargetLabel(target)} was not found in the source (or has no columns)`);
      return result.rows.map((row) => ({ name: row.name, typeOid: row.type_oid, typmod: row.typmod, nullable: row.nullable }));
    }
    // The server describes a query's result without running it to completion.
    const result = await this.run(`SELECT * FROM ${fromClause(target)} LIMIT 0`, [], 'array');
    return result.fields.map((field) => ({ name: field.name, typeOid: field.dataTypeID, typmod: field.dataTypeModifier, nullable: true }));
  }

  private async rowsEstimate(target: ReadTarget): Promise<number> {
    return target.kind === 'table' ? (await this.tableSize(target)).rows : 0;
  }

  private async tableSize(target: Extract<ReadTarget, { kind: 'table' }>): Promise<{ rows: number; pages: number }> {
    const size = (await this.run<{ estimate: number; pages: number }>(rowEstimateQuery, [target.table.schema ?? null, target.table.name])).rows[0];
    return { rows: Math.max(0, size?.estimate ?? 0), pages: size?.pages ?? 0 };
  }

  /**
   * The histogram's buckets each hold an equal share of the rows that are not among the most
   * common values; those carry their own frequencies. Statistics missing, or gathered before a
   * tenth of the table changed, give way to a sample.
   */
  private async statisticsDistribution(schema: string | undefined, table: string, keyColumn: string, kind: KeyKind): Promise<KeyDistribution | undefined> {
    const stats = (await this.run<{ null_frac: number; histogram: string[] | null; common_values: string[] | null; common_freqs: number[] | null; modified: number; analyzed_rows: number }>(
      columnStatisticsQuery, [schema ?? null, table, keyColumn])).rows[0];
    if (!stats || !stats.histogram || stats.histogram.length < 2) return undefined;
    if (stats.analyzed_rows <= 0 || stats.modified > stats.analyzed_rows * staleStatisticsShare) return undefined;
    const commonShare = (stats.common_freqs ?? []).reduce((sum, freq) => sum + freq, 0);
    const bucketShare = Math.max(0, 1 - stats.null_frac - commonShare) / (stats.histogram.length - 1);
    const points: KeyPoint[] = stats.histogram.map((value, index) => ({ key: keyDigits(kind, value), weight: index === 0 ? 0 : bucketShare }));
    (stats.common_values ?? []).forEach((value, index) => points.push({ key: keyDigits(kind, value), weight: stats.common_freqs![index]! }));
    return { method: 'statistics', points };
  }
}

/** A chunk's SELECT, its key range and window values made by `value`: parameter texts to bind, or literals. */
function chunkSelect(request: ReadChunkRequest, value: (kind: KeyKind, digits: string) => string, placement: ValuePlacement): SqlWithParams {
  const { key, window } = request;
  const selectList = request.columns.map((column) => selectExpression(column, quoteIdentifier(column.name)));
  const windowValues = window && { column: window.column, after: window.after === undefined ? undefined : value(window.kind, window.after), upTo: value(window.kind, window.upTo) };
  return chunkQuery(request.target, selectList, key, request.orderBy, request.range, value, windowValues, placement);
}

function keyDigits(kind: KeyKind, text: string): string {
  switch (kind) {
    case 'integer': return text;
    case 'date': return String(parseDateDays(text));
    case 'timestamp': case 'timestamptz': return String(parseTimestampMicros(text));
    case 'rowversion': throw new NonRetryableError('rowversion keys exist only in SQL Server');
  }
}
