import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Command, InvalidArgumentError, Option } from 'commander';
import { contextOf, positiveInteger, withExamples, type CommandContext } from '../../commandContext.js';
import { NotSucceededError, UsageError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { printList } from '../../output.js';

/** `--engine` as people say it, to the engine names of a spec. */
const engineAliases: Record<string, 'postgres' | 'mysql' | 'sqlserver'> = {
  pg: 'postgres',
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  sqlserver: 'sqlserver',
  mssql: 'sqlserver',
};

type QueryOptions = { source: string; engine: string; out?: string; maxRows?: number; timeout?: number };
type QueryJob = { id?: string; status: string; error?: string; rows?: number; [field: string]: unknown };

const endedStatuses = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/**
 * `siphon query`: a one-off SELECT as a query job (POST /api/queries, 202 + Location), polled
 * with backoff to its end, then its rows streamed back from GET .../result (JSON Lines or CSV):
 * to a file with --out, to stdout with -o jsonl, or as a table/JSON array.
 */
export function queryCommand(io: CliIo): Command {
  const command = new Command('query')
    .description('Run one SELECT against a source as a query job and show or save its rows')
    .argument('<sql>', 'one SELECT statement (read-only; checked by the API)')
    .requiredOption('--source <setting>', 'the app setting that holds the connection string (e.g. SIPHON_SOURCE_SALES)')
    .addOption(new Option('--engine <engine>', 'the source engine').choices(Object.keys(engineAliases)).makeOptionMandatory())
    .option('--out <file>', 'write the rows to a file: .jsonl or .csv (by its extension)')
    .option('--max-rows <n>', 'stop after this many rows', positiveInteger('--max-rows', 10_000_000))
    .option('--timeout <seconds>', 'cancel the query after this long (it ends timed_out)', positiveInteger('--timeout', 86_400))
    .action(async (sql: string, options: QueryOptions, cmd: Command) => runQuery(contextOf(io, cmd), sql, options));
  return withExamples(command, [
    'siphon query --source SIPHON_SOURCE_SALES --engine pg "SELECT id, amount FROM sales.orders WHERE amount > 100"',
    'siphon query --source SIPHON_SOURCE_SALES --engine pg "SELECT * FROM sales.orders" --out orders.csv',
    'siphon query --source SIPHON_SOURCE_SALES --engine mysql "SELECT * FROM orders" -o jsonl | head',
  ]);
}

export function outFormat(path: string): 'jsonl' | 'csv' {
  if (/\.jsonl$|\.ndjson$/i.test(path)) return 'jsonl';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.parquet$/i.test(path)) throw new UsageError(`--out ${path}: the result endpoint serves JSON Lines and CSV; the job's Parquet files stay in blob storage (see the job's output in -o json)`);
  throw new InvalidArgumentError(`--out ${path}: name a .jsonl or .csv file`);
}

export async function runQuery(ctx: CommandContext, sql: string, options: QueryOptions, pollMs = { first: 250, max: 2_000 }): Promise<void> {
  const format = options.out ? outFormat(options.out) : 'jsonl';
  const submitted = await ctx.client.request<QueryJob>('POST', '/queries', {
    body: {
      source: { engine: engineAliases[options.engine], connectionSetting: options.source },
      query: sql,
      format,
      ...(options.timeout ? { timeoutSeconds: options.timeout } : {}),
      ...(options.maxRows ? { maxRows: options.maxRows } : {}),
    },
  });
  const location = submitted.headers.get('location');
  if (!location) throw new Error('POST /api/queries answered without a Location');
  const jobPath = new URL(location, ctx.client.baseUrl).pathname.replace(/^\/api/, '');
  ctx.io.stderr.write(`Query job ${jobPath} submitted\n`);

  const job = await waitForJob(ctx, jobPath, pollMs, cancelOnInterrupt(ctx, jobPath));
  if (job.status !== 'succeeded') {
    ctx.io.stderr.write(`Query job ${jobPath} ${job.status}${job.error ? `: ${job.error}` : ''}\n`);
    throw new NotSucceededError(`Query job ${jobPath} ended ${job.status}`);
  }
  if (options.out) return saveResult(ctx, jobPath, format, options.out);
  if (ctx.output === 'jsonl') return pipeResult(ctx, jobPath, 'jsonl', (text) => ctx.io.stdout.write(text));
  let text = '';
  await pipeResult(ctx, jobPath, 'jsonl', (chunk) => {
    text += chunk;
  });
  const rows = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const headings = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  printList(ctx.io.stdout, ctx.output, rows, headings.map((heading) => [heading, (row: Record<string, unknown>) => row[heading]]));
}

/**
 * Ctrl-C while the job runs cancels it on the server (which cancels the statement in the source:
 * leaving it running would hold a session for nothing); the wait then sees it end `cancelled`.
 * A second Ctrl-C leaves at once.
 */
function cancelOnInterrupt(ctx: CommandContext, jobPath: string): () => void {
  let cancelling = false;
  const stop = ctx.io.onInterrupt?.(() => {
    if (cancelling) process.exit(130);
    cancelling = true;
    ctx.io.stderr.write(`Cancelling query job ${jobPath} (Ctrl-C again to leave without waiting)\n`);
    ctx.client.request('POST', `${jobPath}/cancel`).catch((err: unknown) => ctx.io.stderr.write(`Cancelling ${jobPath} failed: ${(err as Error).message}\n`));
  });
  return stop ?? (() => undefined);
}

/** Polls with backoff (250 ms doubling to 2 s): quick for small queries, gentle for long ones. */
async function waitForJob(ctx: CommandContext, jobPath: string, pollMs: { first: number; max: number }, stopInterrupts: () => void): Promise<QueryJob> {
  try {
    return await pollJob(ctx, jobPath, pollMs);
  } finally {
    stopInterrupts();
  }
}

async function pollJob(ctx: CommandContext, jobPath: string, pollMs: { first: number; max: number }): Promise<QueryJob> {
  let delay = pollMs.first;
  let lastStatus = '';
  for (;;) {
    const job = (await ctx.client.request<QueryJob>('GET', jobPath)).body;
    if (job.status !== lastStatus) ctx.io.stderr.write(`Query job ${jobPath} ${job.status}\n`);
    lastStatus = job.status;
    if (endedStatuses.has(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(pollMs.max, delay * 2);
  }
}

/** Streams the result's body as it arrives: memory stays flat whatever the row count. */
async function pipeResult(ctx: CommandContext, jobPath: string, format: 'jsonl' | 'csv', write: (text: string) => unknown): Promise<void> {
  const response = await ctx.client.stream('GET', `${jobPath}/result`, { query: { format } });
  if (!response.body) return;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) write(decoder.decode(chunk as Uint8Array, { stream: true }));
  write(decoder.decode());
}

async function saveResult(ctx: CommandContext, jobPath: string, format: 'jsonl' | 'csv', path: string): Promise<void> {
  const response = await ctx.client.stream('GET', `${jobPath}/result`, { query: { format } });
  const file = createWriteStream(path);
  // pipeline() honours the file's backpressure: the download waits for the disk.
  await pipeline(response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([]), file);
  ctx.io.stderr.write(`Wrote ${file.bytesWritten.toLocaleString('en-US')} bytes of ${format} to ${path}\n`);
}
