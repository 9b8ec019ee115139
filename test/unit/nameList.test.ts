import { describe, expect, it } from 'vitest';
import { nameList } from '../../src/errors/nameList.js';

describe('nameList', () => {
  it('quotes a few names in order', () => {
    expect(nameList(['nope', 'nada'])).toBe('"nope", "nada"');
  });

  it('shows the first names of a long list and counts the rest', () => {
    const names = Array.from({ length: 1_000 }, (_, i) => `c${i}`);
    expect(nameList(names, 3)).toBe('"c0", "c1", "c2" and 997 more (1000 in all)');
    expect(nameList(names).length).toBeLessThan(200);
  });
});
