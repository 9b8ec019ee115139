import { NonRetryableError } from '../errors/errorTypes.js';
import type { Column } from '../spec/columns.js';
import type { RoundingMode } from '../spec/columnTypes.js';

/**
 * The second half of `columnTypes` (spec/columnTypes.ts): connectors read an overridden column
 * as the source's text, and this turns that text into the override's canonical value. Strings
 * are the text itself; decimals are parsed exactly (plain, signed or with an exponent, as engines
 * print floats) and fitted to (p,s), refused or rounded.
 */
export type RowLabel = (row: unknown[]) => string;

/** Converters per overridden column index; empty when no column is overridden to a decimal. */
export function overrideConverters(columns: Column[]): Array<{ index: number; convert: (text: string) => string; column: Column }> {
  return columns.flatMap((column, index) => {
    const type = column.type;
    if (!column.override || type.kind !== 'decimal') return [];
    const { precision, scale } = type;
    const rounding = column.override.rounding;
    return [{ index, column, convert: (text: string) => fitDecimal(text, precision, scale, rounding) }];
  });
}

/** Converts the overridden columns of a batch in place; a value that does not fit fails the chunk naming its row and column. */
export function applyOverrides(rows: unknown[][], converters: ReturnType<typeof overrideConverters>, rowLabel: RowLabel): void {
  if (converters.length === 0) return;
  for (const row of rows) {
    for (const { index, convert, column } of converters) {
      const value = row[index];
      if (value === null || value === undefined) continue;
      try {
        row[index] = convert(String(value));
      } catch (err) {
        throw new NonRetryableError(`${rowLabel(row)}, column "${column.name}" (${column.sourceType} read as decimal(${(column.type as { precision: number }).precision},${(column.type as { scale: number }).scale})): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

const numberText = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?\s*$/;

/**
 * The canonical text of decimal(p,s) (plain digits, exactly s after the point) for a number's
 * text. Exact: digits are moved, never passed through a float.
 */
export function fitDecimal(text: string, precision: number, scale: number, rounding?: RoundingMode): string {
  const m = numberText.exec(text);
  if (!m || (m[2] === '' && !m[3])) throw new Error(`"${clip(text)}" is not a number`);
  const negative = m[1] === '-';
  let whole = m[2] ?? '';
  let fraction = m[3] ?? '';
  // Move the point by the exponent.
  const exponent = Number(m[4] ?? 0);
  if (exponent > 0) {
    const moved = fraction.padEnd(exponent, '0');
    whole += moved.slice(0, exponent);
    fraction = moved.slice(exponent);
  } else if (exponent < 0) {
    const padded = whole.padStart(-exponent, '0');
    fraction = padded.slice(padded.length + exponent) + fraction;
    whole = padded.slice(0, padded.length + exponent);
  }
  whole = whole.replace(/^0+/, '');
  let kept = fraction.slice(0, scale).padEnd(scale, '0');
  const dropped = fraction.slice(scale);
  let digits = BigInt((whole || '0') + kept);
  if (/[^0]/.test(dropped)) {
    if (!rounding) throw new Error(`${clip(text)} has more than ${scale} digits after the point (set rounding to round it)`);
    const first = Number(dropped[0]);
    const beyondHalf = /[^0]/.test(dropped.slice(1));
    const odd = digits % 2n === 1n;
    const up = first > 5 || (first === 5 && (beyondHalf || rounding === 'halfUp' || odd));
    if (up) digits += 1n;
  }
  const all = digits.toString().padStart(scale + 1, '0');
  const intPart = all.slice(0, all.length - scale);
  kept = all.slice(all.length - scale);
  if (intPart.replace(/^0+/, '').length > precision - scale) throw new Error(`${clip(text)} does not fit decimal(${precision},${scale}): more than ${precision - scale} digits before the point`);
  const body = scale > 0 ? `${intPart}.${kept}` : intPart;
  return negative && digits !== 0n ? `-${body}` : body;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
