import { Command } from 'commander';
import { contextOf, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import { pipelineFields, type PipelineView } from './pipelineView.js';

/** `siphon pipelines get <id>` */
export function pipelinesGetCommand(io: CliIo): Command {
  const command = new Command('get')
    .description('Show one pipeline (its spec, schedule state and ETag)')
    .argument('<id>', 'pipeline id')
    .action(async (id: string, _options: object, cmd: Command) => runPipelinesGet(contextOf(io, cmd), id));
  return withExamples(command, ['siphon pipelines get sales-orders', 'siphon pipelines get sales-orders -o json > spec.json']);
}

export async function runPipelinesGet(ctx: CommandContext, id: string): Promise<void> {
  const read = await ctx.client.request<PipelineView>('GET', `/pipelines/${encodeURIComponent(id)}`);
  printObject(ctx.io.stdout, ctx.output, read.body, pipelineFields);
}
