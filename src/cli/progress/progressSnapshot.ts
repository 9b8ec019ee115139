import { formatCount } from '../../local/progressBar.js';

/** What a progress view shows of a run at one moment. */
export type ProgressSnapshot = {
  status: string;
  rowsCopied: number;
  rowsEstimate?: number;
  chunksDone: number;
  chunksPlanned: number;
  retries: number;
  elapsedSeconds: number;
  /** A many-table run: tables whose run ended, of all it copies (its chunks are its tables'). */
  tables?: { done: number; total: number };
};

export function rowsPerSecond(snapshot: ProgressSnapshot): number {
  return snapshot.elapsedSeconds > 0 ? snapshot.rowsCopied / snapshot.elapsedSeconds : 0;
}

/**
 * Seconds left: from rows when the run estimated its rows, else from chunks done so far;
 * undefined until there is something to extrapolate from.
 */
export function etaSeconds(snapshot: ProgressSnapshot): number | undefined {
  const { rowsCopied, rowsEstimate, chunksDone, chunksPlanned, elapsedSeconds } = snapshot;
  if (elapsedSeconds <= 0) return undefined;
  if (snapshot.tables) return snapshot.tables.done > 0 ? ((snapshot.tables.total - snapshot.tables.done) * elapsedSeconds) / snapshot.tables.done : undefined;
  if (rowsEstimate && rowsCopied > 0) return Math.max(0, ((rowsEstimate - rowsCopied) * elapsedSeconds) / rowsCopied);
  if (chunksPlanned > 0 && chunksDone > 0) return ((chunksPlanned - chunksDone) * elapsedSeconds) / chunksDone;
  return undefined;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** The facts of a snapshot as one line, shared by the bar's payload and the plain lines. */
export function progressFacts(snapshot: ProgressSnapshot): string {
  const rows = snapshot.rowsEstimate ? `${formatCount(snapshot.rowsCopied)}/${formatCount(snapshot.rowsEstimate)} rows` : `${formatCount(snapshot.rowsCopied)} rows`;
  return [
    rows,
    `${formatCount(Math.round(rowsPerSecond(snapshot)))} rows/s`,
    snapshot.tables ? `tables ${snapshot.tables.done}/${snapshot.tables.total}` : `chunks ${snapshot.chunksDone}/${snapshot.chunksPlanned}`,
    `retries ${snapshot.retries}`,
    `ETA ${formatDuration(etaSeconds(snapshot))}`,
  ].join(', ');
}

const compactNumber = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/**
 * The bar's shorter form, for an 80-column terminal: compact numbers (1.2M), the ETA first (the
 * bar is cut at the terminal's width from the right, so the least needed fact goes last).
 */
export function compactProgressFacts(snapshot: ProgressSnapshot): string {
  const rows = snapshot.rowsEstimate ? `${compactNumber.format(snapshot.rowsCopied)}/${compactNumber.format(snapshot.rowsEstimate)}` : compactNumber.format(snapshot.rowsCopied);
  return `ETA ${formatDuration(etaSeconds(snapshot))} | ${rows} rows ${compactNumber.format(Math.round(rowsPerSecond(snapshot)))}/s | ${snapshot.tables ? `tables ${snapshot.tables.done}/${snapshot.tables.total}` : `chunks ${snapshot.chunksDone}/${snapshot.chunksPlanned}`} | retries ${snapshot.retries}`;
}
