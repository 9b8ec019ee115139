import { Command, Option } from 'commander';
import { RunStatus } from '../../../spec/runStatus.js';
import { contextOf, pointInTime, positiveInteger, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printList } from '../../output.js';
import type { RunDetail } from '../../runTypes.js';
import { runColumns } from './runView.js';

type RunsListOptions = { pipeline?: string; status?: string; since?: string; until?: string; limit: number };

/**
 * `siphon runs list`: runs newest first, across pipelines (GET /api/runs) or of one pipeline.
 * With only --pipeline it reads that pipeline's own list (one partition); any other filter goes
 * to the global list, which filters on the server so no page comes back empty while more match.
 */
export function runsListCommand(io: CliIo): Command {
  const command = new Command('list')
    .description('List runs, newest first')
    .option('-p, --pipeline <id>', 'runs of this pipeline only')
    .addOption(new Option('-s, --status <status>', 'runs in this status only').choices(Object.values(RunStatus)))
    .option('--since <time>', 'runs requested at or after this time (ISO 8601, or an age: 90m, 12h, 7d)', pointInTime('--since'))
    .option('--until <time>', 'runs requested before this time (ISO 8601, or an age)', pointInTime('--until'))
    .option('-L, --limit <n>', 'at most this many runs', positiveInteger('--limit', 10_000), 30)
    .action(async (options: RunsListOptions, cmd: Command) => runRunsList(contextOf(io, cmd), options));
  return withExamples(command, ['siphon runs list', 'siphon runs list --pipeline sales-orders --limit 5', 'siphon runs list --status failed --since 24h -o json']);
}

export async function runRunsList(ctx: CommandContext, options: RunsListOptions): Promise<void> {
  const onePipeline = options.pipeline !== undefined && !options.status && !options.since && !options.until;
  const path = onePipeline ? `/pipelines/${encodeURIComponent(options.pipeline!)}/runs` : '/runs';
  const filters = onePipeline ? {} : { pipeline: options.pipeline, status: options.status, since: options.since, until: options.until };
  const runs: RunDetail[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await ctx.client.request<{ runs: RunDetail[]; continuationToken?: string }>('GET', path, {
      query: { ...filters, limit: Math.min(1000, options.limit - runs.length), continuationToken },
    });
    runs.push(...page.body.runs);
    continuationToken = page.body.continuationToken;
  } while (continuationToken && runs.length < options.limit);
  printList(ctx.io.stdout, ctx.output, runs.slice(0, options.limit), runColumns);
}
