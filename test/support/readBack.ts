import { expect } from 'vitest';
import { queryManifestFiles, readManifest } from '../../src/local/manifestReader.js';
import type { Manifest } from '../../src/sink/manifest.js';
import type { OutputType } from '../../src/spec/columns.js';
import type { TestEnvironment, SourceDatabase } from './testEnvironment.js';

export type FinishedRun = { run: Record<string, any>; manifest: Manifest };

/**
 * Creates the pipeline through the API, triggers a run, waits for it and reads its manifest.
 * `keyed: false` for a table read without a key (ctid pages, one chunk): reconciliation covers
 * tables read in key order only.
 */
export async function runPipeline(env: TestEnvironment<SourceDatabase>, pipeline: Record<string, unknown>, { keyed = true }: { keyed?: boolean } = {}): Promise<FinishedRun> {
  const created = await env.api.post('/api/pipelines', pipeline);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const triggered = await env.api.post(`/api/pipelines/${String(pipeline.id)}/runs`);
  expect(triggered.status).toBe(202);
  const run = await env.api.waitForRun(triggered.headers.get('location')!);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe('succeeded');
  // Reconciliation is on by default for a table read in key order: every chunk must agree with
  // the source (read back through the API's chunk list, not from the copy's own result).
  const reconciled = keyed && pipeline.table !== undefined && pipeline.reconcile !== false && pipeline.maxRows === undefined;
  const chunks = await env.api.get(`${triggered.headers.get('location')!}/chunks?limit=1000`);
  for (const chunk of (chunks.body as { chunks: Array<{ index: number; reconciliation?: { status: string } }> }).chunks) {
    if (reconciled || chunk.reconciliation) expect(chunk.reconciliation, `chunk ${chunk.index}`).toMatchObject({ status: 'match' });
  }
  return { run, manifest: await readManifest(env.azurite.connectionString, run.manifestPath) };
}

/** Every row of a run's files as DuckDB reads them, values in Siphon's canonical forms (see toCanonical). */
export async function readBackRows(env: { azurite: { connectionString: string } }, { run, manifest }: FinishedRun, orderBy: string): Promise<Record<string, unknown>[]> {
  const container = String(run.manifestPath).split('/')[0]!;
  const rows = await queryManifestFiles(env.azurite.connectionString, container, manifest, `SELECT * FROM {files} ORDER BY "${orderBy}"`, 'typed');
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, toCanonical(value)])));
}

/**
 * DuckDB's exact values in the canonical forms of formats/canonicalValues.ts: decimals and uuids
 * as text, dates as days, times and timestamps as microseconds, binary as bytes.
 */
export function toCanonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if ('micros' in value) return (value as { micros: bigint }).micros;
  if ('days' in value) return (value as { days: number }).days;
  if ('bytes' in value) return new Uint8Array((value as { bytes: Uint8Array }).bytes);
  return String(value);
}

/**
 * Compares a value read back with the source's, the way the output type defines equality:
 * floats bit for bit (NaN equals NaN, -0 is not 0, float32 at float32 precision), JSON as
 * documents (a JSON Lines file embeds them, so whitespace may differ), bytes byte for byte.
 */
export function expectSameValue(actual: unknown, expected: unknown, type: OutputType, where: string): void {
  if (expected === null || actual === null) {
    expect(actual, where).toBe(expected);
    return;
  }
  switch (type.kind) {
    case 'float32':
      expect(Object.is(actual, Math.fround(expected as number)), `${where}: ${String(actual)} vs ${String(expected)}`).toBe(true);
      return;
    case 'float64':
      expect(Object.is(actual, expected), `${where}: ${String(actual)} vs ${String(expected)}`).toBe(true);
      return;
    case 'json':
      expect(JSON.parse(actual as string), where).toEqual(JSON.parse(expected as string));
      return;
    case 'binary':
      expect(Buffer.from(actual as Uint8Array).equals(Buffer.from(expected as Uint8Array)), `${where}: bytes differ`).toBe(true);
      return;
    default:
      expect(actual, where).toEqual(expected);
  }
}

export const allFormats = [
  { format: 'parquet', compression: 'snappy' },
  { format: 'parquet', compression: 'zstd' },
  { format: 'parquet', compression: 'gzip' },
  { format: 'parquet', compression: 'none' },
  { format: 'csv', compression: 'none' },
  { format: 'csv', compression: 'gzip' },
  { format: 'jsonl', compression: 'none' },
  { format: 'jsonl', compression: 'gzip' },
] as const;

export type FormatCase = (typeof allFormats)[number];

/**
 * Runs the pipeline writing the given format (exact encodings), reads its files back with DuckDB, and compares
 * every column of every row with the expected (source) values, rows ordered by `id`.
 */
export async function expectExactCopy(env: TestEnvironment<SourceDatabase>, pipeline: Record<string, unknown> & { output: Record<string, unknown> }, { format, compression }: FormatCase, expected: Array<Record<string, unknown>>): Promise<Manifest> {
  // The exact encodings (readers "exact"): what each output type is at its richest. The default
  // readers' Parquet encodings are held by deltaLake.test.ts (pyarrow reads every file).
  const finished = await runPipeline(env, { ...pipeline, id: `${String(pipeline.id)}-${format}-${compression}`, output: { ...pipeline.output, format, compression, readers: ['exact'] } });
  const { manifest } = finished;
  expect(manifest.format).toBe(format);
  expect(manifest.rows).toBe(expected.length);
  const extension = `.${format}${compression === 'gzip' && format !== 'parquet' ? '.gz' : ''}`;
  expect(manifest.files.every((file) => file.path.endsWith(extension))).toBe(true);

  const actual = await readBackRows(env, finished, 'id');
  expect(actual).toHaveLength(expected.length);
  for (const [index, row] of expected.entries()) {
    for (const column of manifest.columns) {
      // JSON Lines embeds documents as values, so the document `null` and SQL NULL are both
      // null there: the one loss the README's type map states for that format.
      const source = format === 'jsonl' && column.type.kind === 'json' && row[column.name] === 'null' ? null : row[column.name];
      expectSameValue(actual[index]![column.name], source, column.type, `${format}/${compression} row id=${String(row.id)} column ${column.name}`);
    }
  }
  return manifest;
}
