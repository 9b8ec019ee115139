import { describe, expect, it } from 'vitest';
import { capError, capMessage, maxErrorChars } from '../../src/errors/capMessage.js';
import { NonRetryableError } from '../../src/errors/errorTypes.js';

describe('capMessage', () => {
  it('leaves a short text alone', () => {
    expect(capMessage('x'.repeat(maxErrorChars))).toBe('x'.repeat(maxErrorChars));
  });

  it('keeps the start of a long text and says how much was cut', () => {
    const text = `table has no column ${'"c", '.repeat(10_000)}`;
    const capped = capMessage(text);
    expect(capped.startsWith('table has no column "c", ')).toBe(true);
    expect(capped).toBe(`${text.slice(0, maxErrorChars)}… [${(text.length - maxErrorChars).toLocaleString('en-US')} more characters cut]`);
    expect(capped.length).toBeLessThan(maxErrorChars + 50);
  });

  it('counts an earlier cut when a capped text, prefixed, is capped again', () => {
    const once = capMessage('z'.repeat(10_000), 100);
    expect(once).toBe(`${'z'.repeat(100)}… [9,900 more characters cut]`);
    expect(capMessage(`prefix: ${once}`, 100)).toBe(`prefix: ${'z'.repeat(92)}… [9,908 more characters cut]`);
    expect(capMessage(once, 100)).toBe(once);
  });

  it('caps an error in place, keeping its type so it is still not retried', () => {
    const error = capError(new NonRetryableError('y'.repeat(50_000)), 100);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toBe(`${'y'.repeat(100)}… [49,900 more characters cut]`);
    expect(error.stack!.length).toBeLessThan(150);
  });
});
