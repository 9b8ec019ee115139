import { z } from 'zod';

/**
 * `validation`: rules each row's typed values must meet, checked in the copy activity after
 * columnTypes' conversion (validation/rowRules.ts). A row that fails any rule is not written to
 * the output but to the run's `_quarantine/` files, with every failed rule (validation/
 * quarantineWriter.ts); `maxRejectedRows` / `maxRejectedPercent` fail the run at finalize, before
 * its manifest, when more rows than that were rejected. Which rule fits which output type is
 * checked against the source's columns at prepare (and at validate), naming the field.
 */
const bound = z.union([z.number().finite(), z.string().min(1).max(100)]);

/**
 * Patterns are compiled by re2js: linear time in the value's length, so no spec can make a copy
 * hang on a hostile pattern. Whether re2 compiles one is checked by the API (spec/newSpecRules.ts,
 * spec/patternProblem.ts), not here: this schema is bundled into the dashboard, and re2js is not.
 */
const patternSchema = z.string().min(1).max(1_000);

export const columnRulesSchema = z
  .object({
    notNull: z.literal(true).optional(),
    /** Inclusive bounds: numbers (integers and decimals compare exactly; give a decimal as a string to keep its digits), or ISO text for dates, times and timestamps. */
    min: bound.optional(),
    max: bound.optional(),
    /** A string value must contain a match; anchor with ^ and $ to match the whole value. */
    pattern: patternSchema.optional(),
    allowedValues: z.array(z.union([z.string().max(1_000), z.number().finite(), z.boolean()])).min(1).max(1_000).optional(),
    /** Characters (code points) a string value may hold at most. */
    maxLength: z.number().int().min(0).max(100_000_000).optional(),
  })
  .strict()
  .refine((rules) => Object.values(rules).some((value) => value !== undefined), 'give at least one rule');

export type ColumnRules = z.infer<typeof columnRulesSchema>;
export const ruleNames = ['notNull', 'min', 'max', 'pattern', 'allowedValues', 'maxLength'] as const;
export type RuleName = (typeof ruleNames)[number];

/**
 * A cross-column check: a row fails when the expression (README, "Expressions") is false; NULL
 * passes, as SQL's CHECK. Its text is parsed by the API when the spec is saved (spec/
 * newSpecRules.ts) and bound to the columns at validate and prepare, where a non-boolean
 * expression is refused: the parser is not bundled into the dashboard with this schema.
 */
export const checkSchema = z
  .object({
    name: z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL'),
    expression: z.string().min(1).max(4_000),
  })
  .strict();

export type ValidationCheck = z.infer<typeof checkSchema>;

export const validationSchema = z
  .object({
    rules: z
      .record(z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL'), columnRulesSchema)
      .refine((record) => Object.keys(record).length >= 1 && Object.keys(record).length <= 1_000, 'name 1 to 1,000 columns')
      .optional(),
    checks: z
      .array(checkSchema)
      .min(1)
      .max(100)
      .superRefine((checks, ctx) => {
        const seen = new Set<string>();
        checks.forEach((check, i) => {
          if (seen.has(check.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${check.name}" names two checks; each check needs its own name` });
          seen.add(check.name);
        });
      })
      .optional(),
    /** The run fails, with no manifest, when more rows than this were rejected. */
    maxRejectedRows: z.number().int().min(0).optional(),
    /** The run fails, with no manifest, when more than this percentage of the rows read were rejected. */
    maxRejectedPercent: z.number().min(0).max(100).optional(),
  })
  .strict()
  .refine((validation) => validation.rules !== undefined || validation.checks !== undefined, 'give rules, checks or both');

export type ValidationSpec = z.infer<typeof validationSchema>;
