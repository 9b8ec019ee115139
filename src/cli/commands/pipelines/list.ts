import { Command } from 'commander';
import { contextOf, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printList } from '../../output.js';
import { pipelineColumns, type PipelineView } from './pipelineView.js';

/** `siphon pipelines list`: every pipeline, following continuation tokens to the last page. */
export function pipelinesListCommand(io: CliIo): Command {
  const command = new Command('list').description('List pipelines').action(async (_options: object, cmd: Command) => runPipelinesList(contextOf(io, cmd)));
  return withExamples(command, ['siphon pipelines list', 'siphon pipelines list -o json']);
}

export async function runPipelinesList(ctx: CommandContext): Promise<void> {
  const pipelines: PipelineView[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await ctx.client.request<{ pipelines: PipelineView[]; continuationToken?: string }>('GET', '/pipelines', { query: { continuationToken } });
    pipelines.push(...page.body.pipelines);
    continuationToken = page.body.continuationToken;
  } while (continuationToken);
  printList(ctx.io.stdout, ctx.output, pipelines, pipelineColumns);
}
