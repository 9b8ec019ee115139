import { z } from 'zod';
import type { Column } from '../spec/columns.js';
import { parseTextForm, type TextParser } from '../formats/parseTextForms.js';

/**
 * One line of a quarantine file (validation/quarantineWriter.ts), or of a file of corrected rows
 * uploaded for a re-ingest: the full quarantine line as it was downloaded and edited, or just
 * `{"values": {...}}`. Only `values` is read; every column in its text form, null for NULL.
 */
export const quarantineLineSchema = z.strictObject({
  runId: z.string().max(100).optional(),
  chunk: z.number().int().nonnegative().optional(),
  key: z.record(z.string(), z.string().nullable()).optional(),
  failures: z.array(z.unknown()).optional(),
  values: z.record(z.string(), z.string().nullable()),
});

/** A problem with one line, at the field it concerns: `line 3: values.amount: ...`. */
export type LineProblem = { line: number; path: string; message: string };

/** The most problems one answer lists: a file where every line is wrong says so without a megabyte of errors. */
const maxProblems = 20;

/**
 * Reads the lines' values into rows of canonical values, in the columns' order, or lists what is
 * wrong, each problem naming its line (1-based) and the column: a line that is not JSON or not
 * shaped as above, a column missing, a column the run did not read (refused, so a typo never
 * drops a value silently), a text that is not its type's text form. Blank lines are skipped.
 */
export function readQuarantineLines(text: string, columns: readonly Column[]): { rows: unknown[][]; problems: LineProblem[] } {
  const reader = rowReader(columns);
  const rows: unknown[][] = [];
  const problems: LineProblem[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length && problems.length < maxProblems; index++) {
    const line = lines[index]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const read = reader(line, index + 1);
    if (Array.isArray(read)) rows.push(read);
    else problems.push(...read.problems);
  }
  return { rows, problems: problems.slice(0, maxProblems) };
}

/** A reader of one line to a row, or its problems; the columns' parsers are made once. */
export function rowReader(columns: readonly Column[]): (line: string, lineNumber: number) => unknown[] | { problems: LineProblem[] } {
  const parsers: TextParser[] = columns.map((column) => parseTextForm(column.type));
  const known = new Set(columns.map((column) => column.name));
  return (line, lineNumber) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return { problems: [{ line: lineNumber, path: '(line)', message: 'is not JSON' }] };
    }
    const parsed = quarantineLineSchema.safeParse(json);
    if (!parsed.success) {
      return { problems: parsed.error.issues.map((issue) => ({ line: lineNumber, path: issue.path.length ? issue.path.join('.') : '(line)', message: issue.message })) };
    }
    const { values } = parsed.data;
    const problems: LineProblem[] = [];
    for (const name of Object.keys(values)) {
      if (!known.has(name)) problems.push({ line: lineNumber, path: `values.${name}`, message: `is not a column of the run (its columns: ${[...known].join(', ')})` });
    }
    const row = columns.map((column, index) => {
      if (!Object.hasOwn(values, column.name)) {
        problems.push({ line: lineNumber, path: `values.${column.name}`, message: 'is missing: every column is given, null for NULL' });
        return null;
      }
      const text = values[column.name];
      if (text === null || text === undefined) {
        if (!column.nullable) problems.push({ line: lineNumber, path: `values.${column.name}`, message: `is null, but the column is NOT NULL (${column.sourceType})` });
        return null;
      }
      try {
        return parsers[index]!(text);
      } catch (err) {
        problems.push({ line: lineNumber, path: `values.${column.name}`, message: err instanceof Error ? err.message : String(err) });
        return null;
      }
    });
    return problems.length ? { problems } : row;
  };
}

/** A problem as people read it: `line 3: values.amount: 12.345 has more than 2 digits after the point`. */
export function lineProblemText(problem: LineProblem): string {
  return `line ${problem.line}: ${problem.path}: ${problem.message}`;
}
