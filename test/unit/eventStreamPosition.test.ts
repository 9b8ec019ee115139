import { describe, expect, it } from 'vitest';
import { decodePosition, encodePosition, lateWindow, markSent, startPosition, wasSent } from '../../src/api/eventStreamPosition.js';

const base = 1_765_432_100_000_000;

describe('the event stream position', () => {
  it('keeps the sequences of the last window above a floor a window below the highest', () => {
    let position = startPosition;
    for (const sequence of [base, base + 3_000_000, base + 12_000_000]) position = markSent(position, sequence);
    expect(position.floor).toBe(base + 12_000_000 - lateWindow);
    expect(position.recent).toEqual([base + 3_000_000, base + 12_000_000]);
    // Below the floor counts as sent; inside the window only what was sent.
    expect(wasSent(position, base)).toBe(true);
    expect(wasSent(position, base + 3_000_000)).toBe(true);
    expect(wasSent(position, base + 4_000_000)).toBe(false);
  });

  it('takes a late event below the highest without moving the floor back', () => {
    let position = markSent(markSent(startPosition, base), base + 5_000_000);
    const before = position.floor;
    position = markSent(position, base + 1_000_000);
    expect(position.floor).toBe(before);
    expect(position.recent).toEqual([base, base + 1_000_000, base + 5_000_000]);
  });

  it('encodes and decodes a position exactly', () => {
    let position = startPosition;
    for (const sequence of [base, base + 1, base + 999_999, base + 9_999_999]) position = markSent(position, sequence);
    const token = encodePosition(position);
    expect(token).toMatch(/^\d{16}(\.[0-9a-z]+)+$/);
    expect(decodePosition(token)).toEqual(position);
    expect(decodePosition(encodePosition(startPosition))).toEqual(startPosition);
  });

  it('folds the oldest recent sequences into the floor so an id stays short', () => {
    let position = startPosition;
    for (let i = 0; i < 200; i++) position = markSent(position, base + i * 1_000);
    const token = encodePosition(position);
    expect(token.length).toBeLessThan(500);
    const decoded = decodePosition(token)!;
    expect(decoded.recent).toEqual(position.recent.slice(-64));
    expect(decoded.floor).toBe(position.recent.at(-65));
  });

  it('refuses ids it cannot have made', () => {
    for (const token of ['', 'abc', '-1', '1.', '1..2', '12345678901234567', '100.5.3', '100.0', `1${'.1'.repeat(65)}`, '100.ZZ', '100 .5']) {
      expect(decodePosition(token), token).toBeUndefined();
    }
  });
});
