import type { Column } from '../spec/columns.js';
import type { ColumnRefusal } from '../sources/sourceConnector.js';
import type { ValidationCheck } from '../spec/validationSpec.js';
import { bindExpression, ExpressionValueError, parseExpression } from '../expressions/expression.js';

/** A check bound to a run's columns: the message of a row that fails it, or undefined when it passes. */
export type CompiledCheck = { name: string; check: (row: readonly unknown[]) => string | undefined };

/**
 * `validation.checks` bound to the columns a run reads. A check whose expression does not parse
 * (a spec stored before expressions were checked on save), names what is not there, or is not
 * boolean is a refusal naming `validation.checks.<i>.expression` and the position. A row fails a
 * check when its expression is false (NULL passes, as SQL's CHECK) or cannot be computed for
 * that row (division by zero, overflow: ExpressionValueError's message).
 */
export function compileChecks(columns: readonly Column[], checks: readonly ValidationCheck[], label: string, refusals: ColumnRefusal[]): CompiledCheck[] {
  const compiled: CompiledCheck[] = [];
  checks.forEach((spec, i) => {
    // Dotted like the API's own field paths (validation.rules.x.min, zod's validation.checks.0.expression at create).
    const path = `validation.checks.${i}.expression`;
    const refuse = (message: string, position: number) => refusals.push({ column: path, path, reason: `${label}: ${path} (check "${spec.name}"): ${message} at position ${position}` });
    const parsed = parseExpression(spec.expression);
    if (!parsed.ok) return refuse(parsed.problem.message, parsed.problem.position);
    const bound = bindExpression(parsed.expression, columns);
    if (!bound.ok) return refuse(bound.problem.message, bound.problem.position);
    if (bound.bound.type.kind !== 'boolean') return refuse(`a check must be true or false, and this expression gives ${/^[aeiou]/.test(bound.bound.type.kind) ? 'an' : 'a'} ${bound.bound.type.kind}`, 1);
    const evaluate = bound.bound.evaluate;
    const failed = `is false: ${spec.expression}`;
    compiled.push({
      name: spec.name,
      check: (row) => {
        try {
          return evaluate(row) === false ? failed : undefined;
        } catch (err) {
          if (err instanceof ExpressionValueError) return `cannot be computed: ${err.message}`;
          throw err;
        }
      },
    });
  });
  return compiled;
}
