import { Command, InvalidArgumentError, Option } from 'commander';
import { contextOf, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printObject } from '../../output.js';
import type { RunDetail } from '../../runTypes.js';
import { followRun } from '../runs/followRun.js';
import { runFields } from '../runs/runView.js';

type RunOptions = { fullRefresh?: boolean; backfill?: { from: string; to: string }; wait?: boolean };

/** `--backfill FROM..TO`: the API checks the bounds themselves against the cursor column. */
export function parseBackfill(text: string): { from: string; to: string } {
  const at = text.indexOf('..');
  const from = text.slice(0, at);
  const to = text.slice(at + 2);
  if (at <= 0 || !to || to.includes('..')) throw new InvalidArgumentError(`"${text}" is not FROM..TO (e.g. 2026-01-01..2026-02-01 or 1000..2000)`);
  return { from, to };
}

/** `siphon run <pipeline>`: triggers a run (202), and with --wait follows it to its end. */
export function runCommand(io: CliIo): Command {
  const command = new Command('run')
    .description('Start a run of a pipeline')
    .argument('<pipeline>', 'pipeline id')
    .addOption(new Option('--full-refresh', 'incremental pipelines: read everything once, ignoring the watermark (then move it as usual)').conflicts('backfill'))
    .option('--backfill <from..to>', 'incremental pipelines: read from < cursor <= to, leaving the watermark alone', parseBackfill)
    .option('-w, --wait', 'follow the run with live progress to its end; exit 1 unless it succeeds')
    .action(async (pipeline: string, options: RunOptions, cmd: Command) => runRun(contextOf(io, cmd), pipeline, options));
  return withExamples(command, [
    'siphon run sales-orders',
    'siphon run sales-orders --wait',
    'siphon run sales-orders --full-refresh --wait',
    'siphon run sales-orders --backfill 2026-01-01..2026-02-01',
  ]);
}

export async function runRun(ctx: CommandContext, pipelineId: string, options: RunOptions): Promise<void> {
  const runOptions = { ...(options.fullRefresh ? { fullRefresh: true } : {}), ...(options.backfill ? { backfill: options.backfill } : {}) };
  const run = (await ctx.client.request<RunDetail>('POST', `/pipelines/${encodeURIComponent(pipelineId)}/runs`, { body: { options: runOptions } })).body;
  if (options.wait) {
    ctx.io.stderr.write(`Run ${run.pipelineId}/${run.runId} queued\n`);
    return followRun(ctx, run.pipelineId, run.runId);
  }
  if (ctx.output === 'table') ctx.io.stdout.write(`Run ${run.pipelineId}/${run.runId} queued; follow it with: siphon runs watch ${run.pipelineId}/${run.runId}\n`);
  else printObject(ctx.io.stdout, ctx.output, run, runFields);
}
