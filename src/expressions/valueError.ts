/**
 * Thrown by a bound expression's evaluate for one row whose values it cannot compute (division
 * by zero, an integer past int64, a date outside years 1 to 9999, a failed cast): the caller
 * quarantines that row with this message, and the other rows go on.
 */
export class ExpressionValueError extends Error {
  override name = 'ExpressionValueError';
}
