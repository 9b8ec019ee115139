import { Command } from 'commander';
import { contextOf, parseRunRef, withExamples, type CommandContext } from '../../commandContext.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import { runPath, type RunDetail } from '../../runTypes.js';
import { followRun } from './followRun.js';
import { runFields } from './runView.js';

type ReingestOptions = { pipeline?: string; file?: string; wait?: boolean };

/**
 * `siphon runs reingest <runId> --pipeline <id> [-f corrected.jsonl] [--wait]`: a new run that
 * writes a succeeded run's quarantined rows (or the corrected rows of the file) to the
 * pipeline's output, checked by its current validation. A quarantine lands once.
 */
export function runsReingestCommand(io: CliIo): Command {
  const command = new Command('reingest')
    .description("Write a succeeded run's quarantined rows (or corrected ones from a file) to the pipeline's output, once")
    .argument('<run>', 'the run id with --pipeline, or <pipeline>/<runId>')
    .option('--pipeline <id>', 'the pipeline of the run')
    .option('-f, --file <path>', 'corrected rows, JSON Lines: quarantine lines or {"values": {...}} with every column as text (- for standard input)')
    .option('--wait', 'follow the re-ingest run to its end (exit 1 unless it succeeds)')
    .action(async (run: string, options: ReingestOptions, cmd: Command) => runRunsReingest(contextOf(io, cmd), run, options));
  return withExamples(command, [
    'siphon runs reingest 20261121T163000Z-1a2b3c4d --pipeline sales-orders',
    'siphon runs reingest 20261121T163000Z-1a2b3c4d --pipeline sales-orders -f corrected.jsonl --wait',
  ]);
}

export async function runRunsReingest(ctx: CommandContext, run: string, options: ReingestOptions): Promise<void> {
  const { pipelineId, runId } = options.pipeline === undefined ? parseRunRef(run, undefined) : parseRunRef(options.pipeline, run);
  let text: { content: string; contentType: string } | undefined;
  if (options.file !== undefined) {
    try {
      text = { content: await ctx.io.readFile(options.file), contentType: 'application/x-ndjson' };
    } catch (err) {
      throw new UsageError(`-f ${options.file}: ${(err as Error).message}`);
    }
  }
  const started = (await ctx.client.request<RunDetail>('POST', `${runPath(pipelineId, runId)}/reingest`, text ? { text } : {})).body;
  if (options.wait) return followRun(ctx, pipelineId, started.runId);
  printObject(ctx.io.stdout, ctx.output, started, runFields);
}
