import { describe, expect, it } from 'vitest';
import { addRuleCounts, maxRuleCounts } from '../../src/validation/ruleCounts.js';

describe('addRuleCounts', () => {
  it('adds up the chunks\' counts per column and rule, most rows first, ties in a fixed order', () => {
    expect(addRuleCounts([
      [{ column: 'code', rule: 'unique', rows: 2 }, { column: 'qty', rule: 'min', rows: 1 }],
      [{ column: 'qty', rule: 'min', rows: 3 }, { column: 'a,b', rule: 'unique', rows: 2 }],
      [],
    ])).toEqual([{ column: 'qty', rule: 'min', rows: 4 }, { column: 'a,b', rule: 'unique', rows: 2 }, { column: 'code', rule: 'unique', rows: 2 }]);
  });

  it('keeps the most frequent pairs when there are more than fit a record', () => {
    const many = Array.from({ length: maxRuleCounts + 50 }, (_, i) => ({ column: `c${i}`, rule: 'notNull', rows: i + 1 }));
    const kept = addRuleCounts([many]);
    expect(kept).toHaveLength(maxRuleCounts);
    expect(kept[0]!.rows).toBe(maxRuleCounts + 50);
    expect(kept.at(-1)!.rows).toBe(51);
  });
});
