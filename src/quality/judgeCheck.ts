import { checkName, durationSeconds, type QualityCheck, type QualityCheckResult, type QualityOutcome } from '../spec/qualitySpec.js';
import type { DuplicateKeys } from '../sources/sourceConnector.js';
import { historyBand, withinBand } from './historyBand.js';

/**
 * What was measured for one check, by its kind (quality/measureQuality.ts gathers it): the rows
 * the run wrote, earlier runs' values, counts at the source, the newest value of a column.
 */
export type Measurement =
  | { kind: 'rowCount'; rows: number }
  | { kind: 'volume'; rows: number; history: number[] }
  | { kind: 'duration'; seconds: number; history: number[] }
  | { kind: 'notNullRate'; rows: number; nonNull: number }
  | { kind: 'unique'; duplicates: DuplicateKeys }
  | { kind: 'freshness'; column: string; newest?: Date | undefined; runStartedAt: Date };

/** Examples of duplicated keys named in a message; the query fetches no more than this. */
export const duplicateExamples = 5;

const rowsText = (rows: number) => `${rows} row${rows === 1 ? '' : 's'}`;
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/**
 * The check's result from its measurement: `pass` within the bound, else the check's severity.
 * Pure: the same check and measurement give the same result (finalize may run twice).
 */
export function judgeCheck(check: QualityCheck, measurement: Measurement): QualityCheckResult {
  const name = checkName(check);
  const result = (passed: boolean, measured: number | null, bound: string, message: string, limits: { lowerBound?: number | undefined; upperBound?: number | undefined } = {}): QualityCheckResult => {
    const outcome: QualityOutcome = passed ? 'pass' : check.severity;
    return {
      name, kind: check.kind, severity: check.severity, outcome, measured, bound,
      ...(limits.lowerBound === undefined ? {} : { lowerBound: limits.lowerBound }),
      ...(limits.upperBound === undefined ? {} : { upperBound: limits.upperBound }),
      message,
    };
  };
  if (check.kind !== measurement.kind) throw new Error(`Check ${name} (${check.kind}) was measured as ${measurement.kind}`);
  switch (measurement.kind) {
    case 'rowCount': {
      const { min, max } = check as Extract<QualityCheck, { kind: 'rowCount' }>;
      const bound = min !== undefined && max !== undefined ? `between ${min} and ${max} rows` : min !== undefined ? `at least ${min} rows` : `at most ${max} rows`;
      const passed = (min === undefined || measurement.rows >= min) && (max === undefined || measurement.rows <= max);
      return result(passed, measurement.rows, bound, `the run wrote ${rowsText(measurement.rows)}; expected ${bound}`, { lowerBound: min, upperBound: max });
    }
    case 'volume':
    case 'duration': {
      const { percent, lastRuns, minRuns } = check as Extract<QualityCheck, { kind: 'volume' | 'duration' }>;
      const history = measurement.history.slice(0, lastRuns);
      // Judged exactly; shown to the millisecond.
      const exact = measurement.kind === 'volume' ? measurement.rows : measurement.seconds;
      const value = measurement.kind === 'volume' ? measurement.rows : round(measurement.seconds, 3);
      const unit = measurement.kind === 'volume' ? 'rows' : 's';
      const band = historyBand(history, percent, minRuns);
      if (!band) return result(true, value, `±${percent}% of the mean of the last ${lastRuns} successful runs`, `not enough history: ${history.length} successful run${history.length === 1 ? '' : 's'} of the at least ${minRuns} needed`);
      const bound = `${round(band.low)}..${round(band.high)} ${unit} (±${percent}% of ${round(band.mean)}, the mean of the last ${band.runs} successful runs)`;
      const what = measurement.kind === 'volume' ? `the run wrote ${rowsText(measurement.rows)}` : `the run took ${value} s`;
      return result(withinBand(exact, band), value, bound, `${what}; expected ${bound}`, { lowerBound: band.low, upperBound: band.high });
    }
    case 'notNullRate': {
      const { column, min } = check as Extract<QualityCheck, { kind: 'notNullRate' }>;
      const bound = `at least ${min} of the rows`;
      if (measurement.rows === 0) return result(true, null, bound, `column "${column}": the run has no rows to measure`, { lowerBound: min });
      const share = measurement.nonNull / measurement.rows;
      // Compared as counts, so no rounding of the share decides a run's fate at the limit.
      return result(measurement.nonNull >= min * measurement.rows, round(share, 6), bound, `column "${column}": ${measurement.nonNull} of ${rowsText(measurement.rows)} are not NULL (${round(share * 100, 4)}%); expected ${bound}`, { lowerBound: min });
    }
    case 'unique': {
      const { columns } = check as Extract<QualityCheck, { kind: 'unique' }>;
      const { keys, examples } = measurement.duplicates;
      const bound = 'no key value on more than one row';
      if (keys === 0) return result(true, 0, bound, `(${columns.join(', ')}) is unique over the run's rows at the source`, { upperBound: 0 });
      const shown = examples.slice(0, duplicateExamples).map((example) => `(${example.key.map((value, index) => `${columns[index]}=${value ?? 'NULL'}`).join(', ')}) on ${example.rows} rows`);
      return result(false, keys, bound, `${keys} value${keys === 1 ? '' : 's'} of (${columns.join(', ')}) ${keys === 1 ? 'occurs' : 'occur'} on more than one row at the source, such as ${shown.join('; ')}`, { upperBound: 0 });
    }
    case 'freshness': {
      const { maxAge } = check as Extract<QualityCheck, { kind: 'freshness' }>;
      const limit = durationSeconds(maxAge);
      const bound = `at most ${limit} s old (${maxAge}) at the run's start`;
      if (!measurement.newest) return result(false, null, bound, `column "${measurement.column}" has no value in the run's rows at the source`, { upperBound: limit });
      const ageMs = measurement.runStartedAt.getTime() - measurement.newest.getTime();
      const age = round(ageMs / 1000, 3);
      return result(ageMs <= limit * 1000, age, bound, `the newest "${measurement.column}" is ${measurement.newest.toISOString()}, ${age} s before the run's start at ${measurement.runStartedAt.toISOString()}; expected ${bound}`, { upperBound: limit });
    }
  }
}
