import { LosslessNumber, stringify } from 'lossless-json';
import { civilFromDays, wallClockText } from '../../formats/canonicalValues.js';
import { decimalTextOf } from '../../formats/decimalText.js';
import type { LeafStatistics } from '../../formats/parquet/parquetFileWriter.js';
import { offsetColumnSuffix } from '../../formats/parquet/parquetSchema.js';
import type { Column, OutputType } from '../../spec/columns.js';

/**
 * A data file's `stats` (PROTOCOL.md "Per-file Statistics"): numRecords, and per column
 * minValues, maxValues and nullCount, taken from the statistics the Parquet encoder wrote into
 * the file's footer (LeafStatistics), so the log and the file never disagree. Values are in the
 * forms Delta's writers use: numbers exact (an int64 or a decimal(38,10) is its digits, never a
 * double), dates `YYYY-MM-DD`, timestamps `YYYY-MM-DDTHH:MM:SS.mmmZ` (`timestamp`) or without the
 * zone (`timestamp_ntz`), truncated down to milliseconds as the protocol's footnote says.
 * Where a bound would not be exact or not be a bound it is left out, which readers take as
 * "unknown" (the file is read, never skipped wrongly):
 * - floats holding NaN or an infinity (JSON has no such number);
 * - booleans and binary (Delta writers collect none);
 * - dates and timestamps outside years 1 to 9999 (the JSON forms cannot hold them);
 * - strings: cut to 32 characters like Spark's writer; a cut maximum gets its last character
 *   raised by one, so it still lies above every value (left out when there is none above).
 */
export function deltaFileStats(rows: number, fileColumns: Column[], leaves: LeafStatistics[]): string {
  const types = leafTypes(fileColumns);
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  leaves.forEach((leaf) => {
    const name = leaf.spec.name;
    const type = types.get(name);
    if (!type) throw new Error(`Statistics of ${name}, which is not a column of the file`);
    nullCount[name] = leaf.nullCount;
    if (leaf.min === undefined || leaf.max === undefined) return;
    const bounds = statBounds(type, leaf);
    if (!bounds) return;
    minValues[name] = bounds.min;
    maxValues[name] = bounds.max;
  });
  return stringify({ numRecords: rows, minValues, maxValues, nullCount })!;
}

/** Each Parquet leaf's output type (a timestampOffset column is an instant and a short). */
function leafTypes(columns: Column[]): Map<string, OutputType> {
  const types = new Map<string, OutputType>();
  for (const column of columns) {
    if (column.type.kind === 'timestampOffset') {
      types.set(column.name, { kind: 'timestamp', utc: true });
      types.set(column.name + offsetColumnSuffix, { kind: 'int16' });
    } else {
      types.set(column.name, column.type);
    }
  }
  return types;
}

const utf8 = new TextDecoder();
const statsStringLength = 32;

function statBounds(type: OutputType, leaf: LeafStatistics): { min: unknown; max: unknown } | undefined {
  const { min, max } = leaf;
  switch (type.kind) {
    case 'int16': case 'int32': case 'int64':
      return { min: new LosslessNumber(String(min)), max: new LosslessNumber(String(max)) };
    case 'decimal':
      return { min: new LosslessNumber(decimalTextOf(min as bigint, type.scale)), max: new LosslessNumber(decimalTextOf(max as bigint, type.scale)) };
    case 'float32': case 'float64':
      if (leaf.nanCount > 0 || !Number.isFinite(min) || !Number.isFinite(max)) return undefined;
      return { min: new LosslessNumber(String(min)), max: new LosslessNumber(String(max)) };
    case 'string': {
      const low = truncatedMin(utf8.decode(min as Uint8Array));
      const high = truncatedMax(utf8.decode(max as Uint8Array));
      return high === undefined ? undefined : { min: low, max: high };
    }
    case 'date': {
      const low = civilFromDays(min as number);
      const high = civilFromDays(max as number);
      return low.endsWith(' BC') || high.endsWith(' BC') ? undefined : { min: low, max: high };
    }
    case 'timestamp': {
      const low = millisText(min as bigint, type.utc);
      const high = millisText(max as bigint, type.utc);
      return low === undefined || high === undefined ? undefined : { min: low, max: high };
    }
    default:
      return undefined;
  }
}

/** Microseconds as `YYYY-MM-DDTHH:MM:SS.mmm` (+ `Z` for an instant), truncated down; undefined outside years 1 to 9999. */
export function millisText(micros: bigint, utc: boolean): string | undefined {
  const floored = micros - (((micros % 1000n) + 1000n) % 1000n);
  const text = wallClockText(floored, '');
  if (text.endsWith(' BC') || !/^\d{4}-/.test(text)) return undefined;
  return `${text.slice(0, 23)}${utc ? 'Z' : ''}`;
}

function truncatedMin(value: string): string {
  const points = [...value];
  return points.length <= statsStringLength ? value : points.slice(0, statsStringLength).join('');
}

/** The value, or its first 32 characters with the last one raised to the next code point (above every string with that prefix). */
function truncatedMax(value: string): string | undefined {
  const points = [...value];
  if (points.length <= statsStringLength) return value;
  const prefix = points.slice(0, statsStringLength);
  while (prefix.length > 0) {
    const last = prefix.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return prefix.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
