import { execFile, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/waitFor.js';

/**
 * The built binary against a double of the endpoints other parts of issue 14 build in parallel
 * (query jobs, the global run list, the timeline, delete, validate, plan), answering as their
 * contracts say. It proves the CLI's half of each contract: the requests it sends (path, query,
 * If-Match, Content-Type, body) and what it makes of the answers. The real endpoints are tested
 * with the CLI only after the branches are merged.
 */
const binary = join(process.cwd(), 'dist/src/cli/main.js');
type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };
let seen: Seen[] = [];
let server: Server;
let url: string;
let folder: string;
let queryPolls = 0;
let q3Cancelled = false;

const runsPage1 = { runs: [{ pipelineId: 'a', runId: '20261121T163000Z-00000001', status: 'failed' }], continuationToken: 'next' };
const runsPage2 = { runs: [{ pipelineId: 'b', runId: '20261121T153000Z-00000002', status: 'failed' }] };

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
  const path = new URL(req.url!, 'http://x');
  const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
    res.end(json === undefined ? undefined : JSON.stringify(json));
  };
  const route = `${req.method} ${path.pathname}`;
  if (route === 'POST /api/queries') {
    const job = body.includes('pg_sleep_for_ever') ? 'q2' : body.includes('slow_forever') ? 'q3' : 'q1';
    return send(202, { id: job, status: 'queued' }, { location: `${url}/api/queries/${job}`, 'retry-after': '1' });
  }
  if (route === 'GET /api/queries/q1') return send(200, { id: 'q1', status: ++queryPolls < 3 ? 'running' : 'succeeded' });
  if (route === 'GET /api/queries/q3') return send(200, { id: 'q3', status: q3Cancelled ? 'cancelled' : 'running' });
  if (route === 'POST /api/queries/q3/cancel') {
    q3Cancelled = true;
    return send(200, { id: 'q3', status: 'cancelled' });
  }
  if (route === 'GET /api/queries/q2') return send(200, { id: 'q2', status: 'timed_out', error: 'the query ran past 5 seconds' });
  if (route === 'GET /api/queries/q1/result') {
    res.writeHead(200, { 'content-type': path.searchParams.get('format') === 'csv' ? 'text/csv' : 'application/x-ndjson' });
    return void res.end(path.searchParams.get('format') === 'csv' ? 'id,name\n1,a\n2,"b, c"\n' : '{"id":1,"name":"a"}\n{"id":2,"name":"b, c"}\n');
  }
  if (route === 'GET /api/runs') return send(200, path.searchParams.get('continuationToken') === 'next' ? runsPage2 : runsPage1);
  if (route === 'GET /api/pipelines/a/runs/20261121T163000Z-00000001/events') {
    return send(200, { events: [{ sequence: 1, at: '2026-11-21T16:30:00Z', type: 'queued' }, { sequence: 2, at: '2026-11-21T16:30:01Z', type: 'chunkRetried', chunk: 3, error: 'reset' }] });
  }
  if (route === 'GET /api/pipelines/a') return send(200, { id: 'a' }, { etag: 'W/"etag-a"' });
  if (route === 'DELETE /api/pipelines/a') return send(204, undefined);
  if (route === 'POST /api/pipelines:validate' || route === 'GET /api/pipelines/a/plan') {
    return send(200, {
      columns: [{ name: 'id', sourceType: 'integer', outputType: 'INT32' }, { name: 'at', sourceType: 'timestamptz', outputType: 'TIMESTAMP(MICROS, UTC)' }],
      refusals: path.pathname.endsWith('validate') ? [{ column: 'geom', reason: 'type geometry has no output type' }, { column: 'r', reason: 'type tsrange has no output type' }] : [],
      chunkPlan: { method: 'equalWidth', chunks: 2 },
    });
  }
  send(404, { type: 'about:blank', title: 'Not found', status: 404, detail: 'path: no API route has this path' });
}

function siphon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { CI: _ci, ...parentEnv } = process.env;
    execFile(process.execPath, [binary, ...args], { env: { ...parentEnv, SIPHON_URL: url }, cwd: folder, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'siphon-cli-contracts-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (folder) rmSync(folder, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  queryPolls = 0;
});

describe('siphon query (POST /api/queries, poll, result)', () => {
  it('submits the job, polls it with backoff to succeeded, and streams JSON Lines to stdout with -o jsonl', async () => {
    const result = await siphon(['query', '--source', 'SIPHON_SOURCE_SALES', '--engine', 'pg', 'SELECT id, name FROM t', '--max-rows', '10', '--timeout', '30', '-o', 'jsonl']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b, c' }]);
    const submitted = seen.find((request) => request.method === 'POST')!;
    expect(submitted.headers['content-type']).toBe('application/json');
    expect(JSON.parse(submitted.body)).toEqual({ source: { engine: 'postgres', connectionSetting: 'SIPHON_SOURCE_SALES' }, query: 'SELECT id, name FROM t', format: 'jsonl', timeoutSeconds: 30, maxRows: 10 });
    expect(seen.filter((request) => request.url === '/api/queries/q1')).toHaveLength(3);
    expect(seen.at(-1)!.url).toBe('/api/queries/q1/result?format=jsonl');
  });

  it('writes CSV to --out, and refuses --out file.parquet as a usage error (the result endpoint serves JSON Lines and CSV)', async () => {
    const result = await siphon(['query', '--source', 'SIPHON_SOURCE_SALES', '--engine', 'mysql', 'SELECT 1', '--out', 'rows.csv']);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(folder, 'rows.csv'), 'utf8')).toBe('id,name\n1,a\n2,"b, c"\n');
    expect(JSON.parse(seen[0]!.body).source.engine).toBe('mysql');
    const parquet = await siphon(['query', '--source', 'SIPHON_SOURCE_SALES', '--engine', 'pg', 'SELECT 1', '--out', 'rows.parquet']);
    expect(parquet.code).toBe(2);
  });

  it('exits 1 when the job times out, with its error, and reads no result', async () => {
    const result = await siphon(['query', '--source', 'SIPHON_SOURCE_SALES', '--engine', 'pg', 'SELECT pg_sleep_for_ever()', '--timeout', '5']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/timed_out: the query ran past 5 seconds/);
    expect(seen.some((request) => request.url.includes('/result'))).toBe(false);
  });

  it('Ctrl-C while the job runs cancels it on the server, and the command exits 1 once it ended cancelled', async () => {
    const { CI: _ci, ...parentEnv } = process.env;
    const child = spawn(process.execPath, [binary, 'query', '--source', 'SIPHON_SOURCE_SALES', '--engine', 'pg', 'SELECT slow_forever()'], { env: { ...parentEnv, SIPHON_URL: url } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(async () => stderr, (text) => /q3 running/.test(text), 'the job to be running');
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(1);
    expect(seen.map((request) => `${request.method} ${request.url}`)).toContain('POST /api/queries/q3/cancel');
    expect(stderr).toMatch(/Query job \/queries\/q3 cancelled/);
  });

  it('prints the rows as a JSON array by default off a terminal', async () => {
    const result = await siphon(['query', '--source', 'SIPHON_SOURCE_SALES', '--engine', 'postgres', 'SELECT 1']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b, c' }]);
  });
});

describe('siphon runs list (GET /api/runs), runs events, pipelines delete/validate/plan', () => {
  it('runs list sends the filters and follows the continuation token up to --limit', async () => {
    const result = await siphon(['runs', 'list', '--status', 'failed', '--since', '2026-11-01', '--pipeline', 'a', '--limit', '2', '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Array<{ runId: string }>).map((run) => run.runId)).toEqual(['20261121T163000Z-00000001', '20261121T153000Z-00000002']);
    const urls = seen.map((request) => new URL(request.url, 'http://x'));
    expect(urls.map((u) => u.pathname)).toEqual(['/api/runs', '/api/runs']);
    expect(Object.fromEntries(urls[0]!.searchParams)).toEqual({ pipeline: 'a', status: 'failed', since: '2026-11-01T00:00:00.000Z', limit: '2' });
    expect(Object.fromEntries(urls[1]!.searchParams)).toMatchObject({ limit: '1', continuationToken: 'next' });
  });

  it('runs events prints the timeline', async () => {
    const result = await siphon(['runs', 'events', 'a/20261121T163000Z-00000001', '-o', 'table']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^SEQ\s+AT\s+TYPE\s+DETAIL\n1\s+2026-11-21T16:30:00Z\s+queued\s*\n2\s+.*chunkRetried\s+chunk=3 error=reset/);
  });

  it('pipelines delete reads the ETag and deletes with If-Match (and ?purgeHistory=true when asked)', async () => {
    const result = await siphon(['pipelines', 'delete', 'a', '--purge-history']);
    expect(result.code, result.stderr).toBe(0);
    expect(seen.map((request) => `${request.method} ${request.url} ${request.headers['if-match'] ?? ''}`.trim())).toEqual(['GET /api/pipelines/a', 'DELETE /api/pipelines/a?purgeHistory=true W/"etag-a"']);
    expect(seen[1]!.headers['content-type']).toBe('application/json');
  });

  it('validate shows every refusal at once and exits 1; plan without refusals exits 0', async () => {
    writeFileSync(join(folder, 'spec.json'), JSON.stringify({ id: 'a' }));
    const validated = await siphon(['pipelines', 'validate', '-f', 'spec.json', '-o', 'table']);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toMatch(/refusals:\n\s+column\s+reason\n\s+geom\s+type geometry has no output type\n\s+r\s+type tsrange/);
    expect(validated.stderr).toMatch(/2 refusal\(s\)/);
    expect(JSON.parse(seen[0]!.body)).toEqual({ id: 'a' });
    const planned = await siphon(['pipelines', 'plan', 'a', '-o', 'json']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout).chunkPlan).toEqual({ method: 'equalWidth', chunks: 2 });
  });
});
