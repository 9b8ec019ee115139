import { NonRetryableError } from '../errors/errorTypes.js';
import { runGeneration } from '../jobs/pipelineGeneration.js';
import type { Services } from '../services.js';
import type { Column } from '../spec/columns.js';
import type { KeyKind, RunRowsRequest, SourceConnector } from '../sources/sourceConnector.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { QualityCheck } from '../spec/qualitySpec.js';
import { RunStatus } from '../spec/runStatus.js';
import { readTargetOf } from '../sources/readTarget.js';
import { openSourceSession } from '../sources/sourceSessions.js';

import type { RunRecord } from '../store/runStore.js';
import { duplicateExamples, type Measurement } from './judgeCheck.js';

/** What the run itself contributes: the rows it wrote and when it started. */
export type RunFacts = { rows: number; startedAt: Date; now: Date };

/** The most successful runs one look at the history reads (a check's lastRuns is at most 100). */
const maxHistoryScanned = 2_000;

/**
 * Measures every check of the run, in the checks' order. History (volume, duration) is the
 * pipeline's latest successful runs of the same generation, read once for all checks. Checks
 * that look at the source share one session, opened only when one needs it: the non-NULL
 * counts of all notNullRate checks in one aggregate, each unique check's GROUP BY, and the
 * newest value of a freshness column that is not the run's cursor. Every statement reads the
 * run's rows as its chunks read them (the target within the run's cursor window).
 */
export async function measureQuality(services: Services, run: RunRecord & { spec: PipelineSpec; columns: Column[] }, facts: RunFacts): Promise<Measurement[]> {
  const checks = run.spec.quality?.checks ?? [];
  const history = checks.some((check) => check.kind === 'volume' || check.kind === 'duration') ? await successfulHistory(services, run, Math.max(...checks.map((check) => ('lastRuns' in check ? check.lastRuns : 0)))) : [];
  const runSeconds = (facts.now.getTime() - facts.startedAt.getTime()) / 1000;
  const target = readTargetOf(run.spec);
  const window = run.window && { column: run.window.column, kind: run.window.kind, after: run.window.after, upTo: run.window.upTo };
  // An incremental run without a window read nothing (an empty source and no watermark yet).
  const readNothing = run.spec.incremental !== undefined && !window;
  const rowsRequest: RunRowsRequest = { target, ...(window ? { window } : {}) };
  const columnOf = (name: string, index: number, field: string): Column => {
    const column = run.columns.find((candidate) => candidate.name === name);
    if (!column) throw new NonRetryableError(`quality.checks.${index}.${field}: the run does not read a column "${name}"`);
    return column;
  };

  let source: SourceConnector | undefined;
  const openSource = async () => (source ??= await openSourceSession(services, run.spec.source, { purpose: `quality:${run.runId}` }));
  try {
    const nullChecked = [...new Set(checks.flatMap((check) => (check.kind === 'notNullRate' ? [check.column] : [])))];
    const nonNull = new Map<string, number>();
    let countedRows = 0;
    if (nullChecked.length && !readNothing) {
      const columns = nullChecked.map((name) => columnOf(name, checks.findIndex((check) => check.kind === 'notNullRate' && check.column === name), 'column'));
      const counts = await (await openSource()).countNonNull({ ...rowsRequest, columns });
      countedRows = counts.rows;
      nullChecked.forEach((name, index) => nonNull.set(name, counts.nonNull[index]!));
    }
    const measurements: Measurement[] = [];
    for (const [index, check] of checks.entries()) {
      measurements.push(await measureOne(check, index));
    }
    return measurements;

    async function measureOne(check: QualityCheck, index: number): Promise<Measurement> {
      switch (check.kind) {
        case 'rowCount': return { kind: 'rowCount', rows: facts.rows };
        case 'volume': return { kind: 'volume', rows: facts.rows, history: history.map((entry) => entry.rows) };
        case 'duration': return { kind: 'duration', seconds: runSeconds, history: history.map((entry) => entry.seconds) };
        case 'notNullRate': return { kind: 'notNullRate', rows: countedRows, nonNull: nonNull.get(check.column) ?? 0 };
        case 'unique': {
          if (readNothing) return { kind: 'unique', duplicates: { keys: 0, examples: [] } };
          const keys = check.columns.map((name, position) => columnOf(name, index, `columns.${position}`));
          return { kind: 'unique', duplicates: await (await openSource()).duplicateKeys({ ...rowsRequest, keys, limit: duplicateExamples }) };
        }
        case 'freshness': {
          const column = check.column ?? run.spec.incremental?.column;
          if (column === undefined) throw new NonRetryableError(`quality.checks.${index}.column: the pipeline has no incremental cursor; name a column`);
          // The run's cursor: its window's top, the cursor's maximum captured at prepare (a
          // backfill's top is the range asked for, not the newest data, so it asks the source).
          if (column === run.window?.column && run.window.mode !== 'backfill') return { kind: 'freshness', column, newest: instantOf(run.window.kind, run.window.upTo, index), runStartedAt: facts.startedAt };
          if (column === run.spec.incremental?.column && readNothing) return { kind: 'freshness', column, runStartedAt: facts.startedAt };
          const bounds = await (await openSource()).keyBounds(target, column);
          return { kind: 'freshness', column, newest: bounds.max === undefined ? undefined : instantOf(bounds.kind, bounds.max, index), runStartedAt: facts.startedAt };
        }
      }
    }
  } finally {
    await (source as SourceConnector | undefined)?.close();
  }
}

/** A date or timestamp's digits (days, or microseconds since the epoch; see KeyBounds) as an instant; timestamps without a zone are taken as UTC. */
function instantOf(kind: KeyKind, digits: string, index: number): Date {
  switch (kind) {
    case 'date': return new Date(Number(digits) * 86_400_000);
    case 'timestamp': case 'timestamptz': return new Date(Number(BigInt(digits) / 1000n));
    default: throw new NonRetryableError(`quality.checks.${index}.column: freshness needs a date or timestamp column, not ${kind === 'integer' ? 'an integer' : `a ${kind}`}`);
  }
}

/** Rows and seconds of the pipeline's latest successful runs of this generation, newest first. */
async function successfulHistory(services: Services, run: RunRecord, limit: number): Promise<Array<{ rows: number; seconds: number }>> {
  const generation = runGeneration(run);
  const page = await services.runs.listPage(run.pipelineId, { limit, statuses: [RunStatus.succeeded], maxScanned: maxHistoryScanned });
  return page.runs
    .filter((earlier) => earlier.runId !== run.runId && runGeneration(earlier) === generation && earlier.startedAt && earlier.endedAt)
    .map((earlier) => ({ rows: earlier.rows, seconds: (Date.parse(earlier.endedAt!) - Date.parse(earlier.startedAt!)) / 1000 }));
}
