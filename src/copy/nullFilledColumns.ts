import type { Column } from '../spec/columns.js';

/**
 * The columns a chunk asks the source for, and how its rows get the columns the source no longer
 * has (schemaContract `removed: "nullFill"`, marked `nullFilled` at prepare): a NULL is put in
 * each such column's place, so every later step sees rows in the order of the run's columns.
 * `fill` is absent when no column is filled, so the common copy does no work here.
 */
export function nullFilledColumns(columns: readonly Column[]): { readColumns: Column[]; fill?: (rows: unknown[][]) => void } {
  const filledAt = columns.flatMap((column, index) => (column.nullFilled ? [index] : []));
  if (!filledAt.length) return { readColumns: [...columns] };
  return {
    readColumns: columns.filter((column) => !column.nullFilled),
    // Ascending positions: each insert lands where the run's columns have it, after the ones before.
    fill: (rows) => {
      for (const row of rows) for (const index of filledAt) row.splice(index, 0, null);
    },
  };
}
