import { patternProblem } from './patternProblem.js';
import { parseExpression } from '../expressions/expression.js';
import type { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { sourceSettingPrefix, sourceSettingProblem } from '../settings.js';
import { reservedContainerProblem } from './reservedContainers.js';
import { sourceQueryRefusal } from '../sources/queryGuard/sourceQueryRefusal.js';
import { defaultDeltaTablePath, type PipelineSpec } from './pipelineSpec.js';
import { deltaNameProblem } from './deltaNames.js';
import { madeNames, transformedNames } from './transformsSpec.js';
import { expressionProblem } from '../transforms/stepExpressions.js';

/**
 * What a new or updated spec must satisfy beyond its shape: rules whose breach would only show
 * at run time (a prepare that fails, a scheduler that silently fires less often) or would let a
 * pipeline reach what is not its own. They apply when the API accepts a spec, not when a stored
 * spec is read, so a rule added later never makes a stored pipeline unreadable.
 */
export function checkNewSpec(spec: PipelineSpec, ctx: z.RefinementCtx): void {
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });

  // A name the shape check refused already has its message.
  const settingProblem = isSettingName(spec.source.connectionSetting) ? sourceSettingProblem(spec.source.connectionSetting, sourceSettingPrefix()) : undefined;
  if (settingProblem) issue(['source', 'connectionSetting'], settingProblem);

  for (const [column, rules] of Object.entries(spec.validation?.rules ?? {})) {
    const problem = rules.pattern === undefined ? undefined : patternProblem(rules.pattern);
    if (problem) issue(['validation', 'rules', column, 'pattern'], problem);
  }
  // Expressions are parsed when saved: a syntax error or a breached limit never reaches a run.
  spec.validation?.checks?.forEach((check, i) => {
    const parsed = parseExpression(check.expression);
    if (!parsed.ok) issue(['validation', 'checks', i, 'expression'], `${parsed.problem.message} at position ${parsed.problem.position}`);
  });

  // Expressions are parsed when the spec is saved, so one that could never run is refused here,
  // at its step and position; what they read and their types are checked at validate and prepare.
  spec.transforms?.forEach((step, index) => {
    if (step.step !== 'compute' && step.step !== 'filter') return;
    const problem = expressionProblem(step.expression);
    if (problem) issue(['transforms', index, 'expression'], `transforms[${index}] (${step.step}): ${problem.message} at position ${problem.position}`);
  });

  const containerProblem = reservedContainerProblem(spec.output.container);
  if (containerProblem) issue(['output', 'container'], containerProblem);

  // Isolation by prefix rather than a container per pipeline: downstream readers expect one
  // container holding many pipelines' folders, and pipeline ids are unique, so a template that
  // starts with {pipeline} can never write into another pipeline's folder.
  if (spec.output.pathTemplate.split('/')[0] !== '{pipeline}') {
    issue(['output', 'pathTemplate'], 'the first folder must be exactly {pipeline}, so a pipeline writes only under its own prefix');
  }

  // The same isolation for a Delta table: its folder (and the run manifests beside it) under {pipeline}.
  // The spec may come here unfinished (another field refused, so defaults were not applied).
  if (spec.output.format === 'delta' && (spec.output.tablePath ?? defaultDeltaTablePath).split('/')[0] !== '{pipeline}') {
    issue(['output', 'tablePath'], 'the first folder must be exactly {pipeline}, so a pipeline writes only under its own prefix');
  }
  if (spec.output.format === 'delta' && spec.columns) {
    // A column renamed by a step reaches the table by its new name, which is checked below.
    const written = new Set(spec.transforms ? transformedNames(spec.transforms, spec.columns) : spec.columns);
    const refused = spec.columns.filter((name) => written.has(name) && deltaNameProblem(name) !== undefined);
    if (refused.length) issue(['columns'], `${refused.map((name) => `"${name}"`).join(', ')}: ${deltaNameProblem(refused[0]!)}`);
  }
  if (spec.output.format === 'delta') {
    spec.transforms?.forEach((step, index) => {
      for (const made of madeNames(step)) {
        const problem = deltaNameProblem(made.name);
        if (problem) issue(['transforms', index, ...made.field], `"${made.name}": ${problem}`);
      }
    });
  }

  // A user query is parsed when it is saved: refused here, it never reaches a source session.
  if (spec.query !== undefined) {
    const refusal = sourceQueryRefusal(spec.source.engine, spec.query);
    if (refusal) issue(['query'], refusal);
  }

  if (spec.columns) {
    const twice = namedTwice(spec.columns);
    if (twice.length) issue(['columns'], `${twice.map((name) => `"${name}"`).join(', ')} named twice (names are compared ignoring case, as Spark, Synapse and DuckDB read them)`);
  }
  const partitionBy = spec.output.partitionBy ?? [];
  if (spec.columns && partitionBy.length) {
    // Partition columns name columns written: after the transforms, when there are any.
    const written = spec.transforms ? transformedNames(spec.transforms, spec.columns) : spec.columns;
    const missing = partitionBy.filter((name) => !written.includes(name));
    if (missing.length) issue(['output', 'partitionBy'], `${missing.map((name) => `"${name}"`).join(', ')} not in ${spec.transforms ? 'the columns written (columns, then transforms)' : 'columns'}: a partition column's values are read with the rows`);
    else if (partitionBy.length >= written.length) issue(['output', 'partitionBy'], 'every column is a partition column, so the files would have none');
  }

  if (spec.output.rowGroupRows > spec.output.maxRowsPerFile) {
    issue(['output', 'rowGroupRows'], `${spec.output.rowGroupRows} rows per row group is more than maxRowsPerFile (${spec.output.maxRowsPerFile}): a row group never spans files`);
  }

  if (spec.schedule) {
    const seconds = secondsOf(spec.schedule.cron);
    if (seconds && seconds.length > 1) {
      issue(['schedule', 'cron'], `fires ${seconds.length} times a minute (seconds ${seconds.slice(0, 6).join(',')}${seconds.length > 6 ? ',...' : ''}); the scheduler ticks once a minute, so the seconds field must be one value`);
    }
  }
}

const isSettingName = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);

/** Names given more than once, ignoring case, each reported once in its first spelling. */
function namedTwice(names: string[]): string[] {
  const seen = new Map<string, string>();
  const twice = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first === undefined) seen.set(key, name);
    else twice.add(first);
  }
  return [...twice];
}

/** The seconds a cron expression fires at; undefined when it does not parse (the shape check says why). */
function secondsOf(cron: string): readonly number[] | undefined {
  try {
    return CronExpressionParser.parse(cron, { tz: 'UTC' }).fields.second.values;
  } catch {
    return undefined;
  }
}
