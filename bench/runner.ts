import type { VerifiedDiff } from './verifyHashDiff.js';
import type { EngineName, KeyRange } from './sourceTables.js';

/** The Azurite container every method uploads into (blobs are deleted after each run). */
export const benchContainer = 'siphon-bench';

/**
 * One measured method, opened once in its child process (connections, DuckDB, ...) and run on a
 * key range: first a short warm-up range, then the measured one.
 */
export type Runner = {
  run(range: KeyRange): Promise<RunResult>;
  close(): Promise<void>;
  /** False for a method whose every run is a fresh process anyway (the Python peers). */
  warmUp?: boolean;
};

export type RunResult = {
  rows: number;
  /** Bytes of the files the method wrote (uploaded, or encoded and dropped). */
  bytes?: number;
  /**
   * The method's own seconds, when part of the wall time is not its work: a Python peer's
   * interpreter start and imports, which a long-running worker pays once, are left out.
   */
  seconds?: number;
  /** CPU seconds and peak RSS of another process that did part of the work (a Python peer). */
  external?: { cpuSeconds: number; maxRssMb: number };
  /** CPU seconds of md5 over the same number of bytes as the output (Siphon's hash phase). */
  hashCpuSeconds?: number;
  /** CPU seconds run() spent preparing its input, not part of the measured work (hashDiff's old state): left out of the run's CPU. */
  excludedCpuSeconds?: number;
  /** Change rows a hashDiff run wrote. */
  changeRows?: number;
  /**
   * Reads the run's output back and throws unless it is exactly right; called after the time,
   * CPU and peak RSS are taken (a hashDiff run: the change rows and the new state).
   */
  verify?: () => Promise<VerifiedDiff>;
  cleanup?: () => Promise<void>;
};

/** Where a method runs: the source, the table and its columns, the blob storage, a scratch folder. */
export type MethodContext = {
  engine: EngineName;
  url: string;
  table: string;
  columns: string[];
  key: string;
  /** Azurite's connection string; the bench's container exists. */
  connectionString: string;
  /** A folder of the bench's own for local files (CSV, Parquet, fifos), removed at the end. */
  scratchDir: string;
  /** The bench venv's python, for the Python peers. */
  python?: string;
};
