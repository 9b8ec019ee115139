import { Command } from 'commander';
import { contextOf, readJsonFile, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printCheckReport } from './checkReport.js';

/** `siphon pipelines validate -f spec.json`: every check against the source, nothing copied or saved. */
export function pipelinesValidateCommand(io: CliIo): Command {
  const command = new Command('validate')
    .description('Check a spec against its source without saving it: columns and types, refusals, chunk plan')
    .requiredOption('-f, --file <path>', 'the pipeline spec (JSON; - for standard input)')
    .action(async (options: { file: string }, cmd: Command) => runPipelinesValidate(contextOf(io, cmd), options));
  return withExamples(command, ['siphon pipelines validate -f sales-orders.json', 'siphon pipelines validate -f sales-orders.json -o json']);
}

export async function runPipelinesValidate(ctx: CommandContext, options: { file: string }): Promise<void> {
  const spec = await readJsonFile(ctx.io, options.file);
  const report = await ctx.client.request('POST', '/pipelines:validate', { body: spec });
  printCheckReport(ctx, `validate ${options.file}`, report.body, spec as { tables?: unknown });
}
