import { parseCursorText } from '../copy/cursorValues.js';
import type { keyKinds } from './cursorWindow.js';

type KeyKind = (typeof keyKinds)[number];

type BoundKind = 'number' | 'date' | 'timestamp';

const numberText = /^-?\d{1,20}$|^0x[0-9a-f]{1,16}$/i;
const dateText = /^\d{4}-\d\d-\d\d$/;
const timestampText = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:?\d\d)?$/;

const described: Record<BoundKind, string> = {
  number: 'a whole number (or a rowversion such as 0x00000000000007D1)',
  date: 'a date (YYYY-MM-DD)',
  timestamp: 'an ISO 8601 timestamp (e.g. 2024-05-01T12:00:00Z)',
};

/**
 * What can be known about a backfill's bounds before the cursor column's type is: each is a
 * cursor value (digits, YYYY-MM-DD, or an ISO 8601 timestamp, as src/copy/cursorValues.ts parses
 * them at prepare), both of one kind, and `from` below `to`. Problems as [field, message].
 */
export function backfillBoundsProblems(from: string, to: string): Array<['from' | 'to', string]> {
  const fromKind = boundKind(from);
  const toKind = boundKind(to);
  const problems: Array<['from' | 'to', string]> = [];
  if (!fromKind) problems.push(['from', `"${from}" is not a cursor value: give a whole number, a date (YYYY-MM-DD) or an ISO 8601 timestamp`]);
  if (!toKind) problems.push(['to', `"${to}" is not a cursor value: give a whole number, a date (YYYY-MM-DD) or an ISO 8601 timestamp`]);
  if (!fromKind || !toKind) return problems;
  if (fromKind !== toKind) return [['to', `is ${described[toKind]} but from is ${described[fromKind]}; give both bounds in the cursor column's kind`]];
  const parser = parserKind(fromKind, from, to);
  try {
    if (BigInt(parseCursorText(parser, from, 'backfill.from')) >= BigInt(parseCursorText(parser, to, 'backfill.to'))) {
      problems.push(['to', `must be above from (a backfill reads from < cursor <= to): ${from} .. ${to} is empty`]);
    }
  } catch (err) {
    problems.push(['from', (err as Error).message]);
  }
  return problems;
}

function boundKind(text: string): BoundKind | undefined {
  if (numberText.test(text)) return 'number';
  if (dateText.test(text)) return validDate(text) ? 'date' : undefined;
  if (timestampText.test(text)) return validDate(text.slice(0, 10)) && validTime(text.slice(11)) ? 'timestamp' : undefined;
  return undefined;
}

/** A rowversion bound in hex is compared as one; digits as integers. Timestamps with their offsets applied. */
function parserKind(kind: BoundKind, from: string, to: string): KeyKind {
  if (kind === 'date') return 'date';
  if (kind === 'timestamp') return 'timestamptz';
  return /^0x/i.test(from) || /^0x/i.test(to) ? 'rowversion' : 'integer';
}

function validDate(text: string): boolean {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function validTime(text: string): boolean {
  const [, hours, minutes, seconds] = /^(\d\d):(\d\d)(?::(\d\d))?/.exec(text) ?? [];
  return Number(hours) <= 23 && Number(minutes) <= 59 && Number(seconds ?? 0) <= 59;
}
