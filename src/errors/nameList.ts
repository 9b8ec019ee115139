/**
 * Names for an error message: the first `shown` quoted, then how many more, so a message about
 * 1,000 missing columns says what is wrong in one line instead of listing all of them.
 */
export function nameList(names: readonly string[], shown = 20): string {
  const quoted = names.slice(0, shown).map((name) => `"${name}"`).join(', ');
  return names.length > shown ? `${quoted} and ${names.length - shown} more (${names.length} in all)` : quoted;
}
