import { z } from 'zod';

/**
 * `quality`: checks a run must pass after its copy and before its manifest (quality/). Each has a
 * severity: `fail` fails the run (no manifest, as validation's maxRejectedRows does), `warn`
 * records the outcome and the run succeeds. Which columns a check names, and whether they fit
 * (freshness needs a date or timestamp), is checked against the source at validate and prepare
 * (quality/qualityColumnRefusals.ts); the rest here, from the text alone.
 */
const identifier = z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL');

export const qualitySeverities = ['warn', 'fail'] as const;
export type QualitySeverity = (typeof qualitySeverities)[number];

const common = {
  /** What the results and notifications call the check; default its kind (and column). Unique within the pipeline. */
  name: z.string().min(1).max(100).regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters').optional(),
  severity: z.enum(qualitySeverities),
};

/** How many earlier successful runs a volume or duration check compares with, and how many it needs before it judges. */
const history = {
  /** Within ± this percentage of the mean of the last `lastRuns` successful runs. */
  percent: z.number().positive().max(10_000),
  lastRuns: z.number().int().min(1).max(100).default(7),
  /** Fewer successful runs than this: the check passes, noting "not enough history". */
  minRuns: z.number().int().min(1).max(100).default(3),
};

/**
 * An ISO 8601 duration of weeks, days, hours, minutes and seconds (`PT1H`, `P1DT12H`, `P2W`).
 * Years and months are refused: their length depends on the calendar, and a bound should not.
 */
export const fixedDurationPattern = /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Seconds of a duration that matches fixedDurationPattern. */
export function durationSeconds(text: string): number {
  const match = fixedDurationPattern.exec(text);
  if (!match) throw new Error(`not an ISO 8601 duration of weeks, days, hours, minutes and seconds: ${JSON.stringify(text)}`);
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number];
  return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds;
}

const isoDuration = z
  .string()
  .max(40)
  .refine((text) => fixedDurationPattern.test(text), 'an ISO 8601 duration of weeks, days, hours, minutes and seconds, such as PT1H, P1DT12H or P2W (years and months have no fixed length)')
  .refine((text) => !fixedDurationPattern.test(text) || durationSeconds(text) > 0, 'must be longer than zero');

const rowCountCheck = z
  .object({ ...common, kind: z.literal('rowCount'), min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
  .strict()
  .superRefine((check, ctx) => {
    if (check.min === undefined && check.max === undefined) ctx.addIssue({ code: 'custom', path: ['min'], message: 'give min, max or both' });
    if (check.min !== undefined && check.max !== undefined && check.min > check.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `must be at least min (${check.min})` });
  });

const historyRefinement = (check: { lastRuns: number; minRuns: number }, ctx: z.RefinementCtx) => {
  if (check.minRuns > check.lastRuns) ctx.addIssue({ code: 'custom', path: ['minRuns'], message: `must be at most lastRuns (${check.lastRuns}): the check never looks at more runs than that` });
};

const volumeCheck = z.object({ ...common, kind: z.literal('volume'), ...history }).strict().superRefine(historyRefinement);
const durationCheck = z.object({ ...common, kind: z.literal('duration'), ...history }).strict().superRefine(historyRefinement);

const notNullRateCheck = z
  .object({ ...common, kind: z.literal('notNullRate'), column: identifier, /** The least share (0..1) of the run's rows whose value is not NULL. */ min: z.number().min(0).max(1) })
  .strict();

export const maxUniqueKeyColumns = 16;
const uniqueCheck = z
  .object({ ...common, kind: z.literal('unique'), columns: z.array(identifier).min(1).max(maxUniqueKeyColumns) })
  .strict()
  .superRefine((check, ctx) => {
    check.columns.forEach((column, index) => {
      if (check.columns.indexOf(column) < index) ctx.addIssue({ code: 'custom', path: ['columns', index], message: `"${column}" is named twice` });
    });
  });

const freshnessCheck = z
  .object({
    ...common,
    kind: z.literal('freshness'),
    /** A date or timestamp column; default the incremental cursor. */
    column: identifier.optional(),
    maxAge: isoDuration,
  })
  .strict();

export const qualityCheckSchema = z.discriminatedUnion('kind', [rowCountCheck, volumeCheck, notNullRateCheck, uniqueCheck, freshnessCheck, durationCheck]);
export type QualityCheck = z.infer<typeof qualityCheckSchema>;
export const qualityKinds = ['rowCount', 'volume', 'notNullRate', 'unique', 'freshness', 'duration'] as const;
export type QualityKind = (typeof qualityKinds)[number];

export const qualitySchema = z
  .object({ checks: z.array(qualityCheckSchema).min(1).max(50) })
  .strict()
  .superRefine((quality, ctx) => {
    const names = quality.checks.map(checkName);
    names.forEach((name, index) => {
      if (names.indexOf(name) < index) ctx.addIssue({ code: 'custom', path: ['checks', index, 'name'], message: `another check is named "${name}"${quality.checks[index]!.name === undefined ? ' (the default name); give this one a name' : ''}` });
    });
  });
export type QualitySpec = z.infer<typeof qualitySchema>;

/** A check's name in results: its own, or its kind with the column(s) it looks at. */
export function checkName(check: QualityCheck): string {
  if (check.name !== undefined) return check.name;
  switch (check.kind) {
    case 'notNullRate': return `notNullRate(${check.column})`;
    case 'unique': return `unique(${check.columns.join(', ')})`;
    case 'freshness': return check.column === undefined ? 'freshness' : `freshness(${check.column})`;
    default: return check.kind;
  }
}

/**
 * Checks that need more of the spec than the check itself: a freshness check without a column
 * reads the incremental cursor, so the pipeline must have one. Called from the pipeline spec's
 * own refinement (spec/pipelineSpec.ts).
 */
export function qualityNeedsCursor(quality: QualitySpec | undefined, incremental: { column: string } | undefined, ctx: z.RefinementCtx): void {
  quality?.checks.forEach((check, index) => {
    if (check.kind === 'freshness' && check.column === undefined && !incremental) {
      ctx.addIssue({ code: 'custom', path: ['quality', 'checks', index, 'column'], message: 'a pipeline without incremental has no cursor for freshness to read by default; name a date or timestamp column' });
    }
  });
}

/**
 * What a run's checks found, stored on the run record (`quality`) and shown by the API, the CLI
 * and the dashboard; notifications read it too, so the shape is fixed. `measured` is a number in
 * the check's unit (rows; a share 0..1; duplicated keys; seconds of age or duration), or null when
 * nothing could be measured (not enough history); `bound` says the bound in the same unit.
 */
export const qualityOutcomes = ['pass', 'warn', 'fail'] as const;
export type QualityOutcome = (typeof qualityOutcomes)[number];
export const qualityCheckResultSchema = z.object({
  name: z.string(),
  kind: z.enum(qualityKinds),
  severity: z.enum(qualitySeverities),
  outcome: z.enum(qualityOutcomes),
  measured: z.number().nullable(),
  bound: z.string(),
  /** The bound as numbers, where it has them (in `measured`'s unit): telemetry's lowerBound and upperBound. */
  lowerBound: z.number().optional(),
  upperBound: z.number().optional(),
  message: z.string(),
});
export type QualityCheckResult = z.infer<typeof qualityCheckResultSchema>;
export const runQualitySchema = z.object({ checks: z.array(qualityCheckResultSchema) });
export type RunQuality = z.infer<typeof runQualitySchema>;
