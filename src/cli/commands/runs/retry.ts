import { Command } from 'commander';
import { contextOf, parseRunRef, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import { runPath, type RunDetail } from '../../runTypes.js';
import { followRun } from './followRun.js';
import { runArguments } from './runArguments.js';
import { runFields } from './runView.js';

/** `siphon runs retry <pipeline>/<runId> [--wait]`: a failed, timed-out or cancelled run again, as a new attempt. */
export function runsRetryCommand(io: CliIo): Command {
  const command = runArguments(new Command('retry').description('Run a failed, timed-out or cancelled run again (same run id, next attempt)'))
    .option('--wait', 'follow the retried run to its end (exit 1 unless it succeeds)')
    .action(async (run: string, runId: string | undefined, options: { wait?: boolean }, cmd: Command) => runRunsRetry(contextOf(io, cmd), run, runId, options));
  return withExamples(command, ['siphon runs retry sales-orders/20261121T163000Z-1a2b3c4d', 'siphon runs retry sales-orders/20261121T163000Z-1a2b3c4d --wait']);
}

export async function runRunsRetry(ctx: CommandContext, first: string, second: string | undefined, options: { wait?: boolean }): Promise<void> {
  const { pipelineId, runId } = parseRunRef(first, second);
  const run = (await ctx.client.request<RunDetail>('POST', `${runPath(pipelineId, runId)}/retry`)).body;
  if (options.wait) return followRun(ctx, pipelineId, runId);
  printObject(ctx.io.stdout, ctx.output, run, runFields);
}
