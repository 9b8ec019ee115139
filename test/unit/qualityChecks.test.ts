import { describe, expect, it } from 'vitest';
import { historyBand, meanOf, withinBand } from '../../src/quality/historyBand.js';
import { judgeCheck } from '../../src/quality/judgeCheck.js';
import { durationSeconds, qualityCheckSchema, type QualityCheck } from '../../src/spec/qualitySpec.js';
import { pipelineSpecSchema } from '../../src/spec/pipelineSpec.js';
import { formatZodError } from '../../src/spec/formatZodError.js';

const check = (input: Record<string, unknown>): QualityCheck => qualityCheckSchema.parse(input);
const spec = (quality: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'p', source: { engine: 'postgres', connectionSetting: 'SRC' }, table: { name: 't' }, output: { container: 'out' }, quality, ...extra,
});

describe('volume and duration statistics', () => {
  it('takes the mean of the history and a band of ± percent around it, inclusive at both ends', () => {
    expect(meanOf([100, 200, 300])).toBe(200);
    const band = historyBand([100, 200, 300], 10, 3)!;
    expect(band).toEqual({ mean: 200, low: 180, high: 220, runs: 3 });
    expect([179, 180, 220, 221].map((value) => withinBand(value, band))).toEqual([false, true, true, false]);
  });

  it('has no band while there are fewer runs than minRuns, and never a negative lower bound', () => {
    expect(historyBand([100, 200], 10, 3)).toBeUndefined();
    expect(historyBand([], 10, 1)).toBeUndefined();
    expect(historyBand([10], 500, 1)).toEqual({ mean: 10, low: 0, high: 60, runs: 1 });
    // A pipeline that always wrote nothing: only nothing is within the band.
    const empty = historyBand([0, 0], 50, 2)!;
    expect([withinBand(0, empty), withinBand(1, empty)]).toEqual([true, false]);
  });

  it('judges volume by the newest lastRuns runs only', () => {
    const volume = check({ kind: 'volume', severity: 'fail', percent: 20, lastRuns: 2, minRuns: 2 });
    // Newest first: 100 and 100 count, the old 10,000 does not.
    expect(judgeCheck(volume, { kind: 'volume', rows: 115, history: [100, 100, 10_000] })).toMatchObject({ outcome: 'pass', measured: 115, bound: '80..120 rows (±20% of 100, the mean of the last 2 successful runs)', lowerBound: 80, upperBound: 120 });
    expect(judgeCheck(volume, { kind: 'volume', rows: 121, history: [100, 100, 10_000] }).outcome).toBe('fail');
    expect(judgeCheck(volume, { kind: 'volume', rows: 5, history: [100] })).toMatchObject({ outcome: 'pass', measured: 5, message: 'not enough history: 1 successful run of the at least 2 needed' });
  });

  it('judges duration in seconds against the mean of earlier runs', () => {
    const duration = check({ kind: 'duration', severity: 'warn', percent: 50, minRuns: 1 });
    expect(judgeCheck(duration, { kind: 'duration', seconds: 14.9, history: [10, 10, 10] })).toMatchObject({ outcome: 'pass', measured: 14.9, bound: '5..15 s (±50% of 10, the mean of the last 3 successful runs)' });
    expect(judgeCheck(duration, { kind: 'duration', seconds: 15.0001, history: [10, 10, 10] }).outcome).toBe('warn');
    expect(judgeCheck(duration, { kind: 'duration', seconds: 4, history: [10] }).outcome).toBe('warn');
  });
});

describe('judging the other kinds', () => {
  it('compares notNullRate as counts, so no rounding decides at the limit, and passes a run without rows', () => {
    const rate = check({ kind: 'notNullRate', severity: 'fail', column: 'email', min: 0.9 });
    expect(judgeCheck(rate, { kind: 'notNullRate', rows: 10, nonNull: 9 })).toMatchObject({ outcome: 'pass', measured: 0.9 });
    expect(judgeCheck(rate, { kind: 'notNullRate', rows: 1_000_000, nonNull: 899_999 })).toMatchObject({ outcome: 'fail', measured: 0.899999 });
    expect(judgeCheck(rate, { kind: 'notNullRate', rows: 0, nonNull: 0 })).toMatchObject({ outcome: 'pass', measured: null });
  });

  it('names duplicated keys with their values and rows', () => {
    const unique = check({ kind: 'unique', severity: 'warn', columns: ['a', 'b'] });
    const found = judgeCheck(unique, { kind: 'unique', duplicates: { keys: 12, examples: [{ key: ['1', null], rows: 3 }, { key: ['2', 'x'], rows: 2 }] } });
    expect(found).toMatchObject({ name: 'unique(a, b)', outcome: 'warn', measured: 12 });
    expect(found.message).toBe('12 values of (a, b) occur on more than one row at the source, such as (a=1, b=NULL) on 3 rows; (a=2, b=x) on 2 rows');
    expect(judgeCheck(unique, { kind: 'unique', duplicates: { keys: 0, examples: [] } })).toMatchObject({ outcome: 'pass', measured: 0 });
  });

  it('measures freshness as the age of the newest value at the run\'s start, and fails a column with no value', () => {
    const fresh = check({ kind: 'freshness', severity: 'fail', column: 'at', maxAge: 'PT1H' });
    const runStartedAt = new Date('2026-01-01T12:00:00Z');
    expect(judgeCheck(fresh, { kind: 'freshness', column: 'at', newest: new Date('2026-01-01T11:00:00Z'), runStartedAt })).toMatchObject({ outcome: 'pass', measured: 3600 });
    expect(judgeCheck(fresh, { kind: 'freshness', column: 'at', newest: new Date('2026-01-01T10:59:59.999Z'), runStartedAt })).toMatchObject({ outcome: 'fail', measured: 3600.001 });
    expect(judgeCheck(fresh, { kind: 'freshness', column: 'at', runStartedAt })).toMatchObject({ outcome: 'fail', measured: null });
  });

  it('bounds rowCount by min, max or both', () => {
    const atLeastOne = judgeCheck(check({ kind: 'rowCount', severity: 'fail', min: 1 }), { kind: 'rowCount', rows: 0 });
    expect(atLeastOne).toMatchObject({ outcome: 'fail', bound: 'at least 1 rows', lowerBound: 1 });
    expect(atLeastOne.upperBound).toBeUndefined();
    expect(judgeCheck(check({ kind: 'rowCount', severity: 'fail', min: 1, max: 5 }), { kind: 'rowCount', rows: 5 }).outcome).toBe('pass');
  });
});

describe('the quality spec', () => {
  it('reads ISO 8601 durations of fixed length only', () => {
    expect(['PT1H', 'P1DT12H', 'P2W', 'PT0.5S', 'PT90M'].map(durationSeconds)).toEqual([3600, 129_600, 1_209_600, 0.5, 5400]);
    for (const bad of ['P1M', 'P1Y', 'PT', 'P', '1H', 'PT-1H']) {
      const parsed = qualityCheckSchema.safeParse({ kind: 'freshness', severity: 'warn', maxAge: bad });
      expect(parsed.success, bad).toBe(false);
      expect(formatZodError(parsed.error!), bad).toContain('maxAge');
    }
    expect(formatZodError(qualityCheckSchema.safeParse({ kind: 'freshness', severity: 'warn', maxAge: 'PT0S' }).error!)).toBe('maxAge: must be longer than zero');
  });

  it('names the field of each problem', () => {
    const parsed = pipelineSpecSchema.safeParse(spec({ checks: [
      { kind: 'rowCount', severity: 'fail', min: 5, max: 1 },
      { kind: 'volume', severity: 'warn', percent: 10, lastRuns: 2, minRuns: 3 },
      { kind: 'unique', severity: 'warn', columns: ['a', 'a'] },
      { kind: 'notNullRate', severity: 'warn', column: 'c', min: 1.5 },
      { kind: 'sometimes', severity: 'warn' },
    ] }));
    const paths = parsed.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['quality.checks.0.max', 'quality.checks.1.minRuns', 'quality.checks.2.columns.1', 'quality.checks.3.min', 'quality.checks.4.kind']));
  });

  it('refuses two checks of one name, and freshness by default without a cursor', () => {
    const twice = pipelineSpecSchema.safeParse(spec({ checks: [{ kind: 'rowCount', severity: 'fail', min: 1 }, { kind: 'rowCount', severity: 'warn', max: 9 }] }));
    expect(formatZodError(twice.error!)).toBe('quality.checks.1.name: another check is named "rowCount" (the default name); give this one a name');
    const noCursor = pipelineSpecSchema.safeParse(spec({ checks: [{ kind: 'freshness', severity: 'fail', maxAge: 'PT1H' }] }));
    expect(formatZodError(noCursor.error!)).toContain('quality.checks.0.column: a pipeline without incremental has no cursor');
    expect(pipelineSpecSchema.safeParse(spec({ checks: [{ kind: 'freshness', severity: 'fail', maxAge: 'PT1H' }] }, { incremental: { column: 'at' } })).success).toBe(true);
  });

  it('re-parses a stored spec to itself (defaults applied once)', () => {
    const once = pipelineSpecSchema.parse(spec({ checks: [{ kind: 'volume', severity: 'warn', percent: 25 }, { kind: 'duration', severity: 'fail', percent: 50, lastRuns: 10 }] }));
    expect(once.quality!.checks[0]).toEqual({ kind: 'volume', severity: 'warn', percent: 25, lastRuns: 7, minRuns: 3 });
    expect(pipelineSpecSchema.parse(JSON.parse(JSON.stringify(once)))).toEqual(once);
  });
});
