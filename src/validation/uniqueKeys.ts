import type { Column } from '../spec/columns.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';
import type { ValidationSpec } from '../spec/validationSpec.js';
import { textForm, type TextForm } from '../formats/textForms.js';
import type { RuleFailure } from './rowRules.js';

/** The failures of a row (canonical values in the columns' order) against the keys seen so far in its chunk; it remembers the row's keys. */
export type UniqueCheck = (row: readonly unknown[]) => RuleFailure[];

type CompiledKey = { names: string; parts: { index: number; text: TextForm }[] };

/**
 * `validation.unique` compiled against the columns a run reads: a key naming a column not read is
 * a refusal at `validation.unique[i]`, and `newCheck` makes the check of one chunk.
 *
 * Uniqueness holds within a chunk only: chunks are copied apart, maybe at once on other workers,
 * so nothing here sees two chunks. Across a whole run it is a source-side check (the quality
 * checks' query), not this one. The check holds each key's text of every row read so far in a
 * Set, so its memory grows with the chunk's rows (tens of bytes a row and key): bounded by the
 * chunk, which chunking keeps to a size a worker copies.
 */
export function compileUniqueKeys(columns: readonly Column[], validation: ValidationSpec | undefined, label: string): { refusals: ColumnRefusal[]; newCheck: (() => UniqueCheck) | undefined } {
  const refusals: ColumnRefusal[] = [];
  const keys: CompiledKey[] = [];
  for (const [position, names] of (validation?.unique ?? []).entries()) {
    const parts = names.map((name) => ({ name, index: columns.findIndex((column) => column.name === name) }));
    const missing = parts.filter((part) => part.index < 0).map((part) => part.name);
    if (missing.length) {
      refusals.push({ column: missing[0]!, path: `validation.unique[${position}]`, reason: `validation.unique[${position}] names ${missing.map((name) => `"${name}"`).join(', ')}, which ${label} does not read` });
      continue;
    }
    keys.push({ names: names.join(','), parts: parts.map((part) => ({ index: part.index, text: textForm(columns[part.index]!.type) })) });
  }
  if (refusals.length || !keys.length) return { refusals, newCheck: undefined };
  return { refusals, newCheck: () => uniqueCheck(keys) };
}

function uniqueCheck(keys: readonly CompiledKey[]): UniqueCheck {
  const seen = keys.map(() => new Set<string>());
  return (row) => {
    const failures: RuleFailure[] = [];
    for (const [k, key] of keys.entries()) {
      // A key with a NULL part is never a duplicate, as SQL's UNIQUE has it.
      if (key.parts.some((part) => row[part.index] == null)) continue;
      const texts = key.parts.map((part) => part.text(row[part.index]));
      // JSON of the parts' text forms: ("a,b", "c") and ("a", "b,c") stay two keys.
      const text = key.parts.length === 1 ? texts[0]! : JSON.stringify(texts);
      const set = seen[k]!;
      if (!set.has(text)) {
        set.add(text);
        continue;
      }
      const shown = key.parts.length === 1 ? `${key.names} = ${texts[0]}` : `(${key.names}) = (${texts.join(', ')})`;
      failures.push({ column: key.names, rule: 'unique', message: `duplicate key ${shown}: it first appeared earlier in the chunk` });
    }
    return failures;
  };
}
