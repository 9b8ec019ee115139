import type { Column } from '../spec/columns.js';
import { bindExpression, ExpressionValueError, parseExpression, type BoundExpression, type ExpressionProblem } from '../expressions/expression.js';

/**
 * The one place the transforms meet the expression language (src/expressions/): an expression's
 * text parsed (at create, and again where it is bound: parsing is cheap and the spec holds text),
 * bound to the columns a step sees, and a value error of one row told apart from a bug.
 */
export type StepExpressionProblem = ExpressionProblem;
export type BoundStepExpression = BoundExpression;

/** Why the text is not an expression (position 1-based), or undefined when it parses. */
export function expressionProblem(text: string): StepExpressionProblem | undefined {
  const parsed = parseExpression(text);
  return parsed.ok ? undefined : parsed.problem;
}

/** The expression bound to the columns at its step (a row's values in their order), or why it does not bind. */
export function bindStepExpression(text: string, columns: readonly Column[]): { ok: true; bound: BoundStepExpression } | { ok: false; problem: StepExpressionProblem } {
  const parsed = parseExpression(text);
  if (!parsed.ok) return parsed;
  return bindExpression(parsed.expression, columns);
}

/** A row the expression cannot compute (division by zero, an overflow): that row goes to quarantine. */
export function isExpressionValueError(err: unknown): err is Error {
  return err instanceof ExpressionValueError;
}
