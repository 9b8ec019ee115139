import type { Column } from '../spec/columns.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';
import type { TransformStep } from '../spec/transformsSpec.js';
import { CastFailure } from './castValue.js';
import { planTransforms, type Operation } from './planTransforms.js';
import { isExpressionValueError } from './stepExpressions.js';

/** Why a row could not be transformed: it goes to quarantine with this failure, not the output. */
export class TransformFailure {
  constructor(readonly column: string, readonly rule: 'cast' | 'transform', readonly message: string) {}
}

/** The written row, `null` when a filter dropped it, or the failure that sends it to quarantine. */
export type TransformRow = (row: readonly unknown[]) => unknown[] | null | TransformFailure;

export type CompiledTransforms = {
  refusals: ColumnRefusal[];
  /** The columns written. */
  columns: Column[];
  /** Absent when there are no steps. */
  apply: TransformRow | undefined;
  /** Whether a row can fail a step (cast, compute): the copy then keeps a quarantine. */
  canReject: boolean;
};

/**
 * One step on a row: values of slots below `read` are the row's own (never copied, never
 * written), the others are `work`'s. Undefined: go on; false: a filter dropped the row.
 */
type StepRun = (row: readonly unknown[], work: unknown[]) => TransformFailure | false | undefined;

/**
 * The steps compiled once per chunk into one function of a row: names are resolved to slots,
 * expressions bound, casts and lookup tables made here, so a row costs the steps' own work, one
 * array of the written values, and nothing else (no allocation for rename, drop or filter). The
 * row read is never changed: a rejected row goes to quarantine as it was read.
 */
/**
 * `reuseRow`: the caller takes each written row's values before asking for the next (a Parquet
 * row group copies them into its columns as they come), so one array serves every row.
 */
export function compileTransforms(columnsRead: readonly Column[], transforms: readonly TransformStep[] | undefined, options: { reuseRow?: boolean } = {}): CompiledTransforms {
  if (!transforms?.length) return { refusals: [], columns: [...columnsRead], apply: undefined, canReject: false };
  const plan = planTransforms(columnsRead, transforms);
  if (plan.refusals.length) return { refusals: plan.refusals, columns: plan.columns, apply: undefined, canReject: false };
  const read = columnsRead.length;
  const work: unknown[] = new Array<unknown>(plan.slotCount).fill(null);
  const runs = plan.operations.map((operation) => stepRun(operation, transforms[operation.step]!, read));
  const slots = plan.outputSlots;
  const fromRow = slots.map((slot) => slot < read);
  const written = slots.length;
  const reused = options.reuseRow ? new Array<unknown>(written).fill(null) : undefined;
  // A plan that only drops rows (filters) writes the row read as it is.
  const unchanged = written === read && slots.every((slot, index) => slot === index);
  const canReject = plan.operations.some((operation) => operation.kind === 'cast' || (operation.kind === 'expression') || (operation.kind === 'map' && operation.cast !== undefined));
  const apply: TransformRow = (row) => {
    for (let s = 0; s < runs.length; s++) {
      const outcome = runs[s]!(row, work);
      if (outcome !== undefined) return outcome === false ? null : outcome;
    }
    if (unchanged) return row as unknown[];
    const out = reused ?? new Array<unknown>(written);
    for (let k = 0; k < written; k++) out[k] = fromRow[k] ? row[slots[k]!] : work[slots[k]!];
    return out;
  };
  return { refusals: [], columns: plan.columns, apply, canReject };
}

/** How a step reads a slot: from the row read, or from the values earlier steps made. */
function slotReader(slot: number, read: number): (row: readonly unknown[], work: unknown[]) => unknown {
  return slot < read ? (row) => row[slot] : (_row, work) => work[slot];
}

/** Values a lookup remembers by the value itself (numbers, strings, booleans, bigints), so most rows skip the text form. */
const maxRemembered = 10_000;

function stepRun(operation: Operation, step: TransformStep, read: number): StepRun {
  const at = `transforms[${operation.step}] (${step.step}${operation.column ? ` "${operation.column}"` : ''})`;
  const failure = (err: unknown): TransformFailure => {
    if (err instanceof CastFailure) return new TransformFailure(operation.column, 'cast', `${at}: ${err.message}`);
    if (isExpressionValueError(err)) return new TransformFailure(operation.column, 'transform', `${at}: ${err.message}`);
    // Anything else is a fault of Siphon's, not of the row: the chunk fails and says so.
    throw err;
  };
  switch (operation.kind) {
    case 'expression': {
      const { bound, argumentSlots, target, cast, filter } = operation;
      const args: unknown[] = new Array<unknown>(operation.argumentCount).fill(null);
      const positions = argumentSlots.map(([position]) => position);
      const sources = argumentSlots.map(([, slot]) => slot);
      const inRow = sources.map((slot) => slot < read);
      const fill = (row: readonly unknown[], work: unknown[]) => {
        for (let a = 0; a < positions.length; a++) args[positions[a]!] = inRow[a] ? row[sources[a]!] : work[sources[a]!];
      };
      if (filter) {
        return (row, work) => {
          fill(row, work);
          try {
            return bound.evaluate(args) === true ? undefined : false;
          } catch (err) {
            return failure(err);
          }
        };
      }
      return (row, work) => {
        fill(row, work);
        try {
          const value = bound.evaluate(args);
          work[target] = cast === undefined || value === null || value === undefined ? (value ?? null) : cast(value);
          return undefined;
        } catch (err) {
          return failure(err);
        }
      };
    }
    case 'cast': {
      const { target, cast } = operation;
      const source = slotReader(operation.source, read);
      return (row, work) => {
        const value = source(row, work);
        try {
          work[target] = value === null || value === undefined ? null : cast(value);
          return undefined;
        } catch (err) {
          return failure(err);
        }
      };
    }
    case 'map': {
      const { target, lookup, text, fallback, cast } = operation;
      const source = slotReader(operation.source, read);
      // What a primitive value maps to, remembered; a value whose row fails is not remembered.
      const remembered = new Map<unknown, unknown>();
      const mapped = (value: unknown): unknown => {
        const key = text(value);
        const found = lookup.get(key);
        if (found !== undefined || lookup.has(key)) return found;
        if (fallback) return fallback.value;
        return cast ? cast(value) : value;
      };
      return (row, work) => {
        const value = source(row, work);
        if (value === null || value === undefined) {
          work[target] = null;
          return undefined;
        }
        // 0 and -0 are one key to a Map but two texts to a float column: neither is remembered.
        const primitive = typeof value !== 'object' && value !== 0;
        if (primitive) {
          const known = remembered.get(value);
          if (known !== undefined || remembered.has(value)) {
            work[target] = known;
            return undefined;
          }
        }
        try {
          const result = mapped(value);
          if (primitive && remembered.size < maxRemembered) remembered.set(value, result);
          work[target] = result;
          return undefined;
        } catch (err) {
          return failure(err);
        }
      };
    }
    case 'concat': {
      const { separator, target } = operation;
      const sources = operation.sources.map((part) => ({ ...part, read: slotReader(part.slot, read) }));
      return (row, work) => {
        let joined: string | null = null;
        for (let p = 0; p < sources.length; p++) {
          const value = sources[p]!.read(row, work);
          if (value === null || value === undefined) continue;
          const part = sources[p]!.text(value);
          joined = joined === null ? part : joined + separator + part;
        }
        work[target] = joined;
        return undefined;
      };
    }
  }
}
