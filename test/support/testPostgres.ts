import pg from 'pg';

/** The machine's PostgreSQL server (trust auth); override with SIPHON_TEST_PG_URL. */
export const serverUrl = process.env.SIPHON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { url: string; name: string; query: <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>; drop: () => Promise<void> };

/**
 * A database of its own for one test file, named after it; created fresh (dropping a leftover
 * from an earlier failed run) and dropped when the file is done.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `siphon_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    url,
    name,
    query: async (text, values) => (await client.query(text, values as unknown[])).rows,
    drop: async () => {
      await client.end();
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
