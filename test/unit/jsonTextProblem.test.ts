import { describe, expect, it } from 'vitest';
import { jsonTextProblem } from '../../src/api/jsonTextProblem.js';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('jsonTextProblem', () => {
  it('accepts nesting up to the limit and refuses one level more, naming where', () => {
    expect(jsonTextProblem(nested(64), 64)).toBeUndefined();
    expect(jsonTextProblem(nested(65), 64)).toEqual({ path: 'a'.repeat(64).split('').join('.'), message: 'nested deeper than 64 levels' });
    expect(jsonTextProblem('[[[1]]]', 2)).toEqual({ path: '[0][0]', message: 'nested deeper than 2 levels' });
  });

  it('stops at the limit on a million-level body, without recursion (a stack overflow was the old 500)', () => {
    expect(jsonTextProblem('['.repeat(1_000_000), 64)?.message).toBe('nested deeper than 64 levels');
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonTextProblem(JSON.stringify({ q: '{'.repeat(100) + '\\"[[[' }), 2)).toBeUndefined();
  });

  it('refuses a key given twice in one object, compared by decoded value, and allows it in sibling objects', () => {
    expect(jsonTextProblem('{"id":"a","id":"b"}', 64)).toEqual({ path: 'id', message: 'the key is given more than once' });
    expect(jsonTextProblem('{"o":{"k":1,"\\u006b":2}}', 64)).toEqual({ path: 'o.k', message: 'the key is given more than once' });
    expect(jsonTextProblem('[{"k":1},{"k":2}]', 64)).toBeUndefined();
    expect(jsonTextProblem('{"a":{"k":1},"b":{"k":2}}', 64)).toBeUndefined();
    // A value equal to a key is not a key.
    expect(jsonTextProblem('{"id":"id","x":["id","id"]}', 64)).toBeUndefined();
  });

  it('refuses __proto__ anywhere and constructor.prototype', () => {
    expect(jsonTextProblem('{"__proto__":{"x":1}}', 64)).toEqual({ path: '__proto__', message: 'the key __proto__ is not accepted' });
    expect(jsonTextProblem('{"a":[{"b":1},{"\\u005f_proto__":1}]}', 64)).toEqual({ path: 'a[1].__proto__', message: 'the key __proto__ is not accepted' });
    expect(jsonTextProblem('{"constructor":{"prototype":{}}}', 64)).toEqual({ path: 'constructor.prototype', message: 'the key constructor.prototype is not accepted' });
    expect(jsonTextProblem('{"constructor":"x","prototype":"y"}', 64)).toBeUndefined();
    expect(jsonTextProblem('{"description":"__proto__"}', 64)).toBeUndefined();
  });

  it('finishes on text that is not JSON, leaving the verdict to JSON.parse', () => {
    for (const text of ['', '"', '"\\', '}}}]]', '{"a', '{"a":1,,,}', 'not json at all', '{"a":"\\']) {
      expect(() => jsonTextProblem(text, 64)).not.toThrow();
    }
  });
});
