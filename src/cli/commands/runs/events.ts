import { Command } from 'commander';
import { contextOf, parseRunRef, positiveInteger, wholeNumber, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printList } from '../../output.js';
import { runPath, type RunEvent } from '../../runTypes.js';
import { runArguments } from './runArguments.js';

/** `siphon runs events <pipeline>/<runId>`: the run's timeline, oldest first. */
export function runsEventsCommand(io: CliIo): Command {
  const command = runArguments(new Command('events').description("Show a run's timeline: queued, started, prepared, chunks started/retried/done, drift, finished"))
    .option('--after <sequence>', 'only events after this sequence number', wholeNumber('--after'))
    .option('--limit <n>', 'at most this many events', positiveInteger('--limit'))
    .action(async (run: string, runId: string | undefined, options: EventsOptions, cmd: Command) => runRunsEvents(contextOf(io, cmd), run, runId, options));
  return withExamples(command, ['siphon runs events sales-orders/20261121T163000Z-1a2b3c4d', 'siphon runs events sales-orders/20261121T163000Z-1a2b3c4d -o jsonl | grep chunkRetried']);
}

type EventsOptions = { after?: number; limit?: number };

export async function runRunsEvents(ctx: CommandContext, first: string, second: string | undefined, options: EventsOptions): Promise<void> {
  const { pipelineId, runId } = parseRunRef(first, second);
  const events: RunEvent[] = [];
  let continuationToken: string | undefined;
  do {
    const remaining = options.limit === undefined ? undefined : Math.min(1000, options.limit - events.length);
    const page = await ctx.client.request<{ events: RunEvent[]; continuationToken?: string }>('GET', `${runPath(pipelineId, runId)}/events`, {
      query: { after: options.after, limit: remaining, continuationToken },
    });
    events.push(...page.body.events);
    continuationToken = page.body.continuationToken;
  } while (continuationToken && (options.limit === undefined || events.length < options.limit));
  printList(ctx.io.stdout, ctx.output, events.slice(0, options.limit), [
    ['SEQ', (event) => event.sequence],
    ['AT', (event) => event.at],
    ['TYPE', (event) => event.type],
    ['DETAIL', (event) => detailOf(event)],
  ]);
}

function detailOf(event: RunEvent): string {
  const { sequence: _sequence, at: _at, type: _type, ...rest } = event;
  return Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ')
    .slice(0, 160);
}
