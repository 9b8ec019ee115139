import type { Column, OutputType } from '../spec/columns.js';

/**
 * The one place the transforms meet the expression language (src/expressions/): parse an
 * expression's text, bind it to the columns a step sees, and tell a value error of one row
 * from a bug. PLACEHOLDER until the expression language is merged: every expression is refused.
 */
export type StepExpressionProblem = { position: number; message: string };
export type BoundStepExpression = { type: OutputType; columns: string[]; evaluate(row: readonly unknown[]): unknown };

export function expressionProblem(text: string): StepExpressionProblem | undefined {
  return text ? { position: 1, message: 'expressions are not available in this build' } : undefined;
}

export function bindStepExpression(_text: string, _columns: readonly Column[]): { ok: true; bound: BoundStepExpression } | { ok: false; problem: StepExpressionProblem } {
  return { ok: false, problem: { position: 1, message: 'expressions are not available in this build' } };
}

export function isExpressionValueError(_err: unknown): _err is Error {
  return false;
}
