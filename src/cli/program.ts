import { Command, CommanderError, Option } from 'commander';
import { defaultApiUrl } from './apiClient.js';
import { withExamples } from './commandContext.js';
import { ApiError, NotSucceededError, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { outputFormats } from './outputFormat.js';
import { pipelinesApplyCommand } from './commands/pipelines/apply.js';
import { pipelinesDeleteCommand } from './commands/pipelines/delete.js';
import { pipelinesGetCommand } from './commands/pipelines/get.js';
import { pipelinesListCommand } from './commands/pipelines/list.js';
import { pipelinesScheduleCommand } from './commands/pipelines/pauseResume.js';
import { pipelinesPlanCommand } from './commands/pipelines/plan.js';
import { pipelinesValidateCommand } from './commands/pipelines/validate.js';
import { runCommand } from './commands/run/run.js';
import { runsCancelCommand } from './commands/runs/cancel.js';
import { runsEventsCommand } from './commands/runs/events.js';
import { runsGetCommand } from './commands/runs/get.js';
import { runsListCommand } from './commands/runs/list.js';
import { runsRetryCommand } from './commands/runs/retry.js';
import { runsReingestCommand } from './commands/runs/reingest.js';
import { runsWatchCommand } from './commands/runs/watch.js';
import { queryCommand } from './commands/query/query.js';

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** The whole command tree: `siphon <noun> <verb>`, as gh and az do it. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('siphon')
    .description('Operate Siphon from a terminal or a script: pipelines, runs, query jobs')
    .option('--url <url>', `the Siphon API (env SIPHON_URL; default ${defaultApiUrl}, the local runtime)`)
    .option('--scope <scope>', 'Entra ID scope of the app, for a URL that is not loopback (env SIPHON_SCOPE; e.g. api://<app-id>/.default)')
    .addOption(new Option('-o, --output <format>', 'table on a terminal, json otherwise; jsonl: one JSON object a line').choices(outputFormats));
  withExamples(program, ['siphon pipelines apply -f sales-orders.json', 'siphon run sales-orders --wait', 'siphon runs list --status failed --since 24h', 'siphon --url https://siphon-prod.azurewebsites.net --scope api://<app-id>/.default pipelines list']);
  program.addHelpText('after', '\nExit codes: 0 success, 1 a failed run or an API error, 2 a usage error.');

  const pipelines = withExamples(new Command('pipelines').description('Create, inspect, check and delete pipelines'), ['siphon pipelines list', 'siphon pipelines apply -f sales-orders.json', 'siphon pipelines plan sales-orders']);
  for (const command of [
    pipelinesListCommand(io),
    pipelinesGetCommand(io),
    pipelinesApplyCommand(io),
    pipelinesValidateCommand(io),
    pipelinesPlanCommand(io),
    pipelinesDeleteCommand(io),
    pipelinesScheduleCommand(io, 'pause'),
    pipelinesScheduleCommand(io, 'resume'),
  ])
    pipelines.addCommand(command);

  const runs = withExamples(new Command('runs').description('List, inspect, watch, cancel, retry and re-ingest runs (a run is <pipeline>/<runId>)'), [
    'siphon runs list --pipeline sales-orders',
    'siphon runs watch sales-orders/20261121T163000Z-1a2b3c4d',
    'siphon runs retry sales-orders 20261121T163000Z-1a2b3c4d --wait',
  ]);
  for (const command of [runsListCommand(io), runsGetCommand(io), runsWatchCommand(io), runsCancelCommand(io), runsRetryCommand(io), runsReingestCommand(io), runsEventsCommand(io)]) runs.addCommand(command);

  program.addCommand(pipelines).addCommand(runCommand(io)).addCommand(runs).addCommand(queryCommand(io));
  for (const command of everyCommand(program)) {
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text), outputError: (text, write) => write(text) })
      .showHelpAfterError()
      .configureHelp({ showGlobalOptions: true, helpWidth: 100 });
  }
  return program;
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

/**
 * Runs one command line and returns its exit code: 0 success; 1 a run that did not succeed or
 * an error from the API (its problem title and detail shown) or the network; 2 a usage error,
 * shown with the command's help.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; `siphon pipelines` without a verb shows help as an error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
      return ExitCode.usage;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n(see siphon --help)\n`);
      return ExitCode.usage;
    }
    if (err instanceof ApiError) {
      io.stderr.write(`error: ${err.problem.title ?? `HTTP ${err.status}`}\n`);
      if (err.problem.detail) io.stderr.write(`  ${err.problem.detail}\n`);
      for (const issue of err.problem.errors ?? []) io.stderr.write(`  - ${issue.path || '(body)'}: ${issue.message}\n`);
      io.stderr.write(`  (${err.method} /api${err.path} answered ${err.status})\n`);
      return ExitCode.failed;
    }
    if (err instanceof NotSucceededError) {
      io.stderr.write(`${err.message}\n`);
      return ExitCode.failed;
    }
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failed;
  }
}
