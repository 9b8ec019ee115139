/**
 * The functions of the expression language and how many arguments each takes, known to the
 * parser so an unknown name or a wrong count is refused when a spec is saved. What each one does
 * is in functions.ts; no function reads the clock or draws a random number, so a retried chunk
 * computes the same values.
 */
export const functionArity: ReadonlyMap<string, readonly [min: number, max: number]> = new Map([
  ['lower', [1, 1]], ['upper', [1, 1]], ['trim', [1, 1]], ['ltrim', [1, 1]], ['rtrim', [1, 1]], ['length', [1, 1]],
  ['substring', [2, 3]], ['replace', [3, 3]], ['left', [2, 2]], ['right', [2, 2]], ['concat', [1, 100]],
  ['starts_with', [2, 2]], ['contains', [2, 2]],
  ['abs', [1, 1]], ['round', [1, 2]], ['floor', [1, 1]], ['ceil', [1, 1]],
  ['year', [1, 1]], ['month', [1, 1]], ['day', [1, 1]], ['hour', [1, 1]], ['minute', [1, 1]], ['second', [1, 1]],
  ['date', [1, 1]], ['date_trunc', [2, 2]], ['add_days', [2, 2]], ['days_between', [2, 2]],
  ['coalesce', [1, 100]], ['nullif', [2, 2]],
] as const);
