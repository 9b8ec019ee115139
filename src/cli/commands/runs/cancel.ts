import { Command } from 'commander';
import { contextOf, parseRunRef, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import { runPath, type RunDetail } from '../../runTypes.js';
import { runArguments } from './runArguments.js';
import { runFields } from './runView.js';

/** `siphon runs cancel <pipeline>/<runId>` */
export function runsCancelCommand(io: CliIo): Command {
  const command = runArguments(new Command('cancel').description('Cancel a queued or running run (its chunks stop, no manifest is written)')).action(
    async (run: string, runId: string | undefined, _options: object, cmd: Command) => runRunsCancel(contextOf(io, cmd), run, runId),
  );
  return withExamples(command, ['siphon runs cancel sales-orders/20261121T163000Z-1a2b3c4d']);
}

export async function runRunsCancel(ctx: CommandContext, first: string, second: string | undefined): Promise<void> {
  const { pipelineId, runId } = parseRunRef(first, second);
  const run = (await ctx.client.request<RunDetail>('POST', `${runPath(pipelineId, runId)}/cancel`)).body;
  printObject(ctx.io.stdout, ctx.output, run, runFields);
}
