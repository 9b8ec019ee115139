import { Command } from 'commander';
import { contextOf, parseRunRef, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printList, printObject } from '../../output.js';
import { runPath, type RunDetail } from '../../runTypes.js';
import { runArguments } from './runArguments.js';
import { chunkColumns, qualityColumns, runFields } from './runView.js';

/** `siphon runs get <pipeline>/<runId>`: the run, its quality checks and its chunks. */
export function runsGetCommand(io: CliIo): Command {
  const command = runArguments(new Command('get').description('Show a run: status, timings, volume, error, quality checks, and its chunks')).action(
    async (run: string, runId: string | undefined, _options: object, cmd: Command) => runRunsGet(contextOf(io, cmd), run, runId),
  );
  return withExamples(command, ['siphon runs get sales-orders/20261121T163000Z-1a2b3c4d', 'siphon runs get sales-orders 20261121T163000Z-1a2b3c4d -o json']);
}

export async function runRunsGet(ctx: CommandContext, first: string, second: string | undefined): Promise<void> {
  const { pipelineId, runId } = parseRunRef(first, second);
  const run = (await ctx.client.request<RunDetail>('GET', runPath(pipelineId, runId))).body;
  printObject(ctx.io.stdout, ctx.output, run, runFields);
  if (ctx.output === 'table' && run.quality?.checks.length) {
    ctx.io.stdout.write('\n');
    printList(ctx.io.stdout, 'table', run.quality.checks, qualityColumns);
  }
  if (ctx.output === 'table' && run.chunks?.length) {
    ctx.io.stdout.write('\n');
    printList(ctx.io.stdout, 'table', run.chunks, chunkColumns);
  }
}
