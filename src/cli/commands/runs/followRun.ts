import type { CommandContext } from '../../commandContext.js';
import { NotSucceededError } from '../../errors.js';
import { liveProgress } from '../../io.js';
import { LiveProgressBar } from '../../progress/liveProgressBar.js';
import { PlainProgress } from '../../progress/plainProgress.js';
import { runSummaryLines } from '../../runSummary.js';
import { watchRun } from '../../runWatcher.js';

/**
 * Watches a run to its end (the bar on a terminal, plain lines elsewhere, both on stderr so
 * stdout stays the command's result), then shows its summary, and the run itself as JSON with
 * `-o json|jsonl`. A run that did not succeed makes the command fail (exit 1), like `gh run watch --exit-status`.
 */
export async function followRun(ctx: CommandContext, pipelineId: string, runId: string, intervalMs?: number): Promise<void> {
  const label = `${pipelineId}/${runId}`;
  const live = liveProgress(ctx.io);
  if (live) ctx.io.stderr.write(`Watching ${label}\n`);
  const view = live ? new LiveProgressBar(ctx.io.stderr) : new PlainProgress(ctx.io.stderr, label);
  const run = await watchRun(ctx.client, pipelineId, runId, view, { intervalMs: intervalMs ?? (live ? 500 : 1000) });
  const summary = `${runSummaryLines(run).join('\n')}\n`;
  if (ctx.output === 'table') ctx.io.stdout.write(summary);
  else {
    ctx.io.stderr.write(summary);
    ctx.io.stdout.write(ctx.output === 'json' ? `${JSON.stringify(run, null, 2)}\n` : `${JSON.stringify(run)}\n`);
  }
  if (run.status !== 'succeeded') throw new NotSucceededError(`Run ${label} ended ${run.status}`);
}
