import type { Column, OutputType } from '../spec/columns.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';
import { castTypeOf, type CastType, type TransformStep } from '../spec/transformsSpec.js';
import { textForm } from '../formats/textForms.js';
import { castOf, sameType, typeText, type Cast } from './castValue.js';
import { bindStepExpression, type BoundStepExpression } from './stepExpressions.js';

/**
 * The steps of a pipeline's `transforms` worked out against the columns a run reads (their
 * output types, after columnTypes): the columns written, every refusal naming its step
 * (at `transforms.2.expression`, saying `transforms[2] (compute): ...`), and for the copy the operations of one row.
 *
 * Values live in slots: the columns read fill the first ones, and each step that makes a value
 * (compute, cast, mapValues, concat) writes a slot of its own, so rename and drop cost nothing
 * per row and the values as read stay untouched for the quarantine. A name points at a slot.
 */
export type TransformPlan = {
  /** The columns written, in order: the read columns that remain (renamed), then the ones steps made. */
  columns: Column[];
  refusals: ColumnRefusal[];
  /** Slots a row needs: the columns read, then one per value a step makes. */
  slotCount: number;
  /** The slot of each written column. */
  outputSlots: number[];
  operations: Operation[];
};

/** One step's work on a row's slots. */
export type Operation =
  | { kind: 'expression'; step: number; filter: boolean; target: number; bound: BoundStepExpression; argumentSlots: Array<[argument: number, slot: number]>; argumentCount: number; cast: Cast | undefined; column: string }
  | { kind: 'map'; step: number; source: number; target: number; lookup: Map<string, unknown>; text: (value: unknown) => string; fallback: { value: unknown } | undefined; cast: Cast | undefined; column: string }
  | { kind: 'cast'; step: number; source: number; target: number; cast: Cast; column: string }
  | { kind: 'concat'; step: number; sources: Array<{ slot: number; text: (value: unknown) => string }>; separator: string; target: number; column: string };

type Named = { column: Column; slot: number };

/** The columns a run writes when its transforms are applied to the columns it reads; refusals name the step. */
export function deriveOutputColumns(columnsRead: readonly Column[], transforms: readonly TransformStep[] | undefined): { columns: Column[]; refusals: ColumnRefusal[] } {
  const plan = planTransforms(columnsRead, transforms);
  return { columns: plan.columns, refusals: plan.refusals };
}

export function planTransforms(columnsRead: readonly Column[], transforms: readonly TransformStep[] | undefined): TransformPlan {
  let current: Named[] = columnsRead.map((column, slot) => ({ column, slot }));
  let slotCount = columnsRead.length;
  const refusals: ColumnRefusal[] = [];
  const operations: Operation[] = [];
  const find = (name: string) => current.findIndex((entry) => entry.column.name.toLowerCase() === name.toLowerCase());
  const exact = (name: string) => current.findIndex((entry) => entry.column.name === name);

  (transforms ?? []).forEach((step, index) => {
    const at = `transforms[${index}]`;
    // Paths as the API names every field (`transforms.2.type`, as zod's issues do, so the
    // dashboard's form puts them on the field); messages name the step as people write it.
    const refuse = (field: string, column: string, reason: string) => refusals.push({ column, path: `transforms.${index}${field}`, reason: `${at} (${step.step}): ${reason}` });
    /** The entry of a column a step reads, or a refusal. */
    const read = (field: string, name: string): Named | undefined => {
      const found = exact(name);
      if (found < 0) {
        const other = find(name);
        refuse(field, name, other < 0 ? `"${name}" is not a column at this step (columns: ${names(current)})` : `"${name}" is not a column at this step; did you mean "${current[other]!.column.name}"?`);
        return undefined;
      }
      return current[found];
    };
    /** Whether a new name is free (names compare ignoring case, as readers compare them). */
    const free = (field: string, name: string, except?: Set<string>): boolean => {
      const found = find(name);
      if (found < 0 || except?.has(current[found]!.column.name)) return true;
      refuse(field, name, `"${name}" is already a column here ("${current[found]!.column.name}"); drop or rename it first`);
      return false;
    };
    const newSlot = () => slotCount++;

    switch (step.step) {
      case 'rename': {
        const renames = Object.entries(step.columns);
        const leaving = new Set(renames.map(([from]) => from));
        const targets = new Set<string>();
        const renamed = new Map<string, string>();
        for (const [from, to] of renames) {
          const entry = read(`.columns.${from}`, from);
          if (!entry) continue;
          if (targets.has(to.toLowerCase())) {
            refuse(`.columns.${from}`, to, `"${to}" is the new name of two columns`);
            continue;
          }
          targets.add(to.toLowerCase());
          if (free(`.columns.${from}`, to, leaving)) renamed.set(from, to);
        }
        current = current.map((entry) => (renamed.has(entry.column.name) ? { ...entry, column: { ...entry.column, name: renamed.get(entry.column.name)! } } : entry));
        break;
      }
      case 'drop': {
        const dropped = new Set<string>();
        step.columns.forEach((name, position) => {
          if (read(`.columns.${position}`, name)) dropped.add(name);
        });
        current = current.filter((entry) => !dropped.has(entry.column.name));
        if (current.length === 0) refuse('.columns', step.columns[0]!, 'drops every column, so nothing would be written');
        break;
      }
      case 'compute':
      case 'filter': {
        const bound = bindStepExpression(step.expression, current.map((entry) => entry.column));
        if (!bound.ok) {
          refuse('.expression', step.step === 'compute' ? step.name : '', `${bound.problem.message} at position ${bound.problem.position}`);
          if (step.step === 'compute' && free('.name', step.name)) current = [...current, { column: computed(step.name, { kind: 'string' }, index, 'compute'), slot: newSlot() }];
          break;
        }
        const argumentSlots: Array<[number, number]> = [];
        for (const name of bound.bound.columns) {
          const position = exact(name);
          if (position >= 0) argumentSlots.push([position, current[position]!.slot]);
        }
        if (step.step === 'filter') {
          if (bound.bound.type.kind !== 'boolean') {
            refuse('.expression', '', `a filter keeps the rows where its expression is true, but this one is a ${typeText(bound.bound.type)}`);
            break;
          }
          operations.push({ kind: 'expression', step: index, filter: true, target: -1, bound: bound.bound, argumentSlots, argumentCount: current.length, cast: undefined, column: '' });
          break;
        }
        let type: OutputType = bound.bound.type;
        let cast: Cast | undefined;
        if (step.type !== undefined) {
          const declared = castTypeOf(step.type) as CastType;
          const made = castOf(type, declared);
          if (typeof made === 'string') refuse('.type', step.name, `the expression is a ${typeText(type)}: ${made}`);
          else if (!sameType(type, declared)) cast = made;
          type = declared;
        }
        if (!free('.name', step.name)) break;
        const target = newSlot();
        operations.push({ kind: 'expression', step: index, filter: false, target, bound: bound.bound, argumentSlots, argumentCount: current.length, cast, column: step.name });
        current = [...current, { column: computed(step.name, type, index, 'compute'), slot: target }];
        break;
      }
      case 'cast': {
        const entry = read('.column', step.column);
        if (!entry) break;
        const type = castTypeOf(step.type) as CastType;
        const cast = castOf(entry.column.type, type);
        if (typeof cast === 'string') {
          refuse('.type', step.column, `column "${step.column}": ${cast}`);
          break;
        }
        const target = newSlot();
        operations.push({ kind: 'cast', step: index, source: entry.slot, target, cast, column: step.column });
        current = current.map((other) => (other === entry ? { column: retyped(entry.column, type), slot: target } : other));
        break;
      }
      case 'mapValues': {
        const entry = read('.column', step.column);
        if (!entry) break;
        const from = entry.column.type;
        const declared = step.type === undefined ? undefined : (castTypeOf(step.type) as CastType);
        const type: OutputType = declared ?? from;
        const valueOf = jsonValueReader(type);
        if (typeof valueOf === 'string') {
          refuse(declared ? '.type' : '.values', step.column, `column "${step.column}" (${typeText(from)}): ${valueOf}`);
          break;
        }
        const lookup = new Map<string, unknown>();
        let bad = false;
        for (const [text, value] of Object.entries(step.values)) {
          const made = valueOf(value);
          if (made instanceof Error) {
            refuse(`.values.${text}`, step.column, `column "${step.column}": ${made.message}`);
            bad = true;
          } else lookup.set(text, made);
        }
        let fallback: { value: unknown } | undefined;
        let cast: Cast | undefined;
        if (step.default !== undefined) {
          const made = valueOf(step.default);
          if (made instanceof Error) {
            refuse('.default', step.column, `column "${step.column}": ${made.message}`);
            bad = true;
          } else fallback = { value: made };
        } else if (declared) {
          // A value not listed is kept, so it must become one of the new type.
          const made = castOf(from, declared);
          if (typeof made === 'string') {
            refuse('.type', step.column, `column "${step.column}": values not listed are kept, and ${made}; give a default`);
            bad = true;
          } else if (!sameType(from, declared)) cast = made;
        }
        if (bad) break;
        const target = newSlot();
        operations.push({ kind: 'map', step: index, source: entry.slot, target, lookup, text: textForm(from), fallback, cast, column: step.column });
        const nullable = entry.column.nullable || [...lookup.values()].includes(null) || fallback?.value === null;
        current = current.map((other) => (other === entry ? { column: { ...retyped(entry.column, type), nullable }, slot: target } : other));
        break;
      }
      case 'concat': {
        const parts = step.columns.map((name, position) => read(`.columns.${position}`, name));
        if (!free('.name', step.name) || parts.some((part) => !part)) break;
        const sources = (parts as Named[]).map((part) => ({ slot: part.slot, text: textForm(part.column.type) }));
        const target = newSlot();
        operations.push({ kind: 'concat', step: index, sources, separator: step.separator, target, column: step.name });
        const column = { ...computed(step.name, { kind: 'string' }, index, 'concat'), nullable: (parts as Named[]).every((part) => part.column.nullable) };
        current = [...current, { column, slot: target }];
        break;
      }
    }
  });
  return { columns: current.map((entry) => entry.column), refusals, slotCount, outputSlots: current.map((entry) => entry.slot), operations };
}

function computed(name: string, type: OutputType, index: number, step: string): Column {
  // Nothing says an expression cannot be NULL (a column it reads may be): computed columns are nullable.
  return { name, sourceType: `transforms[${index}].${step}`, nullable: true, type };
}

function retyped(column: Column, type: OutputType): Column {
  const { override: _override, ...rest } = column;
  return { ...rest, type };
}

function names(entries: Named[]): string {
  const shown = entries.slice(0, 20).map((entry) => `"${entry.column.name}"`).join(', ');
  return entries.length > 20 ? `${shown}, …` : shown;
}

/**
 * How a lookup table's JSON value becomes a value of the column's type: null is NULL, text is
 * read as a cast from text reads it (numbers as their digits), or why no value of the type can be
 * given in a table.
 */
function jsonValueReader(type: OutputType): ((value: string | number | boolean | null) => unknown) | string {
  if (type.kind === 'string' || type.kind === 'json') return (value) => (value === null ? null : String(value));
  const target = castTypeOf(typeText(type));
  if (typeof target === 'string') return `a lookup table cannot give a ${typeText(type)}; give "type" (${typeText(type)} to string, say)`;
  const cast = castOf({ kind: 'string' }, target);
  if (typeof cast === 'string') return cast;
  return (value) => {
    if (value === null) return null;
    try {
      return cast(String(value));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
}
