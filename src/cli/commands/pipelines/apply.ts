import { Command } from 'commander';
import { contextOf, readJsonFile, withExamples, type CommandContext } from '../../commandContext.js';
import { ApiError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import { pipelineFields, type PipelineView } from './pipelineView.js';

/** What a stored pipeline carries beside its spec: sent back by `pipelines get -o json`, refused by the API in a spec. */
const storedFields = ['schedulePaused', 'createdAt', 'updatedAt', 'etag', 'generation'];

/**
 * `siphon pipelines apply -f spec.json`: creates the pipeline, or when it exists (409) reads its
 * ETag and replaces it with If-Match, so a concurrent change answers 412 instead of being lost.
 */
export function pipelinesApplyCommand(io: CliIo): Command {
  const command = new Command('apply')
    .description('Create a pipeline from a spec file, or update it if it exists')
    .requiredOption('-f, --file <path>', 'the pipeline spec (JSON; - for standard input)')
    .action(async (options: { file: string }, cmd: Command) => runPipelinesApply(contextOf(io, cmd), options));
  return withExamples(command, ['siphon pipelines apply -f sales-orders.json', 'siphon pipelines get sales-orders -o json | siphon pipelines apply -f -']);
}

export async function runPipelinesApply(ctx: CommandContext, options: { file: string }): Promise<void> {
  const read = await readJsonFile(ctx.io, options.file);
  // A spec saved with `pipelines get -o json` round-trips: the stored fields are not the spec's.
  const spec = Object.fromEntries(Object.entries(read).filter(([key]) => !storedFields.includes(key)));
  let applied: PipelineView;
  let verb: string;
  try {
    applied = (await ctx.client.request<PipelineView>('POST', '/pipelines', { body: spec })).body;
    verb = 'created';
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409) || typeof spec.id !== 'string') throw err;
    const path = `/pipelines/${encodeURIComponent(spec.id)}`;
    const current = await ctx.client.request('GET', path);
    applied = (await ctx.client.request<PipelineView>('PUT', path, { body: spec, headers: { 'if-match': current.headers.get('etag') ?? '' } })).body;
    verb = 'updated';
  }
  if (ctx.output === 'table') ctx.io.stdout.write(`Pipeline ${applied.id} ${verb}\n`);
  printObject(ctx.io.stdout, ctx.output, applied, pipelineFields);
}
