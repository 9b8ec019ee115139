import { expect } from 'vitest';
import type { ReadTarget, SourceConnector } from '../../src/sources/sourceConnector.js';

/**
 * One small table for the quality checks' source statements on every engine: `ref` 7 on two
 * rows, 9 on three (one outside the window), NULL on two; `tag` NULL once. Rows as literal text
 * (id, ref, tag, at), for each engine's insert.
 */
export const duplicateRows: Array<[string, string | null, string | null, string]> = [
  ['1', '7', 'a', '2026-01-01 00:00:01'],
  ['2', '7', 'b', '2026-01-01 00:00:02'],
  ['3', '9', 'A', '2026-01-01 00:00:03'],
  ['4', '9', null, '2026-01-01 00:00:04'],
  ['5', '9', 'c', '2026-01-02 00:00:00'],
  ['6', null, 'd', '2026-01-01 00:00:06'],
  ['7', null, 'e', '2026-01-01 00:00:07'],
  ['8', '10', 'f', '2026-01-01 00:00:08'],
];

const micros = (text: string) => String(BigInt(Date.parse(`${text.replace(' ', 'T')}Z`)) * 1000n);

/** After id 1's `at`, up to the end of its day: ids 2, 3, 4, 6, 7, 8. */
export const duplicateWindow = { column: 'at', kind: 'timestamp' as const, after: micros('2026-01-01 00:00:01'), upTo: micros('2026-01-01 23:59:59') };

/**
 * What every engine must answer. NULL keys group together, as GROUP BY groups them. Examples
 * come in the engine's key order (MariaDB and SQL Server put NULL first).
 */
export async function expectDuplicateKeys(connector: SourceConnector, target: ReadTarget): Promise<void> {
  const { columns } = await connector.describe(target);
  const pick = (...names: string[]) => names.map((name) => columns.find((column) => column.name === name)!);

  const whole = await connector.duplicateKeys({ target, keys: pick('ref'), limit: 5 });
  expect(whole).toEqual({ keys: 3, examples: [{ key: [null], rows: 2 }, { key: ['7'], rows: 2 }, { key: ['9'], rows: 3 }] });
  // Fewer examples than duplicated keys: counted by a second statement.
  expect(await connector.duplicateKeys({ target, keys: pick('ref'), limit: 2 })).toEqual({ keys: 3, examples: whole.examples.slice(0, 2) });
  // Within the run's window, 7's first row and 9's third are not the run's rows.
  expect(await connector.duplicateKeys({ target, window: duplicateWindow, keys: pick('ref'), limit: 5 })).toEqual({ keys: 2, examples: [{ key: [null], rows: 2 }, { key: ['9'], rows: 2 }] });
  expect(await connector.duplicateKeys({ target, keys: pick('ref', 'tag'), limit: 5 })).toEqual({ keys: 0, examples: [] });
  expect(await connector.duplicateKeys({ target, keys: pick('id'), limit: 5 })).toEqual({ keys: 0, examples: [] });

  expect(await connector.countNonNull({ target, columns: pick('ref', 'tag') })).toEqual({ rows: 8, nonNull: [6, 7] });
  expect(await connector.countNonNull({ target, window: duplicateWindow, columns: pick('ref', 'tag', 'id') })).toEqual({ rows: 6, nonNull: [4, 5, 6] });
}
