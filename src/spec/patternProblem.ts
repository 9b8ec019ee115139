import { RE2JS } from 're2js';

/** Why re2 refuses a validation pattern (a syntax error, a backreference, lookaround), or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return `not a pattern re2 compiles: ${err instanceof Error ? err.message : String(err)}`;
  }
}
