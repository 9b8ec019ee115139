import { z } from 'zod';
import type { OutputType } from './columns.js';
import { overrideTypeOf } from './columnTypes.js';

/**
 * `transforms`: an ordered list of steps applied to each batch of rows in the copy activity, on
 * the typed (canonical) values, after validation and before the rows are encoded
 * (transforms/compileTransforms.ts). Each step is an object named by its `step`:
 *
 * - `rename`: `{"step": "rename", "columns": {"old": "new"}}`;
 * - `drop`: `{"step": "drop", "columns": ["a", "b"]}`;
 * - `compute`: `{"step": "compute", "name": "total", "expression": "price * quantity", "type": "decimal(18,2)"}`
 *   adds a column (the expression's type, or `type` when given: the value is cast to it);
 * - `filter`: `{"step": "filter", "expression": "status <> 'deleted'"}` keeps the rows where the
 *   expression is true (false and NULL drop the row: counted as `rowsFiltered`, not rejected);
 * - `mapValues`: `{"step": "mapValues", "column": "status", "values": {"A": "active"}, "default": "other"}`
 *   replaces values looked up by their text form; without `default` a value not listed is kept;
 *   `type` gives the column a new type (the values are given in it);
 * - `cast`: `{"step": "cast", "column": "code", "type": "int32"}`; a value that does not convert
 *   sends its row to the run's `_quarantine/` files (rule `cast`);
 * - `concat`: `{"step": "concat", "name": "full_name", "columns": ["first", "last"], "separator": " "}`
 *   a string column of the columns' text forms; NULL parts are left out, all NULL gives NULL.
 *
 * Expressions are parsed by the API when a spec is saved (spec/newSpecRules.ts), not here: this
 * schema is bundled into the dashboard. Whatever needs the source's columns (a name that is not
 * read, a type a step does not fit) is checked at validate and prepare
 * (transforms/planTransforms.ts), naming the step.
 */
export const maxTransformSteps = 100;

const name = z.string().min(1).max(128).regex(/^[^\u0000]+$/, 'must not contain NUL');
const expression = z.string().min(1).max(10_000);

/**
 * The types a cast (and compute's and mapValues' `type`) names: the columnTypes syntax
 * (`string`, `decimal(p,s)`) and the other types of that spelling a value can be made into.
 */
export const castTypeNames = ['string', 'decimal(p,s)', 'int16', 'int32', 'int64', 'float64', 'boolean', 'date', 'timestamp', 'timestamptz'] as const;

export type CastType = Extract<OutputType, { kind: 'string' | 'decimal' | 'int16' | 'int32' | 'int64' | 'float64' | 'boolean' | 'date' | 'timestamp' }>;

/** The output type a cast's text names, or what is wrong with it. */
export function castTypeOf(text: string): CastType | string {
  const trimmed = text.trim().toLowerCase();
  switch (trimmed) {
    case 'int16': case 'int32': case 'int64': case 'float64': case 'boolean': case 'date':
      return { kind: trimmed };
    case 'timestamp': return { kind: 'timestamp', utc: false };
    case 'timestamptz': return { kind: 'timestamp', utc: true };
  }
  const type = overrideTypeOf(trimmed);
  return typeof type === 'string' ? `"${text}" is not a type a value can be cast to: use one of ${castTypeNames.join(', ')}` : type;
}

/** A cast type's text as stored: normalized, so a stored spec parses to itself. */
export function castTypeText(type: CastType): string {
  if (type.kind === 'decimal') return `decimal(${type.precision},${type.scale})`;
  if (type.kind === 'timestamp') return type.utc ? 'timestamptz' : 'timestamp';
  return type.kind;
}

const castType = z.string().max(40).transform((text, ctx) => {
  const type = castTypeOf(text);
  if (typeof type === 'string') {
    ctx.addIssue({ code: 'custom', message: type });
    return z.NEVER;
  }
  return castTypeText(type);
});

/** A value of a lookup table: given as JSON and read as the column's (new) type at prepare; null is NULL. */
const mappedValue = z.union([z.string().max(10_000), z.number().finite(), z.boolean(), z.null()]);

const renameStep = z.object({
  step: z.literal('rename'),
  /** Old name to new name. */
  columns: z.record(name, name).refine((record) => Object.keys(record).length >= 1 && Object.keys(record).length <= 1_000, 'rename 1 to 1,000 columns'),
}).strict();

const dropStep = z.object({ step: z.literal('drop'), columns: z.array(name).min(1).max(1_000) }).strict();

const computeStep = z.object({ step: z.literal('compute'), name, expression, type: castType.optional() }).strict();

const filterStep = z.object({ step: z.literal('filter'), expression }).strict();

const mapValuesStep = z.object({
  step: z.literal('mapValues'),
  column: name,
  /** The text form of a value (formats/textForms.ts: `12.50` for a decimal(10,2), `2024-05-01` for a date) to its replacement. */
  values: z.record(z.string().max(10_000), mappedValue).refine((record) => Object.keys(record).length >= 1 && Object.keys(record).length <= 10_000, 'map 1 to 10,000 values'),
  /** The value of a text not listed; absent, such a value is kept (cast to `type` when one is given). */
  default: mappedValue.optional(),
  type: castType.optional(),
}).strict();

const castStep = z.object({ step: z.literal('cast'), column: name, type: castType }).strict();

const concatStep = z.object({
  step: z.literal('concat'),
  name,
  columns: z.array(name).min(1).max(1_000),
  separator: z.string().max(1_000).default(''),
}).strict();

export const transformStepSchema = z.discriminatedUnion('step', [renameStep, dropStep, computeStep, filterStep, mapValuesStep, castStep, concatStep]);

export type TransformStep = z.infer<typeof transformStepSchema>;
export type TransformStepName = TransformStep['step'];

/** The steps' names are checked with the spec's `columns` beside them (pipelineSpec.ts, transformNameProblems). */
export const transformsSchema = z.array(transformStepSchema).min(1).max(maxTransformSteps);

export type TransformsSpec = z.infer<typeof transformsSchema>;

/** A problem at a step's field: `path` inside `transforms` (`[2, 'name']`). */
export type StepProblem = { path: Array<string | number>; message: string };

/**
 * What is wrong with the steps' names alone, before the source's columns are known: a name
 * made twice, a column used after a step dropped or renamed it away, a column used before the
 * step that makes it. With `inputNames` (the spec's `columns`), names that are not read too.
 * Names are compared ignoring case, as Spark, Synapse and DuckDB read them. What needs the
 * columns' types (and the columns a compute's expression reads) is checked at prepare.
 */
export function transformNameProblems(steps: readonly TransformStep[], inputNames: readonly string[] | undefined): StepProblem[] {
  const problems: StepProblem[] = [];
  const key = (text: string) => text.toLowerCase();
  // Names the steps made and that are still there; names they removed (dropped, renamed away).
  const present = new Map<string, number>();
  const removed = new Map<string, string>();
  const known = inputNames ? new Set(inputNames.map(key)) : undefined;
  for (const name of inputNames ?? []) present.set(key(name), -1);
  // Each name any step makes, with the first step that makes it: a use before it is a mistake.
  const madeAt = new Map<string, number>();
  steps.forEach((step, index) => {
    for (const made of madeNames(step)) if (!madeAt.has(key(made.name))) madeAt.set(key(made.name), index);
  });

  const use = (index: number, field: Array<string | number>, name: string) => {
    const k = key(name);
    if (present.has(k)) return;
    const gone = removed.get(k);
    if (gone) problems.push({ path: [index, ...field], message: `"${name}" is no longer a column here: ${gone}` });
    else if ((madeAt.get(k) ?? -1) >= index) problems.push({ path: [index, ...field], message: `"${name}" is made by a later step (transforms[${madeAt.get(k)}]); steps run in order` });
    else if (known && !known.has(k)) problems.push({ path: [index, ...field], message: `"${name}" is not among the columns read` });
  };
  const make = (index: number, field: Array<string | number>, name: string) => {
    const k = key(name);
    if (present.has(k) && (present.get(k)! >= 0 || known)) {
      const at = present.get(k)!;
      problems.push({ path: [index, ...field], message: `"${name}" is already a column here (${at < 0 ? 'read from the source' : `made by transforms[${at}]`}); drop or rename it first` });
      return;
    }
    present.set(k, index);
    removed.delete(k);
  };
  const remove = (index: number, name: string, why: string) => {
    const k = key(name);
    present.delete(k);
    removed.set(k, `transforms[${index}] ${why} it`);
  };

  steps.forEach((step, index) => {
    switch (step.step) {
      case 'rename': {
        const renames = Object.entries(step.columns);
        for (const [from] of renames) use(index, ['columns', from], from);
        for (const [from] of renames) remove(index, from, 'renamed');
        for (const [from, to] of renames) make(index, ['columns', from], to);
        break;
      }
      case 'drop':
        step.columns.forEach((name, at) => use(index, ['columns', at], name));
        for (const name of step.columns) remove(index, name, 'dropped');
        if (known && present.size === 0) problems.push({ path: [index, 'columns'], message: 'drops every column, so nothing would be written' });
        break;
      case 'compute':
        make(index, ['name'], step.name);
        break;
      case 'filter':
        break;
      case 'mapValues':
      case 'cast':
        use(index, ['column'], step.column);
        break;
      case 'concat':
        step.columns.forEach((name, at) => use(index, ['columns', at], name));
        make(index, ['name'], step.name);
        break;
    }
  });
  return problems;
}

/** The names a step adds to the row, with the field that names each. */
export function madeNames(step: TransformStep): Array<{ name: string; field: Array<string | number> }> {
  switch (step.step) {
    case 'rename': return Object.entries(step.columns).map(([from, to]) => ({ name: to, field: ['columns', from] }));
    case 'compute': case 'concat': return [{ name: step.name, field: ['name'] }];
    default: return [];
  }
}

/** The names written when the steps run on columns of these names (names only: the types come at prepare). */
export function transformedNames(steps: readonly TransformStep[], inputNames: readonly string[]): string[] {
  let names = [...inputNames];
  for (const step of steps) {
    if (step.step === 'rename') names = names.map((name) => step.columns[name] ?? name);
    else if (step.step === 'drop') names = names.filter((name) => !step.columns.includes(name));
    else if (step.step === 'compute' || step.step === 'concat') names = [...names, step.name];
  }
  return names;
}
