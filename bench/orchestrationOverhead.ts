import type { ContainerClient } from '@azure/storage-blob';
import { startLocalRuntime } from '../src/local/localRuntime.js';
import { openSiphonCopyInto } from './siphonCopy.js';
import { median, timed } from './measure.js';
import type { SourceDatabase } from './sourceTables.js';

export type OverheadResult = {
  maxParallel: number;
  chunks: number;
  rows: number;
  /** POST …/runs until the API shows the run finished (includes the job queue's polling delay). */
  triggerToDoneSeconds: number;
  /** The run's startedAt (prepare done) to endedAt (manifest written). */
  runSeconds: number;
  /** Median of the chunk records' startedAt→endedAt: the activity's own time per chunk. */
  activityMs: number;
  /** copyChunk alone on one such chunk with an open connection, median. */
  copyMs: number;
};

const sourceSetting = 'SIPHON_SOURCE_BENCH';
const terminal = ['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'];

type RunView = {
  status: string; error?: string; rows: number; startedAt?: string; endedAt?: string;
  chunks: Array<{ startedAt?: string; endedAt?: string }>;
  chunksUrl: string;
};

/**
 * Runs a pipeline of `chunks` tiny chunks through the local runtime (HTTP API, job queue,
 * orchestrator, activities, Table storage records), once per maxParallel, and measures what each
 * chunk costs beyond the copy itself. The table has keys 1..rows; chunks are equal width.
 */
export async function orchestrationOverhead(db: SourceDatabase, table: string, chunks: number, parallelism: number[], storage: string, container: ContainerClient, rowsPerChunk: number): Promise<OverheadResult[]> {
  process.env.AzureWebJobsStorage = storage;
  process.env[sourceSetting] = db.url;
  const runtime = await startLocalRuntime({ port: 0, timers: false, log: (level, ...args) => { if (level === 'error') console.error(...args); } });
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${runtime.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return { headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };

  // The copy work alone: copyChunk on a chunk of the same size, connection already open.
  const copier = await openSiphonCopyInto({ engine: db.engine, url: db.url, table, key: 'id' }, container, 'copy');
  const copyTimes: number[] = [];
  try {
    for (let i = 0; i < 21; i++) {
      const { seconds, result } = await timed(() => copier.run({ lower: '1', upper: String(1 + rowsPerChunk), upperInclusive: false }));
      await result.cleanup?.();
      if (i > 0) copyTimes.push(seconds * 1000);
    }
  } finally {
    await copier.close();
  }

  const results: OverheadResult[] = [];
  try {
    for (const maxParallel of parallelism) {
      const id = `bench-overhead-p${maxParallel}`;
      await api('POST', '/api/pipelines', {
        id,
        source: { engine: db.engine === 'postgres' ? 'postgres' : 'mysql', connectionSetting: sourceSetting },
        table: { name: table },
        chunking: { column: 'id', chunks, maxParallel, strategy: 'equalWidth' },
        output: { container: container.containerName },
      });
      const { seconds, result: run } = await timed(async () => {
        const triggered = await api('POST', `/api/pipelines/${id}/runs`);
        const runUrl = triggered.headers.get('location')!;
        for (;;) {
          const view = (await api('GET', runUrl)).body as unknown as RunView;
          if (terminal.includes(view.status)) return view;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      if (run.status !== 'succeeded') throw new Error(`Overhead run with maxParallel ${maxParallel} ended ${run.status}: ${run.error ?? ''}`);
      // The run's own answer holds its first 100 chunks; all of them page through chunksUrl.
      const allChunks: RunView['chunks'] = [];
      for (let token: string | undefined, first = true; first || token; first = false) {
        const page = (await api('GET', `${run.chunksUrl}?limit=1000${token ? `&continuationToken=${token}` : ''}`)).body as unknown as { chunks: RunView['chunks']; continuationToken?: string };
        allChunks.push(...page.chunks);
        token = page.continuationToken;
      }
      run.chunks = allChunks;
      const activity = run.chunks.map((chunk) => Date.parse(chunk.endedAt!) - Date.parse(chunk.startedAt!));
      results.push({
        maxParallel,
        chunks: run.chunks.length,
        rows: run.rows,
        triggerToDoneSeconds: seconds,
        runSeconds: (Date.parse(run.endedAt!) - Date.parse(run.startedAt!)) / 1000,
        activityMs: median(activity),
        copyMs: median(copyTimes),
      });
    }
  } finally {
    await runtime.stop();
  }
  return results;
}
