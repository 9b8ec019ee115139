import { describe, expect, it } from 'vitest';
import { NonRetryableError, ensureErrorType, errorMessage, withContext } from '../../src/errors/errorTypes.js';

const H = '[Hidden Credential]';

describe('NonRetryableError', () => {
  it('is an Error named NonRetryableError', () => {
    const err = new NonRetryableError('bad config');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NonRetryableError');
    expect(err.message).toBe('bad config');
  });
});

describe('ensureErrorType', () => {
  it('wraps a string and scrubs it', () => {
    const err = ensureErrorType('login failed: Password=hunter2;Server=x');
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`login failed: Password=${H};Server=x`);
  });

  it('serialises a plain object as JSON and scrubs secrets inside string values', () => {
    const err = ensureErrorType({ code: 42, detail: 'AccountKey=abc123' });
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`{"code":42,"detail":"AccountKey=${H}"}`);
  });

  it('serialises numbers and null', () => {
    expect(ensureErrorType(42).message).toBe('42');
    expect(ensureErrorType(null).message).toBe('null');
  });

  it('returns the same Error instance with message and stack scrubbed', () => {
    const original = new Error('connect to postgres://u:hunter2@h/db failed');
    const err = ensureErrorType(original);
    expect(err).toBe(original);
    expect(err.message).toBe(`connect to postgres://u:${H}@h/db failed`);
    expect(err.stack ?? '').not.toContain('hunter2');
  });

  it('keeps the NonRetryableError type', () => {
    const err = ensureErrorType(new NonRetryableError('Password=x'));
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toBe(`Password=${H}`);
  });
});

describe('errorMessage', () => {
  it('is the scrubbed message', () => {
    expect(errorMessage(new Error('sig=abc'))).toBe(`sig=${H}`);
    expect(errorMessage('plain')).toBe('plain');
  });
});

describe('withContext', () => {
  it('keeps NonRetryableError and prefixes the context', () => {
    const err = withContext(new NonRetryableError('type interval is not supported'), 'Pipeline orders, chunk 3');
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.name).toBe('NonRetryableError');
    expect(err.message).toBe('Pipeline orders, chunk 3: type interval is not supported');
  });

  it('makes a plain Error (not NonRetryableError) of anything else', () => {
    const err = withContext(new TypeError('boom'), 'Run r1');
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(NonRetryableError);
    expect(err.message).toBe('Run r1: boom');
  });

  it('scrubs the wrapped message', () => {
    const err = withContext('failed with Password=hunter2', 'Pipeline p');
    expect(err.message).toBe(`Pipeline p: failed with Password=${H}`);
    expect(err.stack ?? '').not.toContain('hunter2');
  });

  it('keeps the stack of the original error', () => {
    const original = new Error('x');
    const stack = original.stack;
    expect(withContext(original, 'ctx').stack).toBe(stack);
  });
});

describe('thrown objects', () => {
  it('hides a password property of a thrown plain object', () => {
    expect(ensureErrorType({ user: 'u', password: 'hunter2' }).message).not.toContain('hunter2');
  });
});
