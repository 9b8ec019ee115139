import Table from 'cli-table3';
import type { OutputStream } from './io.js';
import type { OutputFormat } from './outputFormat.js';

/** One column of a table: its heading and how a cell is read from an item. */
export type Column<T> = [heading: string, cell: (item: T) => unknown];

/** A list as a table (headings, no borders, like `gh`), a JSON array, or one JSON object a line. */
export function printList<T>(out: OutputStream, format: OutputFormat, items: T[], columns: Array<Column<T>>): void {
  if (format === 'json') return void out.write(`${JSON.stringify(items, null, 2)}\n`);
  if (format === 'jsonl') return void out.write(items.map((item) => `${JSON.stringify(item)}\n`).join(''));
  if (items.length === 0) return void out.write('(none)\n');
  out.write(`${renderTable(columns.map(([heading]) => heading), items.map((item) => columns.map(([, cell]) => cellText(cell(item)))))}\n`);
}

/** One object: `field  value` lines as a table, else as JSON (one line for jsonl). */
export function printObject<T extends object>(out: OutputStream, format: OutputFormat, value: T, fields: Array<Column<T>>): void {
  if (format === 'json') return void out.write(`${JSON.stringify(value, null, 2)}\n`);
  if (format === 'jsonl') return void out.write(`${JSON.stringify(value)}\n`);
  const rows = fields.map(([name, cell]) => [name, cellText(cell(value))]).filter(([, text]) => text !== '');
  out.write(`${renderTable(undefined, rows)}\n`);
}

/** A borderless table: columns padded by cli-table3 (which measures wide and emoji characters right). */
export function renderTable(headings: string[] | undefined, rows: string[][]): string {
  const table = new Table({
    head: headings ?? [],
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
    // No colours: the same text on a terminal and in a test, and nothing for a screen reader to spell out.
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
