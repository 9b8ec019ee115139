import { NonRetryableError } from '../../errors/errorTypes.js';

/**
 * Where a Delta table's parts live in the container:
 *
 * ```
 * <table>/_delta_log/<20-digit version>.json                         the commits (PROTOCOL.md "Delta Log Entries")
 * <table>/[<col>=<value>/...]part-<runId>-c<chunk>-<file>.snappy.parquet   data files ("Data Files")
 * <parent>/_siphon_runs/<table name>/run=<runId>/_manifest.json, _SUCCESS, chunks/c<chunk>.json
 * <parent>/_siphon_runs/<table name>/run=<runId>/_changes/part-c<chunk>-<file>.snappy.parquet   a merge's change rows
 * ```
 *
 * A change-capture pipeline that merges writes its change rows (`_change_type`,
 * `_change_version`) to the run's `_changes/` folder, beside the table: the audit trail of what
 * the run applied. The merge folds them into data files of the table's columns, at the names the
 * copy would have given them (sink/delta/applyChanges.ts).
 *
 * A data file's name is a pure function of (run, chunk, file), so a retried chunk overwrites its
 * own files and never adds; no two runs share a name ("Data files MUST be uniquely named"). The
 * run's manifest and its chunks' file lists go beside the table, not inside it: no Delta reader
 * or vacuum (Siphon's or another tool's) ever takes them for table files, and `_siphon_runs`
 * starts with `_`, which no pipeline id does, so it is no pipeline's folder.
 */
export type DeltaTableLayout = {
  /** The table's folder in the container, without a trailing slash. */
  table: string;
  /** `<table>/_delta_log/`, the prefix every commit's name starts with. */
  logPrefix: string;
  commit(version: number): string;
  /** The folder of one run's manifest, `_SUCCESS` and chunk file lists; it holds the run id. */
  runFolder(runId: string): string;
  /** Where a chunk's copy records its files with their Delta statistics, for the commit. */
  chunkFiles(runId: string, chunk: number): string;
  dataFile(runId: string, chunk: number, file: number, partitionFolder: string): string;
  /** A merge's change file of (run, chunk, file), in the run's `_changes/` folder. */
  changeFile(runId: string, chunk: number, file: number): string;
};

export const deltaLogFolder = '_delta_log';
export const siphonRunsFolder = '_siphon_runs';
export const changesFolder = '_changes';

/** The (chunk, file) of a change file's name (layout.changeFile), for the data file its rows fold into. */
export function changeFileNumbers(path: string): { chunk: number; file: number } {
  const match = /\/part-c(\d{5,})-(\d{4,})\.snappy\.parquet$/.exec(path);
  if (!match) throw new Error(`${path} is not a change file's name`);
  return { chunk: Number(match[1]), file: Number(match[2]) };
}

export function deltaTableLayout(tablePath: string, pipelineId: string, table: string): DeltaTableLayout {
  const tableFolder = tablePath.replace(/\{([^{}]*)\}/g, (_, token: string) => {
    if (token === 'pipeline') return pipelineId;
    if (token === 'table') return table.replace(/[/\\]/g, '_');
    throw new NonRetryableError(`Delta table path token {${token}} has no value`);
  });
  const slash = tableFolder.lastIndexOf('/');
  const parent = slash < 0 ? '' : `${tableFolder.slice(0, slash)}/`;
  const name = tableFolder.slice(slash + 1);
  const runFolder = (runId: string) => `${parent}${siphonRunsFolder}/${name}/run=${runId}`;
  return {
    table: tableFolder,
    logPrefix: `${tableFolder}/${deltaLogFolder}/`,
    commit: (version) => `${tableFolder}/${deltaLogFolder}/${versionName(version)}.json`,
    runFolder,
    chunkFiles: (runId, chunk) => `${runFolder(runId)}/chunks/c${pad(chunk, 5)}.json`,
    dataFile: (runId, chunk, file, partitionFolder) => `${tableFolder}/${partitionFolder ? `${partitionFolder}/` : ''}${dataFilePrefix(runId)}c${pad(chunk, 5)}-${pad(file, 4)}.snappy.parquet`,
    changeFile: (runId, chunk, file) => `${runFolder(runId)}/${changesFolder}/part-c${pad(chunk, 5)}-${pad(file, 4)}.snappy.parquet`,
  };
}

/** Every data file a run writes (copied or rewritten by a merge) has a name starting with this. */
export function dataFilePrefix(runId: string): string {
  return `part-${runId}-`;
}

/** A version as its commit's file name: zero-padded to 20 digits. */
export function versionName(version: number): string {
  return pad(version, 20);
}

/** The version a commit's blob name holds, or undefined for any other file of the log. */
export function commitVersion(blobName: string): number | undefined {
  const match = /\/(\d{20})\.json$/.exec(blobName);
  return match ? Number(match[1]) : undefined;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * A data file's path relative to the table root as the log states it: "a URI as specified by
 * RFC 2396" (PROTOCOL.md "Add File and Remove File"). Every character a URI path segment holds
 * as it is (RFC 3986 pchar) stays; the rest, `%` included, becomes %XX of its UTF-8 bytes. Spark
 * writes the same (`x=a b%3A/` becomes `x=a%20b%253A/`), and readers decode before they open.
 */
export function logPathOf(relativePath: string): string {
  return relativePath.split('/').map((segment) => [...new TextEncoder().encode(segment)].map((byte) => {
    const char = String.fromCharCode(byte);
    return byte < 0x80 && /[A-Za-z0-9\-._~!$&'()*+,;=:@]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('')).join('/');
}

/** The relative path a log path names (the inverse of logPathOf, and of other writers' encodings). */
export function pathOfLogPath(logPath: string): string {
  return decodeURIComponent(logPath);
}
