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

type StepRun = (work: unknown[]) => TransformFailure | false | undefined;

/**
 * The steps compiled once per chunk into one function of a row: names are resolved to slots,
 * expressions bound, casts and lookup tables made here, so a row costs the steps' own work, one
 * array of the written values, and nothing else (no allocation for rename, drop or filter). The
 * row read is never changed: a rejected row goes to quarantine as it was read.
 */
export function compileTransforms(columnsRead: readonly Column[], transforms: readonly TransformStep[] | undefined): CompiledTransforms {
  if (!transforms?.length) return { refusals: [], columns: [...columnsRead], apply: undefined, canReject: false };
  const plan = planTransforms(columnsRead, transforms);
  if (plan.refusals.length) return { refusals: plan.refusals, columns: plan.columns, apply: undefined, canReject: false };
  const read = columnsRead.length;
  const work: unknown[] = new Array<unknown>(plan.slotCount).fill(null);
  const runs = plan.operations.map((operation) => stepRun(operation, transforms[operation.step]!));
  const slots = plan.outputSlots;
  const written = slots.length;
  // A plan that only drops rows (filters) writes the row read as it is.
  const unchanged = written === read && slots.every((slot, index) => slot === index);
  const canReject = plan.operations.some((operation) => operation.kind === 'cast' || (operation.kind === 'expression') || (operation.kind === 'map' && operation.cast !== undefined));
  const apply: TransformRow = (row) => {
    for (let i = 0; i < read; i++) work[i] = row[i];
    for (let s = 0; s < runs.length; s++) {
      const outcome = runs[s]!(work);
      if (outcome !== undefined) return outcome === false ? null : outcome;
    }
    if (unchanged) return row as unknown[];
    const out = new Array<unknown>(written);
    for (let k = 0; k < written; k++) out[k] = work[slots[k]!];
    return out;
  };
  return { refusals: [], columns: plan.columns, apply, canReject };
}

function stepRun(operation: Operation, step: TransformStep): StepRun {
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
      const fill = (work: unknown[]) => {
        for (let a = 0; a < argumentSlots.length; a++) args[argumentSlots[a]![0]] = work[argumentSlots[a]![1]];
      };
      if (filter) {
        return (work) => {
          fill(work);
          try {
            return bound.evaluate(args) === true ? undefined : false;
          } catch (err) {
            return failure(err);
          }
        };
      }
      return (work) => {
        fill(work);
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
      const { source, target, cast } = operation;
      return (work) => {
        const value = work[source];
        try {
          work[target] = value === null || value === undefined ? null : cast(value);
          return undefined;
        } catch (err) {
          return failure(err);
        }
      };
    }
    case 'map': {
      const { source, target, lookup, text, fallback, cast } = operation;
      return (work) => {
        const value = work[source];
        if (value === null || value === undefined) {
          work[target] = null;
          return undefined;
        }
        const key = text(value);
        const found = lookup.get(key);
        if (found !== undefined || lookup.has(key)) work[target] = found;
        else if (fallback) work[target] = fallback.value;
        else if (cast) {
          try {
            work[target] = cast(value);
          } catch (err) {
            return failure(err);
          }
        } else work[target] = value;
        return undefined;
      };
    }
    case 'concat': {
      const { sources, separator, target } = operation;
      return (work) => {
        let joined: string | null = null;
        for (let p = 0; p < sources.length; p++) {
          const value = work[sources[p]!.slot];
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
