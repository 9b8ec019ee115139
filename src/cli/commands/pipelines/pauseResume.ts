import { Command } from 'commander';
import { contextOf, currentEtag, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import { pipelineFields, type PipelineView } from './pipelineView.js';

/** `siphon pipelines pause <id>` and `resume <id>`: the schedule only; manual runs still start. */
export function pipelinesScheduleCommand(io: CliIo, verb: 'pause' | 'resume'): Command {
  const command = new Command(verb)
    .description(verb === 'pause' ? 'Stop scheduled runs of a pipeline (manual runs still start)' : 'Start scheduled runs of a pipeline again')
    .argument('<id>', 'pipeline id')
    .action(async (id: string, _options: object, cmd: Command) => runPipelinesSchedule(contextOf(io, cmd), verb, id));
  return withExamples(command, [`siphon pipelines ${verb} sales-orders`]);
}

export async function runPipelinesSchedule(ctx: CommandContext, verb: 'pause' | 'resume', id: string): Promise<void> {
  const etag = await currentEtag(ctx, id);
  const updated = await ctx.client.request<PipelineView>('POST', `/pipelines/${encodeURIComponent(id)}/schedule/${verb}`, { headers: { 'if-match': etag } });
  if (ctx.output === 'table') ctx.io.stdout.write(`Pipeline ${id} schedule ${verb === 'pause' ? 'paused' : 'resumed'}\n`);
  printObject(ctx.io.stdout, ctx.output, updated.body, pipelineFields);
}
