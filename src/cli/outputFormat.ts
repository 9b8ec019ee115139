import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

export const outputFormats = ['table', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** `-o` as given, else a table on a terminal and JSON for a pipe or a file (scripts never scrape text). */
export function resolveOutputFormat(given: string | undefined, io: CliIo): OutputFormat {
  if (given === undefined) return io.stdout.isTTY ? 'table' : 'json';
  if ((outputFormats as readonly string[]).includes(given)) return given as OutputFormat;
  throw new UsageError(`-o/--output: "${given}" is not one of ${outputFormats.join(', ')}`);
}
