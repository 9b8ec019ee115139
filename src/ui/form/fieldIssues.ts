import type { FieldError } from '../api.js';
import { getIn, pathParts } from './draft.js';

/** One problem with the draft, at a dotted path of it ('' for the whole document). */
export type FieldIssue = FieldError;

/** The part of a zod issue the form reads (structural, so the browser code needs no zod types). */
export type SchemaIssue = { code: string; path: readonly PropertyKey[]; message: string; keys?: readonly string[]; expected?: string };

/**
 * A schema's issues as field issues, in words for a form: a missing value says so, a number field
 * holding text says so, an unknown key is named at the key itself. The rest keep the schema's own
 * message, so the form says what the API would.
 */
export function issuesFromSchema(issues: readonly SchemaIssue[], draft: unknown): FieldIssue[] {
  return issues.flatMap((issue): FieldIssue[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: `not a field of ${path || 'a spec'}` }));
    }
    const value = getIn(draft, path);
    if (issue.code === 'invalid_type') {
      if (value === undefined) return [{ path, message: 'required' }];
      if (issue.expected === 'number' && typeof value === 'string') return [{ path, message: 'must be a number' }];
    }
    if (issue.code === 'too_small' && value === '') return [{ path, message: 'required' }];
    return [{ path, message: issue.message }];
  });
}

/** An issue placed at a field of the form, or at none (then only the summary shows it). */
export type PlacedIssue = FieldIssue & { field: string | undefined };

/**
 * Each issue at the field that shows its path: the field itself, else the field standing for a
 * part of the document (`source` → its connection setting, `table` → its name), else the nearest
 * ancestor that has a field (`columns.2` → `columns`). `fields` are the visible fields in
 * document order; the placed issues come back in that order, those without a field last.
 */
export function placeIssues(issues: readonly FieldIssue[], fields: readonly string[], standsFor: Readonly<Record<string, string>> = {}): PlacedIssue[] {
  const visible = new Set(fields);
  const fieldOf = (path: string): string | undefined => {
    for (let parts = pathParts(path); ; parts = parts.slice(0, -1)) {
      const candidate = parts.join('.');
      if (visible.has(candidate)) return candidate;
      const deputy = standsFor[candidate];
      if (deputy !== undefined && visible.has(deputy)) return deputy;
      if (parts.length === 0) return undefined;
    }
  };
  const order = (field: string | undefined) => (field === undefined ? fields.length : fields.indexOf(field));
  const seen = new Set<string>();
  return issues
    .map((issue) => ({ ...issue, field: fieldOf(issue.path) }))
    .filter((issue) => {
      const key = `${issue.field}\u0000${issue.path}\u0000${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => order(a.issue.field) - order(b.issue.field) || a.index - b.index)
    .map(({ issue }) => issue);
}

/** The id of the control that edits `path`: what labels, summaries and focus point at. */
export const fieldId = (path: string) => `f-${path.replace(/\./g, '-')}`;
