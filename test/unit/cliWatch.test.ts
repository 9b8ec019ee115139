import { describe, expect, it } from 'vitest';
import { watchRun } from '../../src/cli/runWatcher.js';
import { ApiError } from '../../src/cli/errors.js';
import type { SiphonClient } from '../../src/cli/apiClient.js';
import type { ProgressView } from '../../src/cli/progress/progressView.js';
import type { ProgressSnapshot } from '../../src/cli/progress/progressSnapshot.js';
import type { RunDetail, RunEvent } from '../../src/cli/runTypes.js';

/** A client that answers the run detail from a script of states, and the events endpoint as told. */
function scriptedClient(details: RunDetail[], events?: RunEvent[][]) {
  const calls: string[] = [];
  let poll = 0;
  let eventPage = 0;
  const client = {
    async request(method: string, path: string, options: { query?: Record<string, unknown> } = {}) {
      calls.push(`${method} ${path}${options.query?.after !== undefined ? `?after=${String(options.query.after)}` : ''}`);
      if (path.endsWith('/events')) {
        if (!events) throw new ApiError(method, path, 404, { title: 'Not found', detail: 'path: no API route has this path' });
        return { status: 200, headers: new Headers(), body: { events: events[eventPage++] ?? [] } };
      }
      return { status: 200, headers: new Headers(), body: details[Math.min(poll++, details.length - 1)] };
    },
  } as unknown as SiphonClient;
  return { client, calls };
}

function recordingView() {
  const snapshots: ProgressSnapshot[] = [];
  const notes: string[] = [];
  let stopped = false;
  const view: ProgressView = { update: (s) => snapshots.push(s), note: (line) => notes.push(line), stop: () => (stopped = true) };
  return { view, snapshots, notes, stopped: () => stopped };
}

const run = (status: RunDetail['status'], chunksDone: number, extra: Partial<RunDetail> = {}): RunDetail => ({
  pipelineId: 'p',
  runId: 'r',
  status,
  startedAt: '2026-11-21T16:30:00.000Z',
  progress: { chunksPlanned: 4, chunksDone, rowsCopied: chunksDone * 100, bytesWritten: 0 },
  ...extra,
});

const noSleep = { intervalMs: 0, sleep: async () => undefined, now: () => Date.parse('2026-11-21T16:30:10.000Z') };

describe('watchRun', () => {
  it('works from the run detail alone when the server has no events endpoint, and asks for events only once', async () => {
    const { client, calls } = scriptedClient([
      run('queued', 0, { startedAt: undefined }),
      run('running', 2, { chunks: [{ index: 0, status: 'retrying', attempts: [{ attempt: 1, error: 'reset' }, { attempt: 2 }] }] }),
      run('succeeded', 4, { endedAt: '2026-11-21T16:30:08.000Z' }),
    ]);
    const recorded = recordingView();
    const ended = await watchRun(client, 'p', 'r', recorded.view, noSleep);
    expect(ended.status).toBe('succeeded');
    expect(recorded.snapshots.map((s) => `${s.status} ${s.chunksDone}/${s.chunksPlanned} retries ${s.retries}`)).toEqual([
      'queued 0/4 retries 0',
      'running 2/4 retries 1',
      'succeeded 4/4 retries 1',
    ]);
    // Rates from the server's start and end times: 400 rows in 8 s.
    expect(recorded.snapshots.at(-1)!.elapsedSeconds).toBe(8);
    expect(calls.filter((call) => call.includes('/events'))).toHaveLength(1);
    expect(recorded.stopped()).toBe(true);
  });

  it('reads the timeline after the last sequence seen, counts retries from it, and notes retried and failed chunks', async () => {
    const { client, calls } = scriptedClient(
      [run('running', 1), run('failed', 1, { error: 'boom', errorChunk: 2 })],
      [
        [
          { sequence: 1, at: 't', type: 'started' },
          { sequence: 2, at: 't', type: 'chunkRetried', chunk: 2, attempt: 2, error: 'connection reset' },
        ],
        [{ sequence: 3, at: 't', type: 'chunkFailed', chunk: 2, error: 'boom' }],
      ],
    );
    const recorded = recordingView();
    const ended = await watchRun(client, 'p', 'r', recorded.view, noSleep);
    expect(ended.status).toBe('failed');
    expect(recorded.notes).toEqual(['  chunk 2 retried (attempt 2): connection reset', '  chunk 2 failed: boom']);
    expect(recorded.snapshots.map((s) => s.retries)).toEqual([1, 1]);
    expect(calls.filter((call) => call.includes('/events'))).toEqual(['GET /pipelines/p/runs/r/events', 'GET /pipelines/p/runs/r/events?after=2']);
  });
});
