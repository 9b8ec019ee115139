import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../src/errors/errorTypes.js';
import { PostgresConnector, type PostgresReadMode } from '../../src/sources/postgres/postgresConnector.js';
import type { ReadChunkRequest, ReadTarget } from '../../src/sources/sourceConnector.js';
import { expectSameValue, readBackRows, runPipeline } from '../support/readBack.js';
import { startTestEnvironment, testSourceSetting, type TestEnvironment } from '../support/testEnvironment.js';
import { waitFor } from '../support/waitFor.js';

/**
 * PostgreSQL chunk reads through binary COPY, observed on the server (pg_stat_activity shows
 * which statement a session runs, and whether it is still there): the COPY is what runs, its
 * rows equal the cursor's, key ranges and windows become literals that select the same rows;
 * a cancel, a consumer that stops early and a dropped connection each end the COPY and leave no
 * session; a column COPY does not decode takes the cursor, and such a table still copies exactly.
 */
let env: TestEnvironment;
const rows = 200_000;

beforeAll(async () => {
  env = await startTestEnvironment('copy_read', async (db) => {
    await db.query(`CREATE TABLE items (id bigint PRIMARY KEY, day date NOT NULL, at timestamptz, local timestamp, amount numeric(14,3), note text)`);
    await db.query(`INSERT INTO items SELECT g, date '2020-01-01' + (g % 1000), timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 second',
      timestamp '1999-12-31 23:00:00' + g * interval '1 minute', CASE WHEN g % 9 = 0 THEN NULL ELSE g / 7.0 END, repeat(chr(65 + g % 26), 80) || ' ' || g
      FROM generate_series(1, ${rows}) g`);
    await db.query(`ANALYZE items`);
    // Types COPY's decoder leaves to the cursor: their text is what their output functions write.
    await db.query(`CREATE TABLE hosts (id int PRIMARY KEY, ip inet, net cidr, mac macaddr, mac8 macaddr8, flags bit(4), mask varbit, doc xml, name text)`);
    await db.query(`INSERT INTO hosts VALUES
      (1, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', B'1010', B'', '<a x="1">é</a>', 'one'),
      (2, '::ffff:1.2.3.4', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00', B'0000', B'1111111111', '<?xml version="1.0"?><b/>', ''),
      (3, '10.0.0.1', '192.168.1.0/24', NULL, NULL, NULL, NULL, NULL, NULL)`);
  });
});

afterAll(async () => {
  await env?.stop();
});

const items: ReadTarget = { kind: 'table', table: { name: 'items' } };

/** Siphon's sessions on the test database, with the statement each runs. */
function sessions(): Promise<Array<{ pid: number; state: string; query: string }>> {
  return env.database.query(`SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'siphon' AND pid <> pg_backend_pid()`);
}

async function connect(readMode: PostgresReadMode = 'copy'): Promise<PostgresConnector> {
  return PostgresConnector.connect(env.database.url, undefined, readMode);
}

async function readAll(connector: PostgresConnector, request: Omit<ReadChunkRequest, 'columns' | 'batchRows'>, batchRows = 1_000): Promise<unknown[][]> {
  const { columns } = await connector.describe(request.target);
  const all: unknown[][] = [];
  for await (const batch of connector.readChunk({ ...request, columns, batchRows })) all.push(...batch);
  return all;
}

/** The first batch of a read, with the read left open (its iterator, to go on or to stop). */
async function startRead(connector: PostgresConnector, request: Omit<ReadChunkRequest, 'columns' | 'batchRows'>) {
  const { columns } = await connector.describe(request.target);
  const iterator = connector.readChunk({ ...request, columns, batchRows: 1_000 })[Symbol.asyncIterator]();
  const first = await iterator.next();
  expect(first.done).toBe(false);
  return iterator;
}

describe('reading a chunk through COPY', () => {
  it('runs COPY on the server and reads the same rows as the cursor, in key ranges and windows given as literals', async () => {
    const reader = await connect();
    try {
      const iterator = await startRead(reader, { target: items, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '1', upper: String(rows), upperInclusive: true } });
      const [running] = await sessions();
      expect(running!.query).toMatch(/^COPY \(SELECT "id", "day", "at", "local", "amount", "note" FROM "items" WHERE "id" >= 1 AND "id" <= 200000 ORDER BY "id"\) TO STDOUT \(FORMAT binary\)$/);
      expect(running!.state).toBe('active');
      await iterator.return?.();
    } finally {
      await reader.close();
    }
    // A COPY stopped early ends its session (see 'a consumer that stops early'): a new connector reads on.
    const copying = await connect();
    const cursor = await connect('cursor');
    try {
      const requests: Array<Omit<ReadChunkRequest, 'columns' | 'batchRows'>> = [
        { target: items, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '-5', upper: '25000', upperInclusive: false } },
        { target: items, key: { column: 'day', kind: 'date' }, orderBy: ['id'], range: { kind: 'range', lower: '18262', upper: '18300', upperInclusive: false } },
        // An incremental window on a timestamptz cursor, over a range of a timestamp key.
        {
          target: items, key: { column: 'local', kind: 'timestamp' }, orderBy: ['id'],
          range: { kind: 'range', lower: '946681200000000', upper: '946767600000000', upperInclusive: true },
          window: { column: 'at', kind: 'timestamptz', after: '1704067230000000', upTo: '1704067290000000' },
        },
        { target: { kind: 'query', sql: 'SELECT id, note, amount FROM items WHERE id % 1000 = 0 -- a trailing comment' }, key: { column: 'id', kind: 'integer' }, orderBy: ['id'], range: { kind: 'range', lower: '1000', upper: '50000', upperInclusive: true } },
      ];
      for (const request of requests) {
        const expected = await readAll(cursor, request);
        expect(expected.length).toBeGreaterThan(0);
        expect(await readAll(copying, request, 333)).toEqual(expected);
      }
      expect((await sessions()).map((session) => session.query)).toContain(`COPY (SELECT "id", "note", "amount" FROM (\nSELECT id, note, amount FROM items WHERE id % 1000 = 0 -- a trailing comment\n) AS siphon_query WHERE "id" >= 1000 AND "id" <= 50000 ORDER BY "id") TO STDOUT (FORMAT binary)`);
      // The literals select exactly what their bound parameters select.
      expect((await readAll(copying, requests[2]!)).length).toBe(40);
    } finally {
      await Promise.all([copying.close(), cursor.close()]);
    }
  });

  it('reads with a cursor when the source says readMode cursor', async () => {
    const reader = await connect('cursor');
    try {
      await startRead(reader, { target: items, orderBy: ['id'], range: { kind: 'all' } });
      const [running] = await sessions();
      expect(running!.query).toMatch(/^SELECT "id", /);
    } finally {
      await reader.close();
    }
  });

  it('a cancelled COPY (the run ended) fails the read and leaves nothing running, nor a session once closed', async () => {
    const reader = await connect();
    const stop = new AbortController();
    const { columns } = await reader.describe(items);
    const batches = reader.readChunk({ target: items, columns, orderBy: ['id'], range: { kind: 'all' }, batchRows: 1_000, signal: stop.signal });
    let read = 0;
    const reading = (async () => {
      for await (const batch of batches) {
        read += batch.length;
        if (!stop.signal.aborted) stop.abort();
        // The consumer keeps asking: only the server's answer to the cancel ends the read.
      }
    })();
    await expect(reading).rejects.toThrow(/canceling statement due to user request/);
    expect(read).toBeLessThan(rows);
    const [session] = await sessions();
    expect(session!.state).toBe('idle');
    await reader.close();
    await waitFor(sessions, (found) => found.length === 0, 'no Siphon session');
  });

  it('a consumer that stops early ends the COPY and its session', async () => {
    const reader = await connect();
    try {
      const { columns } = await reader.describe(items);
      for await (const batch of reader.readChunk({ target: items, columns, orderBy: ['id'], range: { kind: 'all' }, batchRows: 1_000 })) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
      // The read ended the session: the server's backend goes as soon as it notices.
      await waitFor(sessions, (found) => found.length === 0, 'no Siphon session', 10_000);
    } finally {
      await reader.close();
    }
  });

  it('a refused value mid-stream fails the read (naming the column) and ends the session', async () => {
    const reader = await connect();
    try {
      const target: ReadTarget = { kind: 'query', sql: `SELECT g AS id, CASE WHEN g = 150000 THEN 'infinity'::date ELSE date '2024-01-01' END AS day FROM generate_series(1, 200000) g` };
      const failure = await readAll(reader, { target, orderBy: [], range: { kind: 'all' } }).then(() => undefined, (err: unknown) => err);
      expect(failure).toBeInstanceOf(NonRetryableError);
      expect((failure as Error).message).toBe('Column "day": Date infinity cannot be represented (infinite or out of range)');
      await waitFor(sessions, (found) => found.length === 0, 'no Siphon session', 10_000);
    } finally {
      await reader.close();
    }
  });

  it('a connection dropped mid-COPY fails the read as an error a retry can fix, without hanging', async () => {
    const reader = await connect();
    try {
      const iterator = await startRead(reader, { target: items, orderBy: ['id'], range: { kind: 'all' } });
      const [running] = await sessions();
      await env.database.query('SELECT pg_terminate_backend($1)', [running!.pid]);
      const failure = await (async () => {
        for (;;) if ((await iterator.next()).done) return undefined;
      })().then(() => new Error('the read finished'), (err: unknown) => err);
      expect(String(failure)).toMatch(/terminating connection due to administrator command|connection to PostgreSQL was lost|Connection terminated/);
      expect(failure).not.toBeInstanceOf(NonRetryableError);
    } finally {
      await reader.close();
    }
    await waitFor(sessions, (found) => found.length === 0, 'no Siphon session', 10_000);
  });

  it('refuses a query that smuggles a second statement, before any COPY runs', async () => {
    const reader = await connect();
    try {
      // Wrapped in COPY ( ... ) TO STDOUT this is three statements that run as one simple Query
      // (COPY, SET, COPY), and the SET would leave the session read-write. Described first over
      // the extended protocol, as a SELECT with LIMIT 0, it does not even parse.
      const target: ReadTarget = { kind: 'query', sql: 'SELECT 1 AS id) AS a) TO STDOUT; SET default_transaction_read_only = off; COPY (SELECT * FROM (SELECT 1 AS id' };
      const columns = [{ name: 'id', sourceType: 'integer', nullable: true, type: { kind: 'int32' } } as const];
      const read = async () => {
        for await (const batch of reader.readChunk({ target, columns, orderBy: [], range: { kind: 'all' }, batchRows: 10 })) void batch;
      };
      await expect(read()).rejects.toThrow(/syntax error at or near "\)"/);
      const setting = await readAll(reader, { target: { kind: 'query', sql: `SELECT current_setting('default_transaction_read_only') AS ro` }, orderBy: [], range: { kind: 'all' } });
      expect(setting).toEqual([['on']]);
    } finally {
      await reader.close();
    }
  });
});

describe('a table with a column COPY does not decode', () => {
  const hosts: ReadTarget = { kind: 'table', table: { name: 'hosts' } };
  /** What each column's output function writes: format's %s calls it, NULL stays NULL. */
  const expectedText = `SELECT id, ${['ip', 'net', 'mac', 'mac8', 'flags', 'mask', 'doc', 'name'].map((c) => `CASE WHEN ${c} IS NULL THEN NULL ELSE format('%s', ${c}) END AS ${c}`).join(', ')} FROM hosts ORDER BY id`;

  it('is read with the cursor, each value as its type writes it', async () => {
    const reader = await connect();
    try {
      const expected = (await env.database.query(expectedText)).map((row) => Object.values(row));
      expect(expected[0]).toEqual([1, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '1010', '', '<a x="1">é</a>', 'one']);
      expect(await readAll(reader, { target: hosts, orderBy: ['id'], range: { kind: 'all' } })).toEqual(expected);
      // The statement the session ran last is the cursor's SELECT (after the COPY plan's LIMIT 0 description).
      const [session] = await sessions();
      expect(session!.query).toMatch(/^SELECT "id", "ip", .* FROM "hosts" ORDER BY "id"$/);
    } finally {
      await reader.close();
    }
  });

  it('copies exactly through a pipeline, as DuckDB reads the files back', async () => {
    const finished = await runPipeline(env, {
      id: 'hosts', source: { engine: 'postgres', connectionSetting: testSourceSetting }, table: { name: 'hosts' },
      chunking: { column: 'id', chunks: 2 }, output: { container: 'copy-read', format: 'parquet' },
    });
    const expected = await env.database.query(expectedText);
    const actual = await readBackRows(env, finished, 'id');
    expect(actual.length).toBe(3);
    actual.forEach((row, r) => {
      for (const column of finished.manifest.columns) expectSameValue(row[column.name], expected[r]![column.name], column.type, `row ${r}, ${column.name}`);
    });
  });
});
