import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';

/** The changes the bench made to the old state (see perturbedState): what the diff must emit. */
export type ExpectedChanges = { inserts: bigint[]; updates: bigint[]; deletes: bigint[] };

/** Counts of the change rows found exactly as expected. */
export type VerifiedDiff = { inserts: number; updates: number; deletes: number };

export type VerifyHashDiffInput = {
  container: ContainerClient;
  /** A folder of the bench's own; a subfolder is made and removed here. */
  scratchDir: string;
  key: string;
  /** The table's columns, key included (the change columns come after them in the files). */
  columns: string[];
  expected: ExpectedChanges;
  /** Change files of the measured diff, and of the snapshot diff (every source row as an insert). */
  changeFiles: string[];
  snapshotFiles: string[];
  /** State files (gzip) of the snapshot run and of the measured run. */
  snapshotState: string;
  newState: string;
  where: string;
};

/**
 * Reads a hashDiff run's output back, apart from the code that wrote it, and throws naming the
 * first differing keys unless it holds exactly the expected changes: the (key, _change_type)
 * pairs of the change files (DuckDB over the downloaded Parquet) equal the expected ones as a
 * multiset; inserts and updates carry the row the snapshot copied for that key (the source's
 * values, compared column by column with IS DISTINCT FROM); deletes carry only their key. The
 * source did not change between the runs, so the new state must equal the snapshot's state byte
 * for byte (compared after gunzip, line by line on a difference). Runs after the measurement.
 */
export async function verifyHashDiff(input: VerifyHashDiffInput): Promise<VerifiedDiff> {
  const fail = (what: string) => new Error(`hashDiff output verification failed (${input.where}): ${what}`);
  await verifyStateEqual(input, fail);

  const folder = mkdtempSync(join(input.scratchDir, 'verify-diff-'));
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const download = async (paths: string[], prefix: string) => Promise.all(paths.map(async (path, i) => {
      const local = join(folder, `${prefix}-${i}.parquet`);
      await input.container.getBlockBlobClient(path).downloadToFile(local);
      return local;
    }));
    const changes = await download(input.changeFiles, 'changes');
    const snapshot = await download(input.snapshotFiles, 'snapshot');
    if (changes.length === 0) throw fail('the measured diff wrote no change file');
    const expectedCsv = join(folder, 'expected.csv');
    const { inserts, updates, deletes } = input.expected;
    writeFileSync(expectedCsv, [
      'k,t',
      ...inserts.map((k) => `${k},insert`), ...updates.map((k) => `${k},update`), ...deletes.map((k) => `${k},delete`),
    ].join('\n') + '\n');

    const connection = await instance.connect();
    const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const list = (paths: string[]) => `[${paths.map((path) => `'${path.replace(/'/g, "''")}'`).join(', ')}]`;
    const key = q(input.key);
    const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    const keysOf = (found: Record<string, unknown>[]) => found.map((row) => `${String(row.k)} (${String(row.t)})`).join(', ');

    await connection.run(`CREATE TABLE expected AS SELECT * FROM read_csv('${expectedCsv}', header = true, columns = {'k': 'BIGINT', 't': 'VARCHAR'})`);
    await connection.run(`CREATE TABLE got AS SELECT * FROM read_parquet(${list(changes)})`);
    const pairs = `SELECT ${key}::BIGINT AS k, _change_type AS t FROM got`;
    const missing = await rows(`SELECT * FROM (SELECT k, t FROM expected EXCEPT ALL ${pairs}) ORDER BY k LIMIT 5`);
    if (missing.length) throw fail(`expected change rows missing, first: ${keysOf(missing)}`);
    const extra = await rows(`SELECT * FROM (${pairs} EXCEPT ALL SELECT k, t FROM expected) ORDER BY k LIMIT 5`);
    if (extra.length) throw fail(`change rows not expected (or duplicated), first: ${keysOf(extra)}`);

    const others = input.columns.filter((column) => column !== input.key);
    const differs = others.map((column) => `g.${q(column)} IS DISTINCT FROM s.${q(column)}`).join(' OR ');
    const valued = `(SELECT * FROM got WHERE _change_type IN ('insert', 'update'))`;
    const wrongValues = await rows(`SELECT g.${key} AS k, g._change_type AS t FROM ${valued} g LEFT JOIN read_parquet(${list(snapshot)}) s ON s.${key} = g.${key}
      WHERE s.${key} IS NULL OR ${differs} ORDER BY g.${key} LIMIT 5`);
    if (wrongValues.length) throw fail(`inserted/updated rows whose values are not the source's, first: ${keysOf(wrongValues)}`);
    const notKeyOnly = await rows(`SELECT ${key} AS k, _change_type AS t FROM got WHERE _change_type = 'delete' AND (${others.map((column) => `${q(column)} IS NOT NULL`).join(' OR ')}) ORDER BY ${key} LIMIT 5`);
    if (notKeyOnly.length) throw fail(`delete rows holding more than their key, first: ${keysOf(notKeyOnly)}`);

    const counts = new Map((await rows(`SELECT _change_type AS t, count(*) AS n FROM got GROUP BY 1`)).map((row) => [String(row.t), Number(row.n)]));
    connection.closeSync();
    return { inserts: counts.get('insert') ?? 0, updates: counts.get('update') ?? 0, deletes: counts.get('delete') ?? 0 };
  } finally {
    instance.closeSync();
    rmSync(folder, { recursive: true, force: true });
  }
}

async function verifyStateEqual(input: VerifyHashDiffInput, fail: (what: string) => Error): Promise<void> {
  const read = async (path: string) => gunzipSync(await input.container.getBlockBlobClient(path).downloadToBuffer());
  const [source, written] = await Promise.all([read(input.snapshotState), read(input.newState)]);
  if (source.length === 0) throw fail(`the snapshot state ${input.snapshotState} is empty`);
  if (source.equals(written)) return;
  const a = source.toString('utf8').split('\n');
  const b = written.toString('utf8').split('\n');
  const at = a.findIndex((line, i) => line !== b[i]);
  const line = at === -1 ? a.length : at;
  throw fail(`new state ${input.newState} differs from the source's state ${input.snapshotState} at line ${line + 1}: ${JSON.stringify(b[line] ?? '<end>')} instead of ${JSON.stringify(a[line] ?? '<end>')} (${b.length} vs ${a.length} lines)`);
}
