import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { parquetMetadataAsync, type FileMetaData } from 'hyparquet';
import { isLosslessNumber, parse, parseLosslessNumber } from 'lossless-json';
import { NonRetryableError } from '../../errors/errorTypes.js';
import { civilDays } from '../../formats/canonicalValues.js';
import { unscaledDecimal } from '../../formats/decimalText.js';
import { ParquetFileWriter } from '../../formats/parquet/parquetFileWriter.js';
import { parquetSchema } from '../../formats/parquet/parquetSchema.js';
import { parquetCanonicalRows } from '../../queries/parquetCanonicalRows.js';
import type { Column, OutputType } from '../../spec/columns.js';
import { blobAsyncBuffer } from '../blobAsyncBuffer.js';
import { mapWithConcurrency } from '../../store/mapWithConcurrency.js';
import { StagedBlobWriter } from '../stagedBlobWriter.js';
import type { StagedFile } from './chunkFiles.js';
import type { AddAction, DeltaSnapshot } from './deltaLog.js';
import { dataFilePrefix, type DeltaTableLayout } from './deltaPaths.js';
import { deltaFileStats } from './deltaStats.js';

export type MergeRequest = {
  layout: DeltaTableLayout;
  keys: string[];
  partitionBy: string[];
  writtenColumns: Column[];
  /** The run's new files: its rows, each the current version of the row with its key. */
  files: StagedFile[];
  /** Keys to remove from the table and not bring back (a merge of change rows: the deletes), as canonical values in key order. */
  deletes?: unknown[][] | undefined;
  runId: string;
  now: () => Date;
  where: string;
};

/**
 * The table's files to remove, and the rewritten files (their rows without the replaced ones) to
 * add; `examined`: the files whose statistics left room for the run's keys, whose key columns
 * were read.
 */
export type MergePlan = { removes: AddAction[]; rewrites: StagedFile[]; examined: number };

/** Files read at once while looking for the run's keys in the table. */
const parallelReads = 8;

/**
 * An upsert by key (Delta MERGE: matched rows updated, the others inserted), done the
 * copy-on-write way, without deletion vectors:
 *
 * 1. The run's keys are read from its new files (the key columns only).
 * 2. A live file can hold one of them only if, for every key column, one of the run's keys lies
 *    between the file's minValues and maxValues (its add's `stats`); a file without statistics
 *    for a key column is a candidate. With a clustered key, an incremental run touching a small
 *    range of keys reaches the few files that hold that range, not the table.
 * 3. Each candidate's key columns are read; one holding none of the run's keys is left alone.
 *    One that does is rewritten, row group by row group, without those rows, by the same
 *    Parquet encoder, to `part-<runId>-m<hash of its path>.snappy.parquet` in its folder
 *    (a name of the run and the file, so planning again writes the same name).
 * The commit removes each rewritten file and adds its rewrite (unless no row is left) and the
 * run's files. A row whose key holds a NULL matches nothing (as in SQL) and is inserted. The
 * run's rows must have distinct keys; two rows of one key would make the table ambiguous.
 * `deletes` (a merge of change rows) are keys removed like the run's and not added back.
 */
export async function planMerge(container: ContainerClient, snapshot: DeltaSnapshot, request: MergeRequest): Promise<MergePlan> {
  const fileColumns = request.writtenColumns.filter((column) => !request.partitionBy.includes(column.name));
  const keyColumns = request.keys.map((key) => {
    const column = fileColumns.find((candidate) => candidate.name === key);
    if (!column) throw new NonRetryableError(`${request.where}: merge key "${key}" is not a column of the files`);
    return column;
  });
  const runKeys = await readRunKeys(container, request, keyColumns);
  if (runKeys.sorted.length === 0) return { removes: [], rewrites: [], examined: 0 };

  const candidates = [...snapshot.files.entries()].filter(([, add]) => mayHoldKeys(add, keyColumns, runKeys.sorted));
  const results = await mapWithConcurrency(candidates, parallelReads, async ([path, add]) => {
    const blob = container.getBlobClient(`${request.layout.table}/${path}`);
    const buffer = blobAsyncBuffer(blob, add.size);
    const metadata = await parquetMetadataAsync(buffer);
    checkReadable(metadata, fileColumns, path, request.where);
    const keys = await parquetCanonicalRows(buffer, keyColumns, 0, Number(metadata.num_rows), metadata);
    if (!keys.some((key) => runKeys.set.has(keyText(keyColumns, key)))) return undefined;
    const rewrite = await rewriteWithout(container, request, fileColumns, keyColumns, runKeys.set, { path, add, buffer, metadata });
    return { add, rewrite };
  });
  const touched = results.filter((result): result is NonNullable<typeof result> => result !== undefined);
  return { removes: touched.map((entry) => entry.add), rewrites: touched.flatMap((entry) => (entry.rewrite ? [entry.rewrite] : [])), examined: candidates.length };
}

/** The types a merge key may have: their values compare exactly (no float, no bytes). */
const keyKinds = new Set<OutputType['kind']>(['int16', 'int32', 'int64', 'decimal', 'string', 'date', 'timestamp', 'boolean']);

/** Why the merge keys cannot be used, per key, for plan refusals and prepare (keys as the table writes them). */
export function mergeKeyProblems(writtenColumns: Column[], keys: string[]): Array<{ column: string; reason: string }> {
  return keys.flatMap((key) => {
    const column = writtenColumns.find((candidate) => candidate.name === key);
    if (!column) return [{ column: key, reason: `merge key "${key}" is not among the columns read` }];
    if (!keyKinds.has(column.type.kind)) return [{ column: key, reason: `merge key "${key}" (${column.sourceType}) is written as ${column.type.kind}, whose values do not compare exactly; a key must be an integer, decimal, string, uuid, time, date, timestamp or boolean column` }];
    return [];
  });
}

type Comparable = number | bigint | string;
type RunKey = { tuple: Array<Comparable | null> };

async function readRunKeys(container: ContainerClient, request: MergeRequest, keyColumns: Column[]): Promise<{ sorted: RunKey[]; set: Set<string> }> {
  const set = new Set<string>();
  const sorted: RunKey[] = [];
  const perFile = await mapWithConcurrency(request.files, parallelReads, async (file) => {
    const buffer = blobAsyncBuffer(container.getBlobClient(file.path), file.bytes);
    const metadata = await parquetMetadataAsync(buffer);
    return parquetCanonicalRows(buffer, keyColumns, 0, Number(metadata.num_rows), metadata);
  });
  for (const rows of [...perFile, request.deletes ?? []]) {
    for (const row of rows) {
      if (row.some((value) => value === null)) continue;
      const text = keyText(keyColumns, row);
      if (set.has(text)) {
        throw new NonRetryableError(`${request.where}: key (${request.keys.join(', ')}) = (${row.map(String).join(', ')}) is in the run's rows more than once; a merge takes one row per key`);
      }
      set.add(text);
      sorted.push({ tuple: row.map((value, index) => comparable(keyColumns[index]!.type, value)) });
    }
  }
  sorted.sort((a, b) => compareTuples(a.tuple, b.tuple));
  return { sorted, set };
}

/** A key's identity: its comparable values, strings with their length so no two keys share a text. */
export function mergeKeyText(keyColumns: Column[], row: unknown[]): string {
  return keyText(keyColumns, row);
}

function keyText(keyColumns: Column[], row: unknown[]): string {
  return row.map((value, index) => {
    const key = comparable(keyColumns[index]!.type, value);
    return typeof key === 'string' ? `s${key.length}:${key}` : String(key);
  }).join('|');
}

/** A canonical value as something ordered as the column's values are. */
function comparable(type: OutputType, value: unknown): Comparable {
  switch (type.kind) {
    case 'decimal': return unscaledDecimal(value as string, type.scale);
    case 'boolean': return value ? 1 : 0;
    default: return value as Comparable;
  }
}

function compare(a: Comparable, b: Comparable): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Strings in code point order (UTF-8 byte order, Delta's and Parquet's), not JavaScript's UTF-16 unit order. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function compareTuples(a: Array<Comparable | null>, b: Array<Comparable | null>): number {
  for (let i = 0; i < a.length; i++) {
    const order = compare(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

type Bound = { lo?: Comparable | undefined; hi?: Comparable | undefined };

/**
 * Whether the file's statistics leave room for one of the run's keys: for the first key column
 * the run's keys between its bounds are found by binary search, and each is checked against the
 * other columns' bounds. A file whose key column is all NULL holds no key; missing or unreadable
 * bounds are open.
 */
function mayHoldKeys(add: AddAction, keyColumns: Column[], sorted: RunKey[]): boolean {
  const stats = parseStats(add.stats);
  if (!stats) return true;
  const numRecords = Number(stats.numRecords);
  const bounds: Bound[] = [];
  for (const column of keyColumns) {
    if (Number(stats.nullCount?.[column.name]) === numRecords && numRecords >= 0) return false;
    bounds.push({ lo: statBound(column.type, stats.minValues?.[column.name], 'min'), hi: statBound(column.type, stats.maxValues?.[column.name], 'max') });
  }
  const first = bounds[0]!;
  let low = 0;
  let high = sorted.length;
  if (first.lo !== undefined) {
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compare(sorted[middle]!.tuple[0]!, first.lo) < 0) low = middle + 1;
      else high = middle;
    }
  }
  for (let index = low; index < sorted.length; index++) {
    const tuple = sorted[index]!.tuple;
    if (first.hi !== undefined && compare(tuple[0]!, first.hi) > 0) break;
    if (bounds.every((bound, column) => (bound.lo === undefined || compare(tuple[column]!, bound.lo) >= 0) && (bound.hi === undefined || compare(tuple[column]!, bound.hi) <= 0))) return true;
  }
  return false;
}

type ParsedStats = { numRecords?: unknown; minValues?: Record<string, unknown>; maxValues?: Record<string, unknown>; nullCount?: Record<string, unknown> };

/** Stats parsed without rounding a number (an int64 or decimal bound must stay exact). */
function parseStats(stats: string | null | undefined): ParsedStats | undefined {
  if (!stats) return undefined;
  try {
    const parsed = parse(stats, null, parseLosslessNumber) as ParsedStats;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A bound from a file's stats as a comparable of the column's type, or undefined (open) when
 * absent or not in a form read here. Timestamps in stats are truncated to milliseconds
 * (PROTOCOL.md "Per-file Statistics", footnote), so a maximum is widened to the last
 * microsecond of its millisecond.
 */
function statBound(type: OutputType, stat: unknown, side: 'min' | 'max'): Comparable | undefined {
  if (stat === undefined || stat === null) return undefined;
  const text = isLosslessNumber(stat) ? stat.value : typeof stat === 'string' ? stat : undefined;
  if (text === undefined) return undefined;
  try {
    switch (type.kind) {
      case 'int16': case 'int32': return /^-?\d+$/.test(text) ? Number(text) : undefined;
      case 'int64': return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
      case 'decimal': return /^-?\d+(\.\d+)?$/.test(text) ? unscaledDecimal(text, type.scale) : undefined;
      case 'string': return isLosslessNumber(stat) ? undefined : text;
      case 'date': {
        const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
        return match ? civilDays(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
      }
      case 'timestamp': {
        const match = timestampPattern.exec(text);
        if (!match) return undefined;
        const days = BigInt(civilDays(Number(match[1]), Number(match[2]), Number(match[3])));
        const fraction = (match[7] ?? '').slice(0, 6);
        let micros = days * 86_400_000_000n + BigInt(Number(match[4]) * 3600 + Number(match[5]) * 60 + Number(match[6])) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
        const zone = match[8];
        if (type.utc && zone && zone !== 'Z') {
          const sign = zone.startsWith('-') ? -1n : 1n;
          micros -= sign * BigInt(Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000_000n;
        }
        if (side === 'max') micros += 10n ** BigInt(6 - fraction.length) - 1n;
        return micros;
      }
      default: return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * Refuses a file whose columns Siphon cannot read back exactly: a physical type other than the
 * one Siphon's encoder writes for the column (another writer's INT96 timestamps, say).
 */
function checkReadable(metadata: FileMetaData, fileColumns: Column[], path: string, where: string): void {
  const expected = new Map(parquetSchema(fileColumns).slice(1).map((element) => [element.name, element]));
  for (const element of metadata.schema.slice(1)) {
    const mine = expected.get(element.name);
    if (!mine) continue;
    if (element.num_children || element.type !== mine.type || (mine.type_length !== undefined && element.type_length !== mine.type_length)) {
      throw new NonRetryableError(`${where}: file ${path} of the table stores column ${element.name} as ${element.type ?? 'a group'}, not as Siphon writes it (${mine.type}); merge cannot rewrite it`);
    }
  }
}

type Candidate = { path: string; add: AddAction; buffer: ReturnType<typeof blobAsyncBuffer>; metadata: FileMetaData };

/** The file's rows without those whose key the run brings, written as a new file; undefined when none is left. */
async function rewriteWithout(container: ContainerClient, request: MergeRequest, fileColumns: Column[], keyColumns: Column[], runKeys: Set<string>, candidate: Candidate): Promise<StagedFile | undefined> {
  const keyIndexes = keyColumns.map((key) => fileColumns.indexOf(key));
  const slash = candidate.path.lastIndexOf('/');
  const folder = slash < 0 ? '' : `${candidate.path.slice(0, slash)}/`;
  const name = `${request.layout.table}/${folder}${dataFilePrefix(request.runId)}m${createHash('sha256').update(candidate.path).digest('hex').slice(0, 16)}.snappy.parquet`;
  const blob = new StagedBlobWriter(container.getBlockBlobClient(name), { contentType: 'application/vnd.apache.parquet' });
  const writer = new ParquetFileWriter(fileColumns, 'snappy', (bytes) => blob.write(bytes));
  let kept = 0;
  let start = 0;
  for (const group of candidate.metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = await parquetCanonicalRows(candidate.buffer, fileColumns, start, end, candidate.metadata);
    const keep = rows.filter((row) => {
      const key = keyIndexes.map((index) => row[index]);
      return key.some((value) => value === null) || !runKeys.has(keyText(keyColumns, key));
    });
    if (keep.length) await writer.writeRows(keep);
    kept += keep.length;
    start = end;
  }
  if (kept === 0) return undefined;
  await writer.finish();
  const committed = await blob.commit();
  return {
    path: name,
    rows: kept,
    bytes: committed.bytes,
    partitionValues: candidate.add.partitionValues,
    stats: deltaFileStats(kept, fileColumns, writer.statistics()),
    modificationTime: request.now().getTime(),
  };
}
