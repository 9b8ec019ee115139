/**
 * A TEST DOUBLE of SQL Server, for Siphon's tests only: it is not SQL Server and not a product.
 *
 * It speaks enough TDS 7.4 (MS-TDS) that the real `mssql`/`tedious` driver cannot tell it from
 * SQL Server for the statements Siphon's SQL Server connector sends: PRELOGIN (no TLS: clients
 * must connect with encrypt false), LOGIN7 with SQL authentication (a wrong password gets login
 * error 18456), LOGINACK, ENVCHANGE, FEATUREEXTACK, SQL batches, RPC sp_executesql with typed
 * parameters, multi-packet messages both ways, ATTENTION with its acknowledgement, ERROR and
 * INFO, DONE / DONEINPROC / DONEPROC with row counts. Results are computed by PostgreSQL: each
 * statement is translated from the connector's T-SQL subset (translate.ts) and its rows are read
 * with a cursor and written as TDS packets only as fast as the client reads them, so a result of
 * any size streams in constant memory. Statements outside the subset get a SQL Server error
 * naming them. SQL Server types live in PostgreSQL as described in catalog.ts and sqlTypes.ts.
 *
 * Test hooks: dropConnectionAfterRows (the connection dies in the middle of a result),
 * holdRowversion (a transaction holding a rowversion stays open, as MIN_ACTIVE_ROWVERSION()
 * sees it), the `attention` and `statement` events, and counters in `stats`.
 *
 * rowversion columns are stamped from a database-wide counter by a trigger (catalog.ts), so
 * inserts and updates made straight in PostgreSQL get their rowversion as in SQL Server; but
 * PostgreSQL's transactions are not SQL Server's, so an open transaction is simulated with
 * holdRowversion rather than observed.
 */
import { EventEmitter } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { ensureCatalog } from './catalog.js';
import { Encryption, parseLogin7, parsePrelogin, preloginResponse } from './login.js';
import { MessageAssembler, MessageWriter, PacketType, type Message } from './packets.js';
import { ByteSink, parseSqlType, readParam, type ParamValue } from './sqlTypes.js';
import {
  collationChange, Command, colMetadataToken, doneToken, DoneStatus, envChangeBytes, envChangeText, featureExtAckToken, loginAckToken,
  messageToken, returnStatusToken, writePlainRow, writeRow, type ServerMessage,
} from './tokens.js';
import { translateBatch, type CatalogReader, type TableInfo, type Translation } from './translate.js';
import { SqlServerError } from './tsqlParser.js';

export type TdsTestServerOptions = {
  /** The PostgreSQL server behind it; the login's database names the PostgreSQL database. */
  postgresUrl: string;
  /** SQL logins: user name -> password. */
  logins: Record<string, string>;
  /** The database of a login that names none. */
  defaultDatabase?: string;
  host?: string;
  port?: number;
  serverName?: string;
  /** Rows read from the PostgreSQL cursor at a time (fewer when rows are wide). */
  cursorRows?: number;
  /** How rows with NULLs are sent: NBCROW (as SQL Server usually does) or plain ROW. */
  nullRows?: 'nbcrow' | 'row';
};

export type TdsServerStats = { connections: number; logins: number; failedLogins: number; statements: number; attentions: number; openCursors: number; rowsSent: number };

/** Every value as the text PostgreSQL prints, which is the canonical form the encoders take. */
const rawText = { getTypeParser: () => (value: string) => value };

const tds74 = 0x74000004;
const knownTdsVersions = [0x71000001, 0x72090002, 0x730a0003, 0x730b0003, tds74];
const spExecuteSql = 10;

export class TdsTestServer extends EventEmitter {
  readonly stats: TdsServerStats = { connections: 0, logins: 0, failedLogins: 0, statements: 0, attentions: 0, openCursors: 0, rowsSent: 0 };
  private readonly connections = new Set<TdsConnection>();
  private readonly catalogs = new Map<string, Promise<void>>();
  private dropHook: { rows: number; match?: RegExp | undefined } | undefined;
  private statementHook: { match: RegExp; action: () => Promise<void> } | undefined;
  private held: bigint | undefined;
  private nextSpid = 51;

  private constructor(private readonly server: net.Server, readonly options: Required<Pick<TdsTestServerOptions, 'serverName' | 'cursorRows' | 'nullRows'>> & TdsTestServerOptions) {
    super();
  }

  /** Listens on a free loopback port. */
  static async start(options: TdsTestServerOptions): Promise<TdsTestServer> {
    const server = net.createServer();
    const instance = new TdsTestServer(server, { serverName: 'SIPHON-TDS-TEST', cursorRows: 2000, nullRows: 'nbcrow', ...options });
    server.on('connection', (socket) => instance.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return instance;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  /** An ADO.NET connection string for this server, as Siphon's app settings hold one. */
  connectionString(login: { database: string; user: string; password: string }): string {
    return `Server=${this.host},${this.port};Database=${login.database};User Id=${login.user};Password=${login.password};Encrypt=false`;
  }

  /**
   * The next result whose T-SQL matches `match` (any, without one) loses its connection after
   * `rows` rows, as when a server or network dies mid-result. One-shot.
   */
  dropConnectionAfterRows(rows: number, match?: RegExp): void {
    this.dropHook = { rows, match };
  }

  /**
   * Before the next statement whose T-SQL matches `match` runs, `action` runs and is awaited (a
   * write committed by another session, say, at an exact point of a read). One-shot.
   */
  beforeStatement(match: RegExp, action: () => Promise<void>): void {
    this.statementHook = { match, action };
  }

  /** @internal */
  takeStatementHook(text: string): (() => Promise<void>) | undefined {
    const hook = this.statementHook;
    if (!hook || !hook.match.test(text)) return undefined;
    this.statementHook = undefined;
    return hook.action;
  }

  /**
   * Until released (undefined), MIN_ACTIVE_ROWVERSION() returns no more than `value`, as when a
   * transaction that took rowversion `value` is still open: rows stamped at or above it may have
   * committed, but a reader cannot yet rely on having seen everything up to them.
   */
  holdRowversion(value: bigint | undefined): void {
    this.held = value;
  }

  /** @internal */
  get heldRowversion(): bigint | undefined {
    return this.held;
  }

  /** @internal */
  takeDropHook(text: string): number | undefined {
    const hook = this.dropHook;
    if (!hook || (hook.match && !hook.match.test(text))) return undefined;
    this.dropHook = undefined;
    return hook.rows;
  }

  /** @internal */
  catalogReady(database: string, client: pg.Client): Promise<void> {
    let ready = this.catalogs.get(database);
    if (!ready) {
      ready = ensureCatalog(async (text, values) => (await client.query(text, values)).rows);
      ready.catch(() => this.catalogs.delete(database));
      this.catalogs.set(database, ready);
    }
    return ready;
  }

  /** The client connections open now (a session each, as SQL Server counts them in sys.dm_exec_sessions). */
  get openConnections(): number {
    return this.connections.size;
  }

  /** @internal */
  allocateSpid(): number {
    return this.nextSpid++;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    this.stats.connections++;
    const connection = new TdsConnection(this, socket);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }
}

type ActiveRequest = { attention: boolean };

class TdsConnection {
  private readonly assembler = new MessageAssembler();
  private readonly queue: Message[] = [];
  private running = false;
  private packetSize = 4096;
  private readonly spid: number;
  private state: 'prelogin' | 'login' | 'ready' | 'closed' = 'prelogin';
  private clientWantsEncryption = false;
  private pg: pg.Client | undefined;
  private database = '';
  private current: ActiveRequest | undefined;
  private readonly sink = new ByteSink();
  /** SET TRANSACTION ISOLATION LEVEL's, for the next BEGIN TRANSACTION; and whether one is open. */
  private isolation = 'read committed';
  private inTransaction = false;

  constructor(private readonly server: TdsTestServer, private readonly socket: Socket) {
    this.spid = server.allocateSpid();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.state = 'closed';
      void this.pg?.end().catch(() => undefined);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let messages: Message[];
    try {
      messages = this.assembler.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const message of messages) {
      if (message.type === PacketType.attention) this.attention();
      else this.queue.push(message);
    }
    void this.run();
  }

  /**
   * ATTENTION: a running request stops at the next row, ends its response, and the
   * acknowledgement (DONE with DONE_ATTN) follows as a message of its own; with nothing running
   * the acknowledgement goes at once.
   */
  /** A PostgreSQL cancel on its way for a request the client cancelled (see attention). */
  private cancelling: Promise<void> | undefined;

  private attention(): void {
    this.server.stats.attentions++;
    this.server.emit('attention', { spid: this.spid, running: this.current !== undefined });
    if (this.current) {
      this.current.attention = true;
      // A statement still waiting on PostgreSQL (a lock, say) is cancelled there, as SQL Server
      // stops a running statement, so the acknowledgement does not wait for it to finish. The
      // next request waits for this cancel to land: sent late, it would cancel that one instead.
      this.cancelling = this.cancelPostgresStatement().finally(() => {
        this.cancelling = undefined;
      });
    } else this.sendAttentionAck();
  }

  private async cancelPostgresStatement(): Promise<void> {
    const pid = (this.pg as unknown as { processID?: number } | undefined)?.processID;
    if (pid === undefined) return;
    const canceller = new pg.Client({ connectionString: this.server.options.postgresUrl });
    try {
      await canceller.connect();
      await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement ends on its own; the acknowledgement follows it then.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  private sendAttentionAck(): void {
    const writer = this.writer();
    writer.write(doneToken('done', DoneStatus.attention, Command.none, 0));
    writer.end();
  }

  private writer(): MessageWriter {
    return new MessageWriter(this.socket, this.packetSize, this.spid);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length && this.state !== 'closed') {
        const message = this.queue.shift()!;
        try {
          await this.handle(message);
        } catch (err) {
          this.server.emit('serverError', err);
          this.socket.destroy();
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async handle(message: Message): Promise<void> {
    if (message.ignored) {
      // A request the client cancelled before finishing it: nothing runs, and the answer says so.
      const writer = this.writer();
      writer.write(doneToken('done', DoneStatus.attention, Command.none, 0));
      writer.end();
      return;
    }
    switch (message.type) {
      case PacketType.prelogin: return this.prelogin(message.payload);
      case PacketType.login7: return this.login(message.payload);
      case PacketType.sqlBatch: {
        this.requireLogin();
        const headers = message.payload.readUInt32LE(0);
        const text = message.payload.toString('utf16le', headers);
        return this.execute('batch', text, new Map(), message.resetConnection);
      }
      case PacketType.rpcRequest: {
        this.requireLogin();
        return this.rpc(message.payload, message.resetConnection);
      }
      default:
        throw new Error(`TDS message type 0x${message.type.toString(16)} is not supported by the test server`);
    }
  }

  private requireLogin(): void {
    if (this.state !== 'ready') throw new Error('request before login');
  }

  private prelogin(payload: Buffer): void {
    const request = parsePrelogin(payload);
    this.clientWantsEncryption = request.encryption === Encryption.on || request.encryption === Encryption.required;
    const writer = this.writer();
    writer.write(preloginResponse());
    writer.end();
    this.state = 'login';
  }

  private message(number: number, message: string, severity = 16, state = 1): ServerMessage {
    return { number, state, severity, message, serverName: this.server.options.serverName, procName: '', line: 1 };
  }

  private async login(payload: Buffer): Promise<void> {
    const login = parseLogin7(payload);
    const fail = (number: number, text: string, severity = 14) => {
      this.server.stats.failedLogins++;
      const writer = this.writer();
      writer.write(messageToken('error', this.message(number, text, severity)));
      writer.write(doneToken('done', DoneStatus.error, Command.none, 0));
      writer.end();
      // SQL Server closes the connection after a failed login; the client reads the error first.
      this.state = 'closed';
      setTimeout(() => this.socket.destroy(), 2_000).unref();
    };
    if (this.clientWantsEncryption) {
      return fail(18456, `Login failed for user '${login.userName}'. Reason: the Siphon TDS test server does not support encryption; connect with encrypt: false.`);
    }
    if (login.integratedSecurity || login.features.has(0x02)) {
      return fail(18456, `Login failed for user '${login.userName}'. Reason: the Siphon TDS test server supports SQL authentication only.`);
    }
    const expected = this.server.options.logins[login.userName];
    if (expected === undefined || expected !== login.password) return fail(18456, `Login failed for user '${login.userName}'.`);

    const database = login.database || this.server.options.defaultDatabase || 'postgres';
    const url = new URL(this.server.options.postgresUrl);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString(), types: rawText });
    try {
      await client.connect();
      await client.query(`SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET extra_float_digits = 1; SET bytea_output = 'hex'; SET IntervalStyle = 'postgres'`);
      await this.server.catalogReady(database, client);
    } catch (err) {
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === '3D000') return fail(4060, `Cannot open database "${database}" requested by the login. The login failed.`, 11);
      throw err;
    }
    client.on('error', () => undefined);
    this.pg = client;
    this.database = database;
    this.packetSize = login.packetSize >= 512 && login.packetSize <= 32767 ? login.packetSize : 4096;
    this.server.stats.logins++;

    const writer = new MessageWriter(this.socket, 4096, this.spid);
    writer.write(envChangeText(1, database, 'master'));
    writer.write(messageToken('info', this.message(5701, `Changed database context to '${database}'.`, 0, 2)));
    writer.write(collationChange());
    writer.write(envChangeText(2, 'us_english', ''));
    writer.write(messageToken('info', this.message(5703, 'Changed language setting to us_english.', 0, 1)));
    writer.write(loginAckToken(knownTdsVersions.includes(login.tdsVersion) ? login.tdsVersion : tds74));
    writer.write(envChangeText(4, String(this.packetSize), '4096'));
    if (login.features.has(0x0a)) writer.write(featureExtAckToken([[0x0a, Buffer.from([0x01])]]));
    writer.write(doneToken('done', DoneStatus.final, Command.none, 0));
    writer.end();
    this.state = 'ready';
  }

  /** RPC: ALL_HEADERS, the procedure (by name or id), option flags, then typed parameters. */
  private async rpc(payload: Buffer, resetConnection: boolean): Promise<void> {
    let offset = payload.readUInt32LE(0);
    const nameLength = payload.readUInt16LE(offset);
    offset += 2;
    let procedure: string | number;
    if (nameLength === 0xffff) {
      procedure = payload.readUInt16LE(offset);
      offset += 2;
    } else {
      procedure = payload.toString('utf16le', offset, offset + nameLength * 2);
      offset += nameLength * 2;
    }
    offset += 2; // option flags
    const params: Array<{ name: string; value: ParamValue }> = [];
    while (offset < payload.length) {
      if (payload[offset] === 0x80 || payload[offset] === 0xff) throw new Error('batched RPC requests are not supported by the test server');
      const length = payload[offset]!;
      const name = payload.toString('utf16le', offset + 1, offset + 1 + length * 2);
      offset += 1 + length * 2 + 1; // name, status flags
      const read = readParam(payload, offset);
      params.push({ name, value: read.param });
      offset = read.offset;
    }
    const isExecuteSql = procedure === spExecuteSql || (typeof procedure === 'string' && /^(sys\.)?sp_executesql$/i.test(procedure));
    if (!isExecuteSql) {
      const writer = this.writer();
      writer.write(messageToken('error', this.message(2812, `Could not find stored procedure '${String(procedure)}'.`, 16, 62)));
      writer.write(doneToken('doneProc', DoneStatus.error, Command.execute, 0));
      writer.end();
      return;
    }
    const [statement, ...rest] = params;
    const named = new Map<string, ParamValue>();
    // The declaration list (@params) is the second parameter when there are values after it.
    const values = rest.length && !rest[0]!.name.startsWith('@') ? rest.slice(1) : rest.filter((p) => p.name.toLowerCase() !== '@params');
    for (const param of values) named.set(param.name.replace(/^@/, '').toLowerCase(), param.value);
    return this.execute('rpc', statement?.value.value ?? '', named, resetConnection);
  }

  private catalogReader(): CatalogReader {
    const client = this.pg!;
    return {
      database: this.database,
      heldRowversion: this.server.heldRowversion,
      table: async (schema, name) => {
        const found = (await client.query(
          `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE lower(n.nspname) = lower($1) AND lower(c.relname) = lower($2) AND c.relkind IN ('r', 'p', 'v', 'm')
              AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'siphon_tds', 'siphon_sys')
            ORDER BY (n.nspname = $1)::int + (c.relname = $2)::int DESC LIMIT 1`, [schema, name])).rows[0] as { nspname: string; relname: string } | undefined;
        if (!found) return undefined;
        const columns = (await client.query(
          `SELECT a.attname, siphon_tds.column_type(n.nspname, c.relname, a.attname, a.atttypid, a.atttypmod) AS type,
                  a.attnotnull, format_type(a.atttypid, a.atttypmod) AS pg_type
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [found.nspname, found.relname])).rows as Array<{ attname: string; type: string; attnotnull: string; pg_type: string }>;
        const table: TableInfo = {
          schema: found.nspname,
          name: found.relname,
          columns: columns.map((c) => ({ name: c.attname, type: parseSqlType(c.type), nullable: c.attnotnull !== 't' && c.attnotnull !== 'true', pgType: c.pg_type })),
        };
        return table;
      },
      cdcInstance: async (name) => {
        const found = (await client.query(
          `SELECT i.capture_instance, n.nspname, c.relname, array_to_json(i.captured_columns)::text AS captured
             FROM siphon_tds.cdc_instances i JOIN pg_class c ON c.oid = i.source_oid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE lower(i.capture_instance) = lower($1)`, [name])).rows[0] as { capture_instance: string; nspname: string; relname: string; captured: string } | undefined;
        return found && { instance: found.capture_instance, schema: found.nspname, name: found.relname, columns: JSON.parse(found.captured) as string[] };
      },
      trackedKeys: async (table) => {
        const found = (await client.query(
          `SELECT t.key_columns FROM siphon_tds.ct_tables t WHERE t.table_oid = to_regclass($1)`, [`"${table.schema.replace(/"/g, '""')}"."${table.name.replace(/"/g, '""')}"`])).rows[0] as { key_columns: string } | undefined;
        // Text as PostgreSQL prints an array: {a,b} (rawText parses no types).
        return found ? found.key_columns.replace(/^\{|\}$/g, '').split(',').map((name) => name.replace(/^"|"$/g, '')) : undefined;
      },
      check: async (sql, params) => {
        try {
          await client.query(`SELECT * FROM (${sql}) AS siphon_check LIMIT 0`, params);
        } catch (err) {
          throw sqlServerErrorOf(err);
        }
      },
    };
  }

  /** Runs a batch or an sp_executesql statement and writes its whole response message. */
  private async execute(kind: 'batch' | 'rpc', text: string, params: Map<string, ParamValue>, resetConnection: boolean): Promise<void> {
    if (this.cancelling) await this.cancelling;
    const request: ActiveRequest = { attention: false };
    this.current = request;
    const writer = this.writer();
    const done = (status: number, command: number, rows: number) => doneToken(kind === 'rpc' ? 'doneInProc' : 'done', status, command, rows);
    let failed = false;
    try {
      if (resetConnection) writer.write(envChangeBytes(18, Buffer.alloc(0), Buffer.alloc(0)));
      let translations: Translation[] = [];
      try {
        translations = await translateBatch(text, params, this.catalogReader());
      } catch (thrown) {
        const err = thrown instanceof SqlServerError ? thrown : new SqlServerError(50000, `Siphon TDS test server internal error: ${(thrown as Error).message}`);
        writer.write(messageToken('error', this.message(err.number, err.message, err.severity, err.state)));
        writer.write(done(DoneStatus.error, Command.select, 0));
        failed = true;
      }
      for (const [i, translation] of translations.entries()) {
        if (request.attention || this.socket.destroyed) break;
        const more = i < translations.length - 1 || kind === 'rpc' ? DoneStatus.more : 0;
        this.server.stats.statements++;
        this.server.emit('statement', { text: translation.text, sql: translation.k === 'set' || translation.k === 'transaction' ? undefined : translation.sql });
        if (translation.k === 'set') {
          if (translation.pgSql) await this.pg!.query(translation.pgSql);
          if (translation.isolation) this.isolation = translation.isolation;
          writer.write(done(more, Command.setOption, 0));
          continue;
        }
        if (translation.k === 'transaction') {
          try {
            await this.transaction(translation.action);
            writer.write(done(more, translation.action === 'begin' ? Command.beginTransaction : Command.commitTransaction, 0));
          } catch (err) {
            this.writeError(writer, err);
            writer.write(done(DoneStatus.error | more, Command.none, 0));
            failed = true;
            break;
          }
          continue;
        }
        const hook = this.server.takeStatementHook(translation.text);
        if (hook) await hook();
        if (translation.k === 'utility') {
          try {
            await this.pg!.query(translation.sql);
            writer.write(done(more, Command.none, 0));
          } catch (err) {
            this.writeError(writer, err);
            writer.write(done(DoneStatus.error | more, Command.none, 0));
            failed = true;
            break;
          }
          continue;
        }
        const outcome = await this.select(writer, translation, request, more, kind);
        if (outcome === 'dropped') return;
        if (outcome === 'error') {
          failed = true;
          break;
        }
      }
      // A batch that failed (or was cancelled) inside a transaction rolls it back, as SET XACT_ABORT ON does.
      if ((failed || request.attention) && this.inTransaction) await this.transaction('rollback').catch(() => undefined);
      if (kind === 'rpc') {
        writer.write(returnStatusToken(failed ? -6 : 0));
        writer.write(doneToken('doneProc', failed ? DoneStatus.error : DoneStatus.final, Command.execute, 0));
      }
      writer.end();
      if (request.attention) this.sendAttentionAck();
    } finally {
      this.current = undefined;
    }
  }

  /**
   * BEGIN, COMMIT and ROLLBACK TRANSACTION. Under SNAPSHOT isolation a BEGIN fails unless the
   * database allows it (ALLOW_SNAPSHOT_ISOLATION, changeTracking.ts), else runs as PostgreSQL's
   * REPEATABLE READ: one snapshot for the transaction, taken at its first statement.
   */
  private async transaction(action: 'begin' | 'commit' | 'rollback'): Promise<void> {
    const client = this.pg!;
    if (action !== 'begin') {
      if (!this.inTransaction) {
        if (action === 'commit') throw new SqlServerError(3902, 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.');
        throw new SqlServerError(3903, 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.');
      }
      this.inTransaction = false;
      await client.query(action === 'commit' ? 'COMMIT' : 'ROLLBACK');
      return;
    }
    if (this.inTransaction) throw new SqlServerError(50000, 'The Siphon TDS test server does not nest transactions.');
    if (this.isolation === 'snapshot') {
      const allowed = (await client.query(`SELECT allow_snapshot_isolation::text AS allowed FROM siphon_tds.database_options`)).rows[0] as { allowed: string } | undefined;
      if (allowed?.allowed !== 'true') {
        throw new SqlServerError(3952, `Snapshot isolation transaction failed accessing database '${this.database}' because snapshot isolation is not allowed in this database. Use ALTER DATABASE to allow snapshot isolation.`);
      }
    }
    const level = this.isolation === 'snapshot' || this.isolation === 'repeatable read' ? 'REPEATABLE READ' : this.isolation === 'serializable' ? 'SERIALIZABLE' : 'READ COMMITTED';
    await client.query(`BEGIN ISOLATION LEVEL ${level}`);
    this.inTransaction = true;
  }

  private writeError(writer: MessageWriter, err: unknown): void {
    const error = sqlServerErrorOf(err);
    writer.write(messageToken('error', this.message(error.number, error.message, error.severity, error.state)));
  }

  /**
   * One SELECT: COLMETADATA, then rows as the PostgreSQL cursor yields them, waiting whenever
   * the socket is full (the client paused) and stopping at an ATTENTION, then DONE(IN PROC).
   */
  private async select(writer: MessageWriter, translation: Extract<Translation, { k: 'select' }>, request: ActiveRequest, more: number, kind: 'batch' | 'rpc'): Promise<'ok' | 'error' | 'dropped'> {
    const stats = this.server.stats;
    const columns = translation.columns;
    const wide = columns.some((c) => c.type.length === 'max');
    const batchRows = wide ? 16 : this.server.options.cursorRows;
    const dropAfter = this.server.takeDropHook(translation.text);
    const cursor = this.pg!.query(new Cursor(translation.sql, translation.params, { rowMode: 'array', types: rawText }));
    stats.openCursors++;
    let count = 0;
    const close = async () => {
      stats.openCursors--;
      await cursor.close().catch(() => undefined);
    };
    const doneStatement = (status: number) => doneToken(kind === 'rpc' ? 'doneInProc' : 'done', status, Command.select, count);
    let rows: Array<Array<string | null>>;
    try {
      rows = await cursor.read(batchRows);
    } catch (err) {
      await close();
      this.writeError(writer, err);
      writer.write(doneStatement(DoneStatus.error | more));
      return 'error';
    }
    writer.write(colMetadataToken(columns));
    const sink = this.sink;
    const plain = this.server.options.nullRows === 'row';
    try {
      while (rows.length) {
        for (const row of rows) {
          sink.reset();
          if (plain) writePlainRow(sink, columns, row);
          else writeRow(sink, columns, row);
          writer.write(sink.view());
          count++;
          stats.rowsSent++;
          if (dropAfter !== undefined && count >= dropAfter) {
            writer.flushPartial();
            this.socket.destroy();
            return 'dropped';
          }
          if (writer.needsDrain) await writer.drained();
          if (request.attention || this.socket.destroyed) break;
        }
        if (request.attention || this.socket.destroyed) break;
        try {
          rows = await cursor.read(batchRows);
        } catch (err) {
          this.writeError(writer, err);
          writer.write(doneStatement(DoneStatus.error | more));
          return 'error';
        }
      }
    } finally {
      await close();
    }
    writer.write(doneStatement(DoneStatus.count | more));
    return 'ok';
  }
}

/** A PostgreSQL error as the SQL Server error it stands for. */
export function sqlServerErrorOf(err: unknown): SqlServerError {
  if (err instanceof SqlServerError) return err;
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  switch (e.code) {
    case '22003': return new SqlServerError(8115, `Arithmetic overflow error converting expression to data type. (${message})`);
    case '22P02': case '22007': case '22008': return new SqlServerError(245, `Conversion failed when converting a value: ${message}`);
    case '22012': return new SqlServerError(8134, 'Divide by zero error encountered.');
    case '42P01': return new SqlServerError(208, `Invalid object name: ${message}`);
    case '42703': return new SqlServerError(207, `Invalid column name: ${message}`);
    // What SET LOCK_TIMEOUT's expiry looks like on SQL Server (lock_timeout on PostgreSQL).
    case '55P03': return new SqlServerError(1222, 'Lock request time out period exceeded.');
    // cdc.fn_cdc_get_all_changes_* given an LSN range outside the instance's (cdc.ts): SQL Server's famous 313.
    case 'SX313': return new SqlServerError(313, message);
    default: return new SqlServerError(50000, `The PostgreSQL engine behind the Siphon TDS test server failed (${e.code ?? 'no code'}): ${message}`);
  }
}
