import { RE2JS } from 're2js';
import type { Column, OutputType } from '../spec/columns.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';
import type { ColumnRules, RuleName, ValidationSpec } from '../spec/validationSpec.js';
import { unscaledDecimal } from '../formats/decimalText.js';
import { fixedDateDays, fixedTimeMicros } from '../sources/dateTimeText.js';
import { microsPerDay, type TimestampWithOffset } from '../formats/canonicalValues.js';
import { textForm } from '../formats/textForms.js';
import { patternProblem } from '../spec/patternProblem.js';
import { compileChecks, type CompiledCheck } from './rowChecks.js';

/**
 * One rule a row's value broke: the column (a check's name for a check, a unique key's columns
 * joined by commas), the rule and what was wrong. `cast` and `transform` are a transforms step
 * that could not make the row (transforms/compileTransforms.ts).
 */
export type RuleFailure = { column: string; rule: RuleName | 'expression' | 'unique' | 'cast' | 'transform'; message: string };

/** The failures of a row (canonical values in the columns' order); empty when it passes. */
export type RowCheck = (row: readonly unknown[]) => RuleFailure[];

type ValueCheck = (value: unknown) => string | undefined;
type CompiledRule = { column: string; index: number; rule: RuleName; check: ValueCheck; ofNull: boolean };

const integerKinds = new Set(['int16', 'int32', 'int64', 'uint64']);
const textKinds = new Set(['string', 'json']);
const orderedKinds = new Set([...integerKinds, 'decimal', 'float32', 'float64', 'date', 'time', 'timestamp', 'timestampOffset']);
const listedKinds = new Set([...integerKinds, ...textKinds, 'uuid', 'boolean']);

/**
 * The validation rules compiled against the columns a run reads (their output types, after
 * columnTypes): every rule that does not fit its column is a refusal naming the field
 * (`validation.rules.<column>.<rule>`), and `check` runs the rules that do. Compiled once per
 * chunk: patterns are compiled here, bounds are made canonical values here, so a row costs
 * only comparisons.
 */
export function compileRowRules(columns: readonly Column[], validation: ValidationSpec | undefined, label: string): { refusals: ColumnRefusal[]; check: RowCheck | undefined } {
  if (!validation) return { refusals: [], check: undefined };
  const refusals: ColumnRefusal[] = [];
  const compiled: CompiledRule[] = [];
  for (const [name, rules] of Object.entries(validation.rules ?? {})) {
    const index = columns.findIndex((column) => column.name === name);
    if (index < 0) {
      refusals.push({ column: name, path: `validation.rules.${name}`, reason: `validation names "${name}", which ${label} does not read` });
      continue;
    }
    const type = columns[index]!.type;
    for (const rule of Object.keys(rules) as RuleName[]) {
      if (rules[rule] === undefined) continue;
      const made = compileRule(type, rule, rules);
      if (typeof made === 'string') refusals.push({ column: name, path: `validation.rules.${name}.${rule}`, reason: `${label}, column "${name}" (${describe(type)}): ${rule} ${made}` });
      else compiled.push({ column: name, index, rule, check: made, ofNull: rule === 'notNull' });
    }
  }
  const checks: CompiledCheck[] = compileChecks(columns, validation.checks ?? [], label, refusals);
  if (refusals.length || (!compiled.length && !checks.length)) return { refusals, check: undefined };
  return {
    refusals,
    check: (row) => {
      const failures: RuleFailure[] = [];
      for (const rule of compiled) {
        const value = row[rule.index];
        // Only notNull speaks of NULL: every other rule is about the values there are.
        if (value == null && !rule.ofNull) continue;
        const message = rule.check(value);
        if (message !== undefined) failures.push({ column: rule.column, rule: rule.rule, message });
      }
      for (const check of checks) {
        const message = check.check(row);
        if (message !== undefined) failures.push({ column: check.name, rule: 'expression', message });
      }
      return failures;
    },
  };
}

/** The check of one rule on a column of this type, or why the rule does not fit it. */
function compileRule(type: OutputType, rule: RuleName, rules: ColumnRules): ValueCheck | string {
  switch (rule) {
    case 'notNull':
      return (value) => (value == null ? 'is NULL' : undefined);
    case 'min':
    case 'max': {
      if (!orderedKinds.has(type.kind)) return `does not apply to a ${type.kind} (min and max are for numbers, dates, times and timestamps)`;
      const bound = rules[rule]!;
      const compare = comparer(type, bound);
      if (typeof compare === 'string') return compare;
      const text = textForm(type);
      return rule === 'min'
        ? (value) => (compare(value) < 0 ? `${text(value)} is below the minimum ${bound}` : undefined)
        : (value) => (compare(value) > 0 ? `${text(value)} is above the maximum ${bound}` : undefined);
    }
    case 'pattern': {
      if (!textKinds.has(type.kind)) return `applies to text only, not a ${type.kind}`;
      // Checked when the spec was saved; a spec stored before that check is refused here, at prepare.
      const problem = patternProblem(rules.pattern!);
      if (problem) return problem;
      // re2js matches in time linear in the value's length, whatever the pattern.
      const pattern = RE2JS.compile(rules.pattern!);
      return (value) => (pattern.matcher(value as string).find() ? undefined : `does not match ${rules.pattern}`);
    }
    case 'maxLength': {
      if (!textKinds.has(type.kind)) return `applies to text only, not a ${type.kind}`;
      const most = rules.maxLength!;
      return (value) => {
        const text = value as string;
        // Code points, not UTF-16 units; the quick test skips counting short strings.
        if (text.length <= most) return undefined;
        const length = [...text].length;
        return length > most ? `is ${length} characters long, more than ${most}` : undefined;
      };
    }
    case 'allowedValues': {
      if (!listedKinds.has(type.kind)) return `does not apply to a ${type.kind} (it is for text, integers, uuids and booleans)`;
      const text = textForm(type);
      const allowed = new Set(rules.allowedValues!.map((value) => String(value)));
      const shown = [...allowed].slice(0, 10).join(', ') + (allowed.size > 10 ? ', …' : '');
      return (value) => (allowed.has(text(value)) ? undefined : `${text(value)} is not one of ${shown}`);
    }
  }
}

/** A comparison of a column's canonical value with the bound (negative: below it), or why the bound does not fit the type. */
function comparer(type: OutputType, bound: number | string): ((value: unknown) => number) | string {
  const sign = (difference: bigint | number) => (difference < 0 ? -1 : difference > 0 ? 1 : 0);
  if (integerKinds.has(type.kind)) {
    const text = String(bound).trim();
    if (!/^[+-]?\d+$/.test(text)) return `must be an integer for a ${type.kind}, not ${bound}`;
    const limit = BigInt(text);
    return (value) => sign(BigInt(value as number | bigint) - limit);
  }
  if (type.kind === 'decimal') {
    const text = String(bound).trim();
    const digits = /^[+-]?\d*(?:\.(\d*))?$/.exec(text);
    if (!digits || !/\d/.test(text)) return `must be a number, not ${bound}`;
    if (typeof bound === 'number' && !Number.isSafeInteger(bound) && String(bound).includes('e')) return `must be given as plain digits, not ${bound}`;
    // Both sides at the larger scale, as bigints: exact whatever the precision.
    const scale = Math.max(type.scale, digits[1]?.length ?? 0);
    const limit = unscaledDecimal(text, scale);
    return (value) => sign(unscaledDecimal(value as string, scale) - limit);
  }
  if (type.kind === 'float32' || type.kind === 'float64') {
    const limit = typeof bound === 'number' ? bound : Number(bound);
    if (!Number.isFinite(limit)) return `must be a number, not ${bound}`;
    // NaN is neither above nor below anything: it fails both bounds.
    return (value) => (Number.isNaN(value) ? (limit >= 0 ? -1 : 1) : sign((value as number) - limit));
  }
  if (typeof bound !== 'string') return `must be ISO text for a ${type.kind} (such as ${exampleOf(type)}), not the number ${bound}`;
  if (type.kind === 'date') {
    const days = bound.length === 10 ? fixedDateDays(bound) : undefined;
    if (days === undefined) return `must be a date as YYYY-MM-DD, not ${bound}`;
    return (value) => sign((value as number) - days);
  }
  if (type.kind === 'time') {
    const micros = fixedTimeMicros(bound);
    if (micros === undefined) return `must be a time as HH:MM:SS[.ffffff], not ${bound}`;
    return (value) => sign((value as bigint) - micros);
  }
  const instant = type.kind === 'timestampOffset' || (type.kind === 'timestamp' && type.utc);
  const micros = timestampMicros(bound, instant);
  if (typeof micros === 'string') return micros;
  if (type.kind === 'timestampOffset') return (value) => sign((value as TimestampWithOffset).micros - micros);
  return (value) => sign((value as bigint) - micros);
}

/**
 * Microseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.ffffff]` (a space may stand for the T),
 * with a zone (`Z`, `+05:30`) for an instant and without one for a wall clock.
 */
function timestampMicros(text: string, instant: boolean): bigint | string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  const days = m ? fixedDateDays(m[1]!) : undefined;
  const time = m ? fixedTimeMicros(m[2]!) : undefined;
  if (!m || days === undefined || time === undefined) return `must be a timestamp as YYYY-MM-DDTHH:MM:SS[.ffffff]${instant ? ' with a zone (Z or +HH:MM)' : ''}, not ${text}`;
  const zone = m[3];
  if (instant && zone === undefined) return `must name its zone (Z or +HH:MM) for a timestamp that is an instant, not ${text}`;
  if (!instant && zone !== undefined) return `must be a wall clock without a zone for a timestamp without time zone, not ${text}`;
  const offsetMinutes = zone === undefined || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return BigInt(days) * microsPerDay + time - BigInt(offsetMinutes) * 60_000_000n;
}

function exampleOf(type: OutputType): string {
  return type.kind === 'date' ? '2024-05-01' : type.kind === 'time' ? '12:30:00' : type.kind === 'timestamp' && !type.utc ? '2024-05-01T12:30:00' : '2024-05-01T12:30:00Z';
}

function describe(type: OutputType): string {
  return type.kind === 'decimal' ? `decimal(${type.precision},${type.scale})` : type.kind;
}
