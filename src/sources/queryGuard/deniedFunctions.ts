/**
 * Functions a source query may not call because they reach outside a read-only session: files on
 * the server, other servers, locks, sequences, sleeps, configuration. A name ending in `*` is a
 * prefix. Names compare case-insensitively; a schema-qualified call is judged by its last part.
 */
export type DeniedFunctions = ReadonlyArray<{ names: readonly string[]; why: string }>;

/** Why `name` is denied, or undefined when it may be called. */
export function whyDenied(denied: DeniedFunctions, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const entry of denied) {
    for (const pattern of entry.names) {
      const hit = pattern.endsWith('*') ? lower.startsWith(pattern.slice(0, -1)) : lower === pattern;
      if (hit) return entry.why;
    }
  }
  return undefined;
}

/** A pattern for finding calls of denied names in raw text: `name(`, with prefixes as `prefix\w*(`. */
export function deniedCallPattern(denied: DeniedFunctions): RegExp {
  const alternatives = denied.flatMap((entry) => entry.names).map((pattern) => (pattern.endsWith('*') ? `${escape(pattern.slice(0, -1))}\\w*` : escape(pattern)));
  return new RegExp(`(?<![\\w$@#])(${alternatives.join('|')})\\s*\\(`, 'gi');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
