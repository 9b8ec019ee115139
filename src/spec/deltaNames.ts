/**
 * Characters a Delta table's column names cannot hold unless the table uses column mapping
 * (PROTOCOL.md "Column Mapping": without it the physical Parquet name is the column's name, and
 * Spark's Parquet writer refuses these). Siphon writes no column mapping, so it refuses such names
 * at plan and validate rather than rename them: a renamed column would surprise every reader, and
 * a query pipeline can alias the column to any name the user picks.
 */
const refusedCharacters = /[ ,;{}()\n\t=]/;

/** Why `name` cannot be a Delta column name, or undefined when it can. */
export function deltaNameProblem(name: string): string | undefined {
  if (!refusedCharacters.test(name)) return undefined;
  return 'a Delta table without column mapping cannot hold a column name with a space or any of , ; { } ( ) = newline tab; alias it in a query pipeline';
}
