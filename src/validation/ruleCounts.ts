import { z } from 'zod';

/**
 * How many rejected rows broke each rule of a column (a unique key's columns joined by commas),
 * most first: the failed rules' summary a chunk records and its run adds up, so a person sees
 * why rows were rejected without opening the quarantine files. A row that broke two rules counts
 * under both.
 */
export const ruleCountSchema = z.object({ column: z.string(), rule: z.string(), rows: z.number().int().nonnegative() });
export type RuleCount = z.infer<typeof ruleCountSchema>;

/** At most this many (column, rule) pairs are kept, the most frequent: a record's property holds 32K characters. */
export const maxRuleCounts = 200;

/** The counts of several chunks as one list, most rows first (then by column and rule, so the order is fixed). */
export function addRuleCounts(lists: readonly (readonly RuleCount[])[]): RuleCount[] {
  const totals = new Map<string, RuleCount>();
  for (const list of lists) {
    for (const count of list) {
      const key = JSON.stringify([count.column, count.rule]);
      const total = totals.get(key);
      totals.set(key, { column: count.column, rule: count.rule, rows: (total?.rows ?? 0) + count.rows });
    }
  }
  return [...totals.values()]
    .sort((a, b) => b.rows - a.rows || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0))
    .slice(0, maxRuleCounts);
}
