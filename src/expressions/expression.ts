import type { Column, OutputType } from '../spec/columns.js';
import { bindTree } from './binder.js';
import { canonicalOf, describeType } from './compiled.js';
import { parseSyntax } from './grammar.js';
import type { SyntaxNode } from './syntaxTree.js';
import { outputTypeOf } from './valueTypes.js';

export { ExpressionValueError } from './valueError.js';
export { expressionLimits } from './grammar.js';

/**
 * Siphon's expression language (README, "Expressions"): parsed once when a spec is saved,
 * bound to a run's columns at prepare and in each chunk, evaluated per row by closures.
 * Nothing is ever eval'd; no function reads the clock or randomness, so a retried chunk
 * computes the same values.
 */

/** What is wrong with an expression: `position` is the 1-based character offset in its text. */
export type ExpressionProblem = { position: number; message: string };

/** A parsed expression, opaque outside this folder. */
export type ParsedExpression = { readonly tree: SyntaxNode; readonly text: string };

export function parseExpression(text: string): { ok: true; expression: ParsedExpression } | { ok: false; problem: ExpressionProblem } {
  const parsed = parseSyntax(text);
  return parsed.ok ? { ok: true, expression: { tree: parsed.tree, text } } : parsed;
}

/** An expression bound to a row's columns: its result type, the columns it reads and its per-row evaluation. */
export type BoundExpression = { type: OutputType; columns: string[]; evaluate(row: readonly unknown[]): unknown };

/**
 * Binds a parsed expression to the columns of a row (canonical values in this order): names
 * resolved, types checked with the position of the offending part. `evaluate` returns the
 * result's canonical value or null, and throws ExpressionValueError for a row it cannot compute.
 */
export function bindExpression(parsed: ParsedExpression, columns: readonly Column[]): { ok: true; bound: BoundExpression } | { ok: false; problem: ExpressionProblem } {
  const result = bindTree(parsed.tree, columns);
  if (!('compiled' in result)) return { ok: false, problem: { position: result.position, message: result.message } };
  const { compiled, referenced } = result;
  const type = outputTypeOf(compiled.type);
  if (!type) return { ok: false, problem: { position: parsed.tree.position, message: `the expression is always NULL, so it has no type (write cast(null as <type>)); ${describeType(compiled.type)}` } };
  const run = compiled.run;
  const canonical = canonicalOf(compiled.type);
  const evaluate = canonical
    ? (row: readonly unknown[]) => {
      const value = run(row);
      return value === null ? null : canonical(value);
    }
    : run;
  return { ok: true, bound: { type, columns: referenced, evaluate } };
}
