import pg from 'pg';
import mysql from 'mysql2/promise';

export type EngineName = 'postgres' | 'mariadb';

/** The inclusive key range [lower, upper] of one chunk, as integer digits. */
export type KeyRange = { lower: string; upper: string; upperInclusive: boolean };

/** A database of the bench's own on one server, dropped at the end (also on failure). */
export type SourceDatabase = {
  engine: EngineName;
  label: string;
  /** Connection string (with the database) for the connector and every other method. */
  url: string;
  name: string;
  run(sql: string): Promise<void>;
  /** Heap data size of a table on disk: pg_relation_size, or InnoDB's DATA_LENGTH. */
  tableBytes(table: string): Promise<number>;
  countRows(table: string, key: string, range: KeyRange): Promise<number>;
  drop(): Promise<void>;
};

export const postgresServer = process.env.SIPHON_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const mariadbServer = process.env.SIPHON_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/mysql';

export const databaseName = `siphon_bench_${process.pid}`;

/** The columns of the mixed table, in table order. */
export const mixedColumns = ['id', 'customer_id', 'amount', 'label', 'created_at', 'active', 'ship_date'];

export function quoteName(engine: EngineName, name: string): string {
  return engine === 'postgres' ? `"${name}"` : `\`${name}\``;
}

/**
 * The rows of a key range ordered by the key, with the bounds written in: the statement Siphon's
 * connector issues, in the form every other method can send (COPY and the Python peers' SQL take
 * no parameters). `selectList` replaces the quoted columns when a peer has the server format rows.
 */
export function rangeSelect(engine: EngineName, table: string, columns: string[], key: string, range: KeyRange, selectList?: string): string {
  for (const bound of [range.lower, range.upper]) {
    if (!/^-?\d+$/.test(bound)) throw new Error(`Key bound ${JSON.stringify(bound)} is not an integer`);
  }
  const q = (name: string) => quoteName(engine, name);
  return `SELECT ${selectList ?? columns.map(q).join(', ')} FROM ${q(table)} WHERE ${q(key)} >= ${range.lower} AND ${q(key)} ${range.upperInclusive ? '<=' : '<'} ${range.upper} ORDER BY ${q(key)}`;
}

export async function createPostgresDatabase(): Promise<SourceDatabase> {
  const admin = new pg.Client({ connectionString: postgresServer });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
  } finally {
    await admin.end();
  }
  const url = postgresServer.replace(/\/[^/]*$/, `/${databaseName}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const quote = (name: string) => quoteName('postgres', name);
  return {
    engine: 'postgres',
    label: 'PostgreSQL',
    url,
    name: databaseName,
    run: async (sql) => void (await client.query(sql)),
    tableBytes: async (table) => Number((await client.query<{ size: string }>(`SELECT pg_relation_size($1) AS size`, [table])).rows[0]!.size),
    countRows: async (table, key, range) => {
      const upper = range.upperInclusive ? '<=' : '<';
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(table)} WHERE ${quote(key)} >= $1 AND ${quote(key)} ${upper} $2`, [range.lower, range.upper]);
      return Number(result.rows[0]!.n);
    },
    drop: async () => {
      await client.end().catch(() => undefined);
      const dropper = new pg.Client({ connectionString: postgresServer });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export async function createMariadbDatabase(): Promise<SourceDatabase> {
  const admin = await mysql.createConnection(mariadbServer);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
  } finally {
    await admin.end();
  }
  const url = mariadbServer.replace(/\/[^/]*$/, `/${databaseName}`);
  const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
  await connection.query(`SET time_zone = '+00:00'`);
  const quote = (name: string) => quoteName('mariadb', name);
  return {
    engine: 'mariadb',
    label: 'MariaDB',
    url,
    name: databaseName,
    run: async (sql) => void (await connection.query(sql)),
    tableBytes: async (table) => {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        `SELECT DATA_LENGTH AS size FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, [databaseName, table]);
      return Number(rows[0]!.size);
    },
    countRows: async (table, key, range) => {
      const upper = range.upperInclusive ? '<=' : '<';
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${quote(table)} WHERE ${quote(key)} >= ? AND ${quote(key)} ${upper} ?`, [range.lower, range.upper]);
      return Number(rows[0]!.n);
    },
    drop: async () => {
      await connection.end().catch(() => undefined);
      const dropper = await mysql.createConnection(mariadbServer);
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${databaseName}`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/**
 * A realistic mixed table generated server-side: bigint key, int, numeric(18,4) with some NULLs,
 * a 24-40 character varchar, a microsecond timestamp, a boolean and a date. Keys are 1..rows.
 */
export async function createMixedTable(db: SourceDatabase, table: string, rows: number): Promise<void> {
  if (db.engine === 'postgres') {
    await db.run(`CREATE TABLE ${table} (
      id bigint PRIMARY KEY, customer_id integer NOT NULL, amount numeric(18,4), label varchar(40),
      created_at timestamptz, active boolean, ship_date date)`);
    await db.run(`INSERT INTO ${table}
      SELECT g, (g * 7919::bigint) % 100000, CASE WHEN g % 50 = 0 THEN NULL ELSE round((random() * 1e9)::numeric, 4) END,
             left(md5(g::text) || md5((g + 1)::text), 24 + (g % 17)),
             timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' + random() * interval '1 second',
             g % 3 = 0, date '2020-01-01' + (g % 1500)::int
        FROM generate_series(1, ${rows}) g`);
    await db.run(`VACUUM ANALYZE ${table}`);
  } else {
    await db.run(`CREATE TABLE ${table} (
      id BIGINT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(18,4), label VARCHAR(40),
      created_at TIMESTAMP(6) NULL, active BOOLEAN, ship_date DATE) ENGINE=InnoDB`);
    await db.run(`INSERT INTO ${table}
      SELECT seq, (seq * 7919) % 100000, IF(seq % 50 = 0, NULL, ROUND(RAND() * 1e9, 4)),
             LEFT(CONCAT(MD5(seq), MD5(seq + 1)), 24 + seq % 17),
             TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL FLOOR(RAND() * 1000000) MICROSECOND,
             seq % 3 = 0, DATE'2020-01-01' + INTERVAL (seq % 1500) DAY
        FROM seq_1_to_${rows}`);
    await db.run(`ANALYZE TABLE ${table}`);
  }
}

/** Key range of the skewed table: 90% of rows have keys 1..0.9·rows (under a tenth of the range), the rest spread to 10·rows. */
export function skewedKeyMax(rows: number): number {
  return rows + (rows - Math.floor(rows * 0.9)) * 90;
}

/**
 * A table whose key is skewed: keys 1..0.9·rows are dense, the last tenth of the rows is spread
 * over keys up to 10·rows, so 90% of the rows sit in the lowest 10% of the key range. Statistics
 * are gathered the way each engine's planner gets them: ANALYZE in PostgreSQL, and in MariaDB
 * ANALYZE TABLE … PERSISTENT, which fills mysql.column_stats, where the connector looks for a
 * histogram. (MariaDB builds no histogram for a single-column primary key, so there the
 * connector samples; the bench output names the method used.)
 */
export async function createSkewedTable(db: SourceDatabase, table: string, rows: number): Promise<void> {
  const dense = Math.floor(rows * 0.9);
  const keyOf = (n: string) => `CASE WHEN ${n} <= ${dense} THEN ${n} ELSE ${rows} + (${n} - ${dense}) * 90 END`;
  if (db.engine === 'postgres') {
    await db.run(`CREATE TABLE ${table} (id bigint PRIMARY KEY, payload integer NOT NULL)`);
    await db.run(`INSERT INTO ${table} SELECT ${keyOf('g')}, g FROM generate_series(1, ${rows}) g`);
    // PostgreSQL 15+ holds a session's table counters for up to a second before flushing them;
    // flushed after ANALYZE, they would count every inserted row as modified since the analyze,
    // and the connector would (rightly) take the statistics as stale and sample instead.
    await db.run(`SELECT pg_stat_force_next_flush()`).catch(() => undefined);
    await db.run(`VACUUM ANALYZE ${table}`);
  } else {
    await db.run(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, payload INT NOT NULL) ENGINE=InnoDB`);
    await db.run(`INSERT INTO ${table} SELECT ${keyOf('seq')}, seq FROM seq_1_to_${rows}`);
    await db.run(`ANALYZE TABLE ${table} PERSISTENT FOR COLUMNS (id) INDEXES ()`);
  }
}
