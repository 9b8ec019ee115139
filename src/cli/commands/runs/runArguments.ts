import type { Command } from 'commander';

/** The two ways to name a run, shared by every `runs` verb: `<pipeline>/<runId>` or `<pipeline> <runId>`. */
export function runArguments(command: Command): Command {
  return command.argument('<run>', 'the run as <pipeline>/<runId>, or the pipeline id followed by the run id').argument('[runId]', 'the run id, when the first argument is the pipeline id');
}
