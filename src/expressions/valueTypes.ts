import type { Column, OutputType } from '../spec/columns.js';
import { unscaledDecimal } from '../formats/decimalText.js';
import type { TimestampWithOffset } from '../formats/canonicalValues.js';
import type { CastTypeName } from './syntaxTree.js';

/**
 * The types an expression computes with, and how each is held while it runs: integers as bigint
 * (whatever their width), decimals as the bigint of their unscaled digits at the type's scale,
 * floats as numbers, dates as days, times and timestamps as bigint microseconds. `null` is the
 * type of a bare NULL, which fits anywhere. Values are made canonical (canonicalValues.ts) only
 * when a result leaves the expression.
 */
export type ValueType =
  | { kind: 'integer'; width: 'int16' | 'int32' | 'int64' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'float' }
  | { kind: 'boolean' }
  | { kind: 'string' }
  | { kind: 'date' }
  | { kind: 'time' }
  | { kind: 'timestamp'; utc: boolean }
  | { kind: 'null' };

export const int64Type: ValueType = { kind: 'integer', width: 'int64' };
export const booleanType: ValueType = { kind: 'boolean' };
export const stringType: ValueType = { kind: 'string' };
export const floatType: ValueType = { kind: 'float' };
export const dateType: ValueType = { kind: 'date' };
export const nullType: ValueType = { kind: 'null' };
export const maxPrecision = 1_000;

export const isNumeric = (type: ValueType) => type.kind === 'integer' || type.kind === 'decimal' || type.kind === 'float';

/** How a type reads in a message: `a string`, `a decimal(18,2)`. */
export function describeType(type: ValueType): string {
  switch (type.kind) {
    case 'integer': return `an ${type.width === 'int64' ? 'integer' : type.width}`;
    case 'decimal': return `a decimal(${type.precision},${type.scale})`;
    case 'float': return 'a float64';
    case 'timestamp': return type.utc ? 'a timestamptz' : 'a timestamp';
    case 'null': return 'NULL';
    default: return `a ${type.kind}`;
  }
}

/** The type a column's values have in an expression, and how one of its canonical values becomes a held value; undefined for bytes. */
export function columnValueType(type: OutputType): { type: ValueType; read: (value: unknown) => unknown } | undefined {
  switch (type.kind) {
    case 'int16': case 'int32': return { type: { kind: 'integer', width: type.kind }, read: (value) => BigInt(value as number) };
    // uint64 past int64's range fails where it is used as an int64.
    case 'int64': case 'uint64': return { type: int64Type, read: (value) => value };
    case 'decimal': {
      const scale = type.scale;
      // Connectors hand decimals with exactly `scale` fraction digits: their digits without the point are the unscaled value.
      return {
        type: { kind: 'decimal', precision: type.precision, scale },
        read: scale === 0
          ? (value) => unscaledDecimal(value as string, 0)
          : (value) => {
            const text = value as string;
            const point = text.length - scale - 1;
            return text.charCodeAt(point) === 46 && point > 0 && text.charCodeAt(point - 1) !== 45 && text.charCodeAt(point - 1) !== 43
              ? BigInt(text.slice(0, point) + text.slice(point + 1))
              : unscaledDecimal(text, scale);
          },
      };
    }
    case 'float32': case 'float64': return { type: floatType, read: (value) => value };
    case 'boolean': return { type: booleanType, read: (value) => value };
    case 'string': case 'json': case 'uuid': return { type: stringType, read: (value) => value };
    case 'date': return { type: dateType, read: (value) => value };
    case 'time': return { type: { kind: 'time' }, read: (value) => value };
    case 'timestamp': return { type: { kind: 'timestamp', utc: type.utc }, read: (value) => value };
    case 'timestampOffset': return { type: { kind: 'timestamp', utc: true }, read: (value) => (value as TimestampWithOffset).micros };
    case 'binary': return undefined;
  }
}

export function castValueType(type: CastTypeName): ValueType {
  switch (type.kind) {
    case 'int16': case 'int32': case 'int64': return { kind: 'integer', width: type.kind };
    case 'float64': return floatType;
    case 'decimal': return { kind: 'decimal', precision: type.precision, scale: type.scale };
    case 'timestamp': return { kind: 'timestamp', utc: type.utc };
    default: return { kind: type.kind };
  }
}

/** The output type of a result of this type (a bare NULL has none). */
export function outputTypeOf(type: ValueType): OutputType | undefined {
  switch (type.kind) {
    case 'integer': return { kind: type.width };
    case 'decimal': return { kind: 'decimal', precision: type.precision, scale: type.scale };
    case 'float': return { kind: 'float64' };
    case 'timestamp': return { kind: 'timestamp', utc: type.utc };
    case 'null': return undefined;
    default: return { kind: type.kind };
  }
}

/** Integer digits a type can hold before its point: an int64 has 19. */
export function integerDigits(type: ValueType): number {
  return type.kind === 'decimal' ? type.precision - type.scale : type.kind === 'integer' ? { int16: 5, int32: 10, int64: 19 }[type.width] : 0;
}

/**
 * The one type values of `a` and `b` meet in (case branches, coalesce, in lists, comparisons),
 * or undefined when they have none: integers widen to decimals, anything numeric with a float is
 * a float, NULL takes the other's type.
 */
export function commonType(a: ValueType, b: ValueType): ValueType | undefined {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'float' || b.kind === 'float') return floatType;
    if (a.kind === 'integer' && b.kind === 'integer') return a.width === b.width ? a : int64Type;
    const scale = Math.max(a.kind === 'decimal' ? a.scale : 0, b.kind === 'decimal' ? b.scale : 0);
    return { kind: 'decimal', precision: Math.min(maxPrecision, Math.max(integerDigits(a), integerDigits(b)) + scale), scale };
  }
  if (a.kind === 'timestamp' && b.kind === 'timestamp') return a.utc === b.utc ? a : undefined;
  if (a.kind === 'date' && b.kind === 'timestamp') return b;
  if (a.kind === 'timestamp' && b.kind === 'date') return a;
  return a.kind === b.kind ? a : undefined;
}
