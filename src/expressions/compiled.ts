import { decimalTextOf } from '../formats/decimalText.js';
import { microsPerDay } from '../formats/canonicalValues.js';
import { dateText, float64Text, timeText, timestampText } from '../formats/textForms.js';
import { fitPrecision, int64, powerOfTen } from './exactNumbers.js';
import { ExpressionValueError } from './valueError.js';
import { describeType, maxPrecision, type ValueType } from './valueTypes.js';

/** A row's value of a part of an expression, in its held form (valueTypes.ts) or null. */
export type Evaluate = (row: readonly unknown[]) => unknown;

/** A bound part of an expression: its type, its closure, and its value when it is a literal. */
export type Compiled = { type: ValueType; run: Evaluate; constant?: { value: unknown } };

/** A type error found while binding, with the position of the part it is about. */
export class BindProblem extends Error {
  constructor(readonly position: number, message: string) {
    super(message);
  }
}

/** A part whose held value is converted to a wider type (integer to decimal or float, date to timestamp). */
export function coerce(part: Compiled, to: ValueType): Compiled {
  const from = part.type;
  const convert = converter(from, to);
  if (!convert) return { ...part, type: to };
  const run = part.run;
  return {
    type: to,
    run: (row) => {
      const value = run(row);
      return value === null ? null : convert(value);
    },
    ...(part.constant ? { constant: { value: part.constant.value === null ? null : convert(part.constant.value) } } : {}),
  };
}

function converter(from: ValueType, to: ValueType): ((value: unknown) => unknown) | undefined {
  if (from.kind === 'null') return undefined;
  if (to.kind === 'decimal') {
    const shift = powerOfTen(to.scale - (from.kind === 'decimal' ? from.scale : 0));
    return shift === 1n ? undefined : (value) => (value as bigint) * shift;
  }
  if (to.kind === 'float') {
    if (from.kind === 'integer') return (value) => Number(value);
    if (from.kind === 'decimal') {
      const scale = from.scale;
      return (value) => Number(decimalTextOf(value as bigint, scale));
    }
  }
  if (to.kind === 'timestamp' && from.kind === 'date') return (value) => BigInt(value as number) * microsPerDay;
  return undefined;
}

/** The text of a held value, as the text formats write it: what `||`, concat and cast to string make. */
export function textOf(type: ValueType): (value: unknown) => string {
  switch (type.kind) {
    case 'integer': return (value) => String(value);
    case 'decimal': {
      const scale = type.scale;
      return (value) => decimalTextOf(value as bigint, scale);
    }
    case 'float': return (value) => float64Text(value as number);
    case 'boolean': return (value) => (value ? 'true' : 'false');
    case 'string': return (value) => value as string;
    case 'date': return (value) => dateText(value as number);
    case 'time': return (value) => timeText(value as bigint);
    case 'timestamp': {
      const utc = type.utc;
      return (value) => timestampText(value as bigint, utc);
    }
    case 'null': return () => '';
  }
}

/** The canonical value (canonicalValues.ts) of a held value of the result's type. */
export function canonicalOf(type: ValueType): ((value: unknown) => unknown) | undefined {
  switch (type.kind) {
    case 'integer':
      return type.width === 'int64' ? (value) => int64(value as bigint) : (value) => Number(value);
    case 'decimal': {
      const { precision, scale } = type;
      // Only a capped precision can be exceeded: every other result type is wide enough by its derivation.
      return precision >= maxPrecision
        ? (value) => decimalTextOf(fitPrecision(value as bigint, precision), scale)
        : (value) => decimalTextOf(value as bigint, scale);
    }
    default: return undefined;
  }
}

export function typeError(position: number, message: string): never {
  throw new BindProblem(position, message);
}

export { describeType, ExpressionValueError };
