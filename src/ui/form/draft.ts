/**
 * A form's state is the JSON document it will send (the draft), not a set of field values: every
 * field reads and writes one path in it, so keys no field knows (a field added to the spec later,
 * or one only the JSON tab edits) survive every edit and are sent back as they were loaded.
 */
export type Draft = Record<string, unknown>;

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `output.container` → ['output', 'container']. Field paths never hold dots of their own. */
export const pathParts = (path: string): string[] => (path === '' ? [] : path.split('.'));

export function getIn(value: unknown, path: string): unknown {
  let current = value;
  for (const part of pathParts(path)) {
    if (!isRecord(current)) return undefined;
    current = current[part];
  }
  return current;
}

/**
 * A copy of `draft` with `path` set to `value`; `undefined` removes the key (an empty input means
 * "not given", so the schema's default applies). Objects on the way are created as needed.
 */
export function setIn(draft: Draft, path: string, value: unknown): Draft {
  const [head, ...rest] = pathParts(path);
  if (head === undefined) return isRecord(value) ? value : draft;
  const next: Draft = { ...draft };
  if (rest.length === 0) {
    if (value === undefined) delete next[head];
    else next[head] = value;
    return next;
  }
  const child = isRecord(draft[head]) ? (draft[head] as Draft) : {};
  next[head] = setIn(child, rest.join('.'), value);
  return next;
}

/** The text an input shows for a value of the draft (a number as typed digits, a list one per line). */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  return typeof value === 'string' ? value : String(value);
}

/**
 * What a number input's text means: nothing (removed), a number, or the text itself when it is
 * not one, so the schema refuses it at the field instead of the form guessing.
 */
export function numberFromText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed) ? Number(trimmed) : text;
}

/** One entry per non-empty line, trimmed; no lines, no list. */
export function listFromText(text: string): string[] | undefined {
  const items = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return items.length ? items : undefined;
}
