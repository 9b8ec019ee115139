import { cellText, renderTable } from '../../output.js';

/**
 * The `tables` of a many-table pipeline's plan or validate answer (target 'Tables'): one line per
 * table the patterns matched, with what its run would do (columns, chunks, rows estimated,
 * incremental window) and its refusals and warnings counted (listed in full under the report's
 * own `refusals` and `warnings`, prefixed by the table). Tables past the API's planning cap are
 * named only (`planned: false`).
 */
export type TablePlan = {
  table: string;
  entry?: unknown;
  valid?: boolean;
  planned?: false;
  refusals?: unknown[];
  warnings?: unknown[];
  columns?: number;
  chunks?: { method?: string; column?: string | null; rowsEstimate?: number; ranges?: unknown[] } | null;
  window?: { column?: string; afterText?: string | null; upToText?: string | null; mode?: string } | null;
};

export function isTablesPlan(report: Record<string, unknown>): report is Record<string, unknown> & { tables: TablePlan[] } {
  return report.target === 'Tables' && Array.isArray(report.tables);
}

/** `entries` are the spec's `tables`, when the caller has them: the plan names an entry by its index. */
export function tablesPlanText(tables: TablePlan[], entries?: unknown[]): string {
  if (tables.length === 0) return '(none)';
  const rows = tables.map((table) => {
    const entry = entryText(typeof table.entry === 'number' && entries?.[table.entry] !== undefined ? entries[table.entry] : table.entry);
    if (table.planned === false) return [table.table, entry, 'not planned', '', '', '', '', '', ''];
    const chunks = table.chunks;
    return [
      table.table,
      entry,
      table.valid ? 'yes' : 'no',
      cellText(table.columns),
      chunks ? `${cellText(chunks.ranges?.length ?? 0)}${chunks.method ? ` (${chunks.method}${chunks.column ? ` on ${chunks.column}` : ''})` : ''}` : '',
      // A plan of one chunk estimates nothing (0): blank rather than a count that reads as empty.
      chunks?.rowsEstimate ? cellText(chunks.rowsEstimate) : '',
      windowText(table.window),
      cellText(table.refusals?.length ?? 0),
      cellText(table.warnings?.length ?? 0),
    ];
  });
  return renderTable(['TABLE', 'ENTRY', 'VALID', 'COLUMNS', 'CHUNKS', 'ROWS (EST.)', 'WINDOW', 'REFUSALS', 'WARNINGS'], rows);
}

/** The entry of `tables` that matched: its pattern (a table's own overrides are in the spec). */
function entryText(entry: unknown): string {
  if (typeof entry === 'number') return `#${entry}`;
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string') return `${(entry as { name: string }).name} (overrides)`;
  return cellText(entry);
}

function windowText(window: TablePlan['window']): string {
  if (!window?.column) return '';
  return `${window.afterText ? `${window.afterText} < ` : ''}${window.column} <= ${window.upToText ?? '?'}`;
}
