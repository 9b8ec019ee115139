import { Command } from 'commander';
import { contextOf, parseRunRef, withExamples, type CommandContext } from '../../commandContext.js';
import type { CliIo } from '../../io.js';
import { printList, printObject, renderTable, cellText } from '../../output.js';
import { runPath, type QuarantineListing, type RunDetail } from '../../runTypes.js';
import { driftText } from '../../driftTable.js';
import { runArguments } from './runArguments.js';
import { chunkColumns, qualityColumns, runFields } from './runView.js';
import { tableRunColumns } from '../../tableRuns.js';

/** `siphon runs get <pipeline>/<runId>`: the run, its schema drift, its quarantine files, its quality checks and its chunks. */
export function runsGetCommand(io: CliIo): Command {
  const command = runArguments(new Command('get').description('Show a run: status, timings, volume, rejected rows and their quarantine files, schema drift, error, quality checks, its chunks, and the tables of a many-table run')).action(
    async (run: string, runId: string | undefined, _options: object, cmd: Command) => runRunsGet(contextOf(io, cmd), run, runId),
  );
  return withExamples(command, ['siphon runs get sales-orders/20261121T163000Z-1a2b3c4d', 'siphon runs get sales-orders 20261121T163000Z-1a2b3c4d -o json']);
}

export async function runRunsGet(ctx: CommandContext, first: string, second: string | undefined): Promise<void> {
  const { pipelineId, runId } = parseRunRef(first, second);
  const detail = (await ctx.client.request<RunDetail>('GET', runPath(pipelineId, runId))).body;
  // The quarantine files are the manifest's: a run that rejected rows and wrote one lists them.
  const quarantine = detail.rowsRejected && detail.manifestPath
    ? (await ctx.client.request<{ quarantine?: QuarantineListing }>('GET', `${runPath(pipelineId, runId)}/files`, { query: { limit: 1 } })).body.quarantine
    : undefined;
  const run = quarantine ? { ...detail, quarantine } : detail;
  printObject(ctx.io.stdout, ctx.output, run, runFields);
  if (ctx.output !== 'table') return;
  if (run.drift) ctx.io.stdout.write(`\nSchema drift: ${driftText(run.drift)}\n`);
  if (run.rejectedByRule?.length) {
    ctx.io.stdout.write('\nFailed rules (a row that broke two counts under both):\n');
    ctx.io.stdout.write(`${renderTable(['COLUMN', 'RULE', 'ROWS'], run.rejectedByRule.map((count) => [count.column, count.rule, cellText(count.rows)]))}\n`);
  }
  if (quarantine?.files.length) {
    ctx.io.stdout.write(`\nQuarantine (${cellText(quarantine.rows)} rows rejected):\n`);
    ctx.io.stdout.write(`${renderTable(['PATH', 'CHUNK', 'ROWS', 'BYTES'], quarantine.files.map((file) => [file.path, cellText(file.chunk), cellText(file.rows), cellText(file.bytes)]))}\n`);
  }
  if (run.quality?.checks.length) {
    ctx.io.stdout.write('\n');
    printList(ctx.io.stdout, 'table', run.quality.checks, qualityColumns);
  }
  if (run.tableRuns?.length) {
    // A many-table run copies each table as a run of its own: `siphon runs get <RUN>` shows one.
    ctx.io.stdout.write(`\nTables (${run.tableRuns.length}):\n`);
    printList(ctx.io.stdout, 'table', run.tableRuns, tableRunColumns);
  }
  if (run.chunks?.length) {
    ctx.io.stdout.write('\n');
    printList(ctx.io.stdout, 'table', run.chunks, chunkColumns);
  }
}
