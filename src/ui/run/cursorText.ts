import type { ChunkRange } from '../../spec/columns.js';
import type { KeyKind } from './runTypes.js';

/**
 * A split key's or cursor's value for people. The API keeps them as integer digits (see
 * src/spec/cursorWindow.ts): the integer itself, days since the epoch for dates, microseconds
 * since the epoch for timestamps, a rowversion's unsigned 64-bit value. Without a kind (a run
 * recorded before it was kept) the digits are shown as they are.
 */
export function cursorText(kind: KeyKind | undefined, digits: string): string {
  if (!/^-?\d+$/.test(digits)) return digits;
  switch (kind) {
    case 'date': {
      const date = new Date(Date.UTC(1970, 0, 1) + Number(digits) * 86_400_000);
      return Number.isNaN(date.getTime()) ? digits : date.toISOString().slice(0, 10);
    }
    case 'timestamp':
    case 'timestamptz':
      return isoFromMicros(BigInt(digits), kind === 'timestamptz') ?? digits;
    case 'rowversion': {
      const value = BigInt(digits);
      return value < 0n ? digits : `0x${value.toString(16).toUpperCase().padStart(16, '0')}`;
    }
    default:
      return digits;
  }
}

function isoFromMicros(micros: bigint, utc: boolean): string | undefined {
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return undefined;
  const sub = micros - ms * 1000n;
  let text = date.toISOString().slice(0, -1);
  if (sub !== 0n) text += String(sub).padStart(3, '0');
  else text = text.replace(/\.000$/, '').replace(/:00$/, '');
  return utc ? `${text}Z` : text;
}

/** A chunk's range as text: `lower – upper` (half-open unless the upper bound is inclusive), the NULL-key chunk, or everything. */
export function rangeText(range: ChunkRange | undefined, kind: KeyKind | undefined): string {
  if (!range) return '';
  if (range.kind === 'all') return 'all rows';
  if (range.kind === 'nullKey') return 'key is NULL';
  if (range.kind === 'partition') return `partition ${range.number}`;
  if (range.kind === 'pages') return `pages ${range.from} – ${range.to ?? 'end'}`;
  if (range.kind === 'tuple') return `(${range.lower.map((digits, index) => (index === 0 ? cursorText(kind, digits) : digits)).join(', ')}) – (${range.upper.map((digits, index) => (index === 0 ? cursorText(kind, digits) : digits)).join(', ')})${range.upperInclusive ? ' (incl.)' : ''}`;
  return `${cursorText(kind, range.lower)} – ${cursorText(kind, range.upper)}${range.upperInclusive ? ' (incl.)' : ''}`;
}

/** The same for screen readers and titles: words, not a dash. */
export function rangeWords(range: ChunkRange | undefined, kind: KeyKind | undefined): string {
  if (!range) return '';
  if (range.kind !== 'range') return rangeText(range, kind);
  return `from ${cursorText(kind, range.lower)} to ${cursorText(kind, range.upper)}${range.upperInclusive ? ' inclusive' : ' exclusive'}`;
}
