import { Command } from 'commander';
import { contextOf, currentEtag, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';

/**
 * `siphon pipelines delete <id>`: reads the ETag, then deletes with If-Match (so a pipeline
 * changed meanwhile is not deleted: 412). Run history stays unless --purge-history.
 */
export function pipelinesDeleteCommand(io: CliIo): Command {
  const command = new Command('delete')
    .description('Delete a pipeline (its schedule, watermark and lease; output files stay)')
    .argument('<id>', 'pipeline id')
    .option('--purge-history', 'delete its run history too')
    .action(async (id: string, options: { purgeHistory?: boolean }, cmd: Command) => runPipelinesDelete(contextOf(io, cmd), id, options));
  return withExamples(command, ['siphon pipelines delete sales-orders', 'siphon pipelines delete sales-orders --purge-history']);
}

export async function runPipelinesDelete(ctx: CommandContext, id: string, options: { purgeHistory?: boolean }): Promise<void> {
  const etag = await currentEtag(ctx, id);
  await ctx.client.request('DELETE', `/pipelines/${encodeURIComponent(id)}`, { headers: { 'if-match': etag }, query: { purgeHistory: options.purgeHistory ? 'true' : undefined } });
  if (ctx.output === 'table') ctx.io.stdout.write(`Pipeline ${id} deleted\n`);
  else ctx.io.stdout.write(`${JSON.stringify({ id, deleted: true })}\n`);
}
