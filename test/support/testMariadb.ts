import mysql from 'mysql2/promise';

/** The machine's MariaDB server (root, empty password); override with SIPHON_TEST_MYSQL_URL. */
export const mysqlServerUrl = process.env.SIPHON_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

export type TestMysqlDatabase = {
  url: string;
  name: string;
  /** Rows as objects; big integers, decimals and dates as text so assertions see exact values. */
  query: <R = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<R[]>;
  drop: () => Promise<void>;
};

const exact = { supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, decimalNumbers: false, jsonStrings: true, charset: 'UTF8MB4_GENERAL_CI' } as const;

function urlFor(database: string): string {
  const url = new URL(mysqlServerUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A database of its own for one test file, named after it; created fresh (dropping a leftover
 * from an earlier failed run) and dropped when the file is done.
 */
export async function createTestMysqlDatabase(label: string): Promise<TestMysqlDatabase> {
  const name = `siphon_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}`;
  const admin = await mysql.createConnection({ uri: mysqlServerUrl, ...exact });
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await admin.end();
  const url = urlFor(name);
  const client = await mysql.createConnection({ uri: url, ...exact });
  await client.query(`SET time_zone = '+00:00'`);
  return {
    url,
    name,
    query: async <R>(sql: string, values?: unknown[]) => {
      const [rows] = await client.query(sql, values);
      return (Array.isArray(rows) ? rows : []) as R[];
    },
    drop: async () => {
      await client.end();
      const dropper = await mysql.createConnection({ uri: mysqlServerUrl });
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}
