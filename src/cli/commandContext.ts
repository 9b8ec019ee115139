import { InvalidArgumentError, type Command } from 'commander';
import { createClient, defaultApiUrl, type SiphonClient } from './apiClient.js';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { resolveOutputFormat, type OutputFormat } from './outputFormat.js';

/** What every command runs with: the streams, a client for the API, and the output format. */
export type CommandContext = { io: CliIo; client: SiphonClient; output: OutputFormat };

type GlobalOptions = { url?: string; scope?: string; output?: string };

/** Global options (given before or after the verb) over the environment over the defaults. */
export function contextOf(io: CliIo, command: Command): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return {
    io,
    client: createClient(globals.url ?? io.env.SIPHON_URL ?? defaultApiUrl, globals.scope ?? io.env.SIPHON_SCOPE),
    output: resolveOutputFormat(globals.output, io),
  };
}

/** Help that leads with examples, as gh's does. */
export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText('before', `Examples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
}

/** A JSON file named by `-f` (or `-` for standard input), parsed; a file that is not JSON is a usage error. */
export async function readJsonFile(io: CliIo, path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (err) {
    throw new UsageError(`-f ${path}: ${(err as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`-f ${path}: not a JSON object (${(err as Error).message})`);
  }
}

/**
 * A run named as `<pipeline>/<runId>` (as `siphon run` prints it) or as two arguments
 * `<pipeline> <runId>`: the API addresses runs by both.
 */
export function parseRunRef(first: string, second: string | undefined): { pipelineId: string; runId: string } {
  if (second !== undefined) {
    if (first.includes('/')) throw new UsageError(`give the run as <pipeline>/<runId> or as <pipeline> <runId>, not both ("${first}" "${second}")`);
    return { pipelineId: first, runId: second };
  }
  const slash = first.indexOf('/');
  if (slash <= 0 || slash === first.length - 1 || first.indexOf('/', slash + 1) !== -1) {
    throw new UsageError(`"${first}" is not a run: give <pipeline>/<runId> (e.g. sales-orders/20261121T163000Z-1a2b3c4d) or <pipeline> <runId>`);
  }
  return { pipelineId: first.slice(0, slash), runId: first.slice(slash + 1) };
}

/** The pipeline's current ETag, for the If-Match a change needs. */
export async function currentEtag(ctx: CommandContext, pipelineId: string): Promise<string> {
  const read = await ctx.client.request('GET', `/pipelines/${encodeURIComponent(pipelineId)}`);
  const etag = read.headers.get('etag');
  if (!etag) throw new Error(`GET /pipelines/${pipelineId} answered without an ETag`);
  return etag;
}

/** A whole number for `--limit` and the like; commander passes option values as text. */
export function positiveInteger(name: string, max = 100_000) {
  return (text: string): number => {
    if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > max) throw new InvalidArgumentError(`${name}: "${text}" is not a whole number from 1 to ${max}`);
    return Number(text);
  };
}

/** A whole number from 0 (a sequence number, an offset). */
export function wholeNumber(name: string) {
  return (text: string): number => {
    if (!/^\d{1,15}$/.test(text)) throw new InvalidArgumentError(`${name}: "${text}" is not a whole number`);
    return Number(text);
  };
}

/**
 * A point in time for `--since`/`--until`: ISO 8601 (`2026-11-21`, `2026-11-21T16:30:00Z`) or an
 * age back from now (`90m`, `12h`, `7d`), sent to the API as ISO text.
 */
export function pointInTime(name: string, now: () => number = Date.now) {
  return (text: string): string => {
    const age = /^(\d{1,6})([mhd])$/.exec(text);
    if (age) return new Date(now() - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd']).toISOString();
    if (/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(Date.parse(text)).toISOString();
    throw new InvalidArgumentError(`${name}: "${text}" is not a time: give ISO 8601 (2026-11-21, 2026-11-21T16:30:00Z) or an age (90m, 12h, 7d)`);
  };
}
