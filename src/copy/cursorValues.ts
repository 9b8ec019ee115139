import { NonRetryableError } from '../errors/errorTypes.js';
import { civilFromDays, daysFromCivil, isoFromMicros, microsPerDay } from '../formats/canonicalValues.js';
import type { KeyKind } from '../sources/sourceConnector.js';
import { maxRowversion } from '../spec/cursorWindow.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';

const integerText = /^-?\d{1,20}$/;
const rowversionHex = /^0x([0-9a-f]{1,16})$/i;
const rowversionDigits = /^\d{1,20}$/;
const dateText = /^(\d{4})-(\d\d)-(\d\d)$/;
const timestampText = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?(Z|[+-]\d\d:?\d\d)?$/;

const expectedText: Record<KeyKind, string> = {
  integer: 'whole number',
  date: 'date (YYYY-MM-DD)',
  timestamp: 'timestamp (ISO 8601, e.g. 2024-05-01T12:00:00Z)',
  timestamptz: 'timestamp (ISO 8601, e.g. 2024-05-01T12:00:00Z)',
  rowversion: 'rowversion (0x and up to 16 hex digits, e.g. 0x00000000000007D1, or a whole number below 2^64)',
};

/**
 * A cursor value given as text (a backfill bound) in the integer digits the planner and the
 * watermark use: the integer itself, days since the epoch for dates, microseconds since the
 * epoch for timestamps (an offset, if given, is applied; a timestamp without one is taken as
 * written, which for timestamptz means UTC), the unsigned integer of a rowversion's 8 bytes
 * (written as SQL Server shows it, 0x00000000000007D1, or as that integer).
 */
export function parseCursorText(kind: KeyKind, text: string, where: string): string {
  const fail = (): never => {
    throw new NonRetryableError(`${where}: "${text}" is not a ${expectedText[kind]}`);
  };
  if (kind === 'integer') return integerText.test(text) ? String(BigInt(text)) : fail();
  if (kind === 'rowversion') {
    const hex = rowversionHex.exec(text);
    const value = hex ? BigInt(`0x${hex[1]}`) : rowversionDigits.test(text) ? BigInt(text) : fail();
    return value <= maxRowversion ? String(value) : fail();
  }
  if (kind === 'date') {
    const m = dateText.exec(text) ?? fail();
    return String(daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])));
  }
  const m = timestampText.exec(text) ?? fail();
  const days = BigInt(daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])));
  const seconds = BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6] ?? 0));
  let micros = days * microsPerDay + seconds * 1_000_000n + BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    micros -= sign * BigInt(Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60) * 1_000_000n;
  }
  return String(micros);
}

/** A cursor value for people (manifests, run records): the inverse of parseCursorText. */
export function cursorText(kind: KeyKind, digits: string): string {
  switch (kind) {
    case 'integer': return digits;
    case 'date': return civilFromDays(Number(digits));
    case 'timestamp': return isoFromMicros(BigInt(digits), false);
    case 'timestamptz': return isoFromMicros(BigInt(digits), true);
    case 'rowversion': return rowversionText(BigInt(digits));
  }
}

/**
 * A rowversion as SQL Server prints it: 0x and 16 upper-case hex digits. A window's lower bound
 * pulled below zero by a lookback has no such form and stays in digits.
 */
export function rowversionText(value: bigint): string {
  if (value < 0n || value > maxRowversion) return String(value);
  return `0x${value.toString(16).toUpperCase().padStart(16, '0')}`;
}

/**
 * How far below the watermark a run starts reading, in the cursor's digits: lookbackSeconds for
 * date and timestamp cursors (whole days for dates, rounded up), lookbackValues for integer and
 * rowversion cursors.
 */
export function lookbackDigits(kind: KeyKind, incremental: NonNullable<PipelineSpec['incremental']>, where: string): bigint {
  const { lookbackSeconds, lookbackValues } = incremental;
  if (kind === 'integer' || kind === 'rowversion') {
    if (lookbackSeconds !== undefined) throw new NonRetryableError(`${where}: ${kind === 'integer' ? 'an integer' : 'a rowversion'} cursor takes lookbackValues, not lookbackSeconds`);
    return BigInt(lookbackValues ?? 0);
  }
  if (lookbackValues !== undefined) throw new NonRetryableError(`${where}: a ${kind} cursor takes lookbackSeconds, not lookbackValues`);
  const seconds = BigInt(lookbackSeconds ?? 0);
  return kind === 'date' ? (seconds + 86_399n) / 86_400n : seconds * 1_000_000n;
}
