import { Command } from 'commander';
import { contextOf, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printCheckReport } from './checkReport.js';

/** `siphon pipelines plan <id>`: what the next run would read, without copying anything. */
export function pipelinesPlanCommand(io: CliIo): Command {
  const command = new Command('plan')
    .description('Show what a run would read: columns and types, refusals, split key and chunk plan, incremental window')
    .argument('<id>', 'pipeline id')
    .action(async (id: string, _options: object, cmd: Command) => runPipelinesPlan(contextOf(io, cmd), id));
  return withExamples(command, ['siphon pipelines plan sales-orders', 'siphon pipelines plan sales-orders -o json']);
}

export async function runPipelinesPlan(ctx: CommandContext, id: string): Promise<void> {
  const report = await ctx.client.request<Record<string, unknown>>('GET', `/pipelines/${encodeURIComponent(id)}/plan`);
  // A many-table plan names each table's entry of `tables` by its index: the spec says which pattern that is.
  const spec = ctx.output === 'table' && report.body.target === 'Tables' ? (await ctx.client.request<{ tables?: unknown }>('GET', `/pipelines/${encodeURIComponent(id)}`)).body : undefined;
  printCheckReport(ctx, `plan ${id}`, report.body, spec);
}
