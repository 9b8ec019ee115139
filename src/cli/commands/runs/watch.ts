import { Command } from 'commander';
import { contextOf, parseRunRef, positiveInteger, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { followRun } from './followRun.js';
import { runArguments } from './runArguments.js';

/** `siphon runs watch <pipeline>/<runId>`: live progress to the end; exit 1 unless it succeeded. */
export function runsWatchCommand(io: CliIo): Command {
  const command = runArguments(new Command('watch').description('Follow a run to its end with live progress; exits 1 if it did not succeed'))
    .option('--interval <seconds>', 'seconds between polls', positiveInteger('--interval', 60))
    .action(async (run: string, runId: string | undefined, options: { interval?: number }, cmd: Command) => runRunsWatch(contextOf(io, cmd), run, runId, options));
  return withExamples(command, ['siphon runs watch sales-orders/20261121T163000Z-1a2b3c4d', 'siphon runs watch sales-orders 20261121T163000Z-1a2b3c4d && echo copied']);
}

export async function runRunsWatch(ctx: CommandContext, first: string, second: string | undefined, options: { interval?: number }): Promise<void> {
  const { pipelineId, runId } = parseRunRef(first, second);
  await followRun(ctx, pipelineId, runId, options.interval ? options.interval * 1000 : undefined);
}
