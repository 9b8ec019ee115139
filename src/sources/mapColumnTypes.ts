import { NonRetryableError, errorMessage } from '../errors/errorTypes.js';
import { nameList } from '../errors/nameList.js';
import type { Column } from '../spec/columns.js';
import type { ColumnRefusal, DescribeOptions } from './sourceConnector.js';

/**
 * The one place a connector's describe turns its catalog's columns into output columns: each
 * connector brings its own type map (`toColumn`, which throws naming the column when a type has
 * no exact mapping) and this decides what a refusal does. By default every refusal at once
 * fails the describe (a run's prepare); with `collectRefusals` (a plan or a validation) they are
 * returned beside the columns that do map, so one answer tells the whole story.
 */
export function mapColumnTypes<C>(
  label: string,
  found: C[],
  nameOf: (column: C) => string,
  wanted: string[] | undefined,
  toColumn: (column: C) => Column,
  options: DescribeOptions = {},
  /** How a wanted name finds its column: exactly, unless the engine folds case (SQL Server). */
  find: (name: string) => C | undefined = (name) => found.find((column) => nameOf(column) === name),
): { columns: Column[]; refusals: ColumnRefusal[] } {
  const missing = (wanted ?? []).filter((name) => find(name) === undefined);
  if (missing.length && !options.collectRefusals) throw new NonRetryableError(`${label} has no column ${nameList(missing)}`);
  const refusals: ColumnRefusal[] = missing.map((name) => ({ column: name, reason: `${label} has no column "${name}"` }));
  const picked = wanted ? wanted.flatMap((name) => find(name) ?? []) : found;
  const columns: Column[] = [];
  for (const column of picked) {
    try {
      columns.push(toColumn(column));
    } catch (err) {
      if (!(err instanceof NonRetryableError)) throw err;
      refusals.push({ column: nameOf(column), reason: errorMessage(err) });
    }
  }
  if (refusals.length && !options.collectRefusals) throw new NonRetryableError(refusals.map((refusal) => refusal.reason).join('; '));
  return { columns, refusals };
}
