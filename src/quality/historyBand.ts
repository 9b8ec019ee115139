/**
 * The band a volume or duration check accepts: ± `percent` of the mean of earlier successful
 * runs' values. Bounds are kept as exact as the inputs allow; the comparison is inclusive, so a
 * value exactly at the edge passes.
 */
export type HistoryBand = { mean: number; low: number; high: number; runs: number };

export function meanOf(values: readonly number[]): number {
  if (values.length === 0) throw new Error('The mean of no values');
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Undefined while there are fewer than `minRuns` values: too little history to judge by. */
export function historyBand(values: readonly number[], percent: number, minRuns: number): HistoryBand | undefined {
  if (values.length < Math.max(1, minRuns)) return undefined;
  const mean = meanOf(values);
  const spread = (Math.abs(mean) * percent) / 100;
  return { mean, low: Math.max(0, mean - spread), high: mean + spread, runs: values.length };
}

export function withinBand(value: number, band: HistoryBand): boolean {
  return value >= band.low && value <= band.high;
}
