import { describe, expect, it } from 'vitest';
import { printList, printObject } from '../../src/cli/output.js';
import { resolveOutputFormat } from '../../src/cli/outputFormat.js';
import { parseRunRef, pointInTime } from '../../src/cli/commandContext.js';
import { parseBackfill } from '../../src/cli/commands/run/run.js';
import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { UsageError } from '../../src/cli/errors.js';

function bufferIo(options: { stdoutIsTTY?: boolean; env?: Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { isTTY: options.stdoutIsTTY ?? false, write: (text: string) => out.push(text) },
    stderr: { isTTY: false, write: (text: string) => err.push(text) },
    env: options.env ?? {},
    readFile: async () => '{}',
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

const pipelines = [
  { id: 'sales-orders', engine: 'postgres', rows: 1_234_567 },
  { id: 'émoji-🙂', engine: 'mysql', rows: 0 },
];

describe('list output', () => {
  it('is a borderless table with headings, wide characters measured right', () => {
    const { io, stdout } = bufferIo();
    printList(io.stdout, 'table', pipelines, [
      ['ID', (p) => p.id],
      ['ENGINE', (p) => p.engine],
      ['ROWS', (p) => p.rows],
    ]);
    expect(stdout()).toBe(['ID            ENGINE    ROWS', 'sales-orders  postgres  1,234,567', 'émoji-🙂      mysql     0', ''].join('\n'));
  });

  it('is a JSON array with -o json and one object a line with -o jsonl; an empty table says so', () => {
    const json = bufferIo();
    printList(json.io.stdout, 'json', pipelines, []);
    expect(JSON.parse(json.stdout())).toEqual(pipelines);
    const jsonl = bufferIo();
    printList(jsonl.io.stdout, 'jsonl', pipelines, []);
    expect(jsonl.stdout().trim().split('\n').map((line) => JSON.parse(line))).toEqual(pipelines);
    const empty = bufferIo();
    printList(empty.io.stdout, 'table', [], [['ID', () => '']]);
    expect(empty.stdout()).toBe('(none)\n');
  });

  it('shows one object as field/value lines, leaving out empty fields', () => {
    const { io, stdout } = bufferIo();
    printObject(io.stdout, 'table', { id: 'p', note: undefined, rows: 42 }, [
      ['id', (v) => v.id],
      ['note', (v) => v.note],
      ['rows', (v) => v.rows],
    ]);
    expect(stdout()).toBe('id    p\nrows  42\n');
  });
});

describe('output format', () => {
  it('is a table on a terminal and JSON otherwise, unless -o says', () => {
    expect(resolveOutputFormat(undefined, bufferIo({ stdoutIsTTY: true }).io)).toBe('table');
    expect(resolveOutputFormat(undefined, bufferIo().io)).toBe('json');
    expect(resolveOutputFormat('jsonl', bufferIo({ stdoutIsTTY: true }).io)).toBe('jsonl');
    expect(() => resolveOutputFormat('xml', bufferIo().io)).toThrow(UsageError);
  });
});

describe('arguments', () => {
  it('a run is <pipeline>/<runId> or two arguments, never both or neither', () => {
    expect(parseRunRef('sales/20261121T163000Z-1a2b3c4d', undefined)).toEqual({ pipelineId: 'sales', runId: '20261121T163000Z-1a2b3c4d' });
    expect(parseRunRef('sales', '20261121T163000Z-1a2b3c4d')).toEqual({ pipelineId: 'sales', runId: '20261121T163000Z-1a2b3c4d' });
    for (const [first, second] of [['sales', undefined], ['/r', undefined], ['p/', undefined], ['a/b/c', undefined], ['p/r', 'r']] as const) {
      expect(() => parseRunRef(first, second), `${first} ${second}`).toThrow(UsageError);
    }
  });

  it('--backfill is FROM..TO, timestamps with fractions included', () => {
    expect(parseBackfill('2026-01-01..2026-02-01')).toEqual({ from: '2026-01-01', to: '2026-02-01' });
    expect(parseBackfill('2026-01-01T00:00:00.5Z..2026-01-02T00:00:00Z')).toEqual({ from: '2026-01-01T00:00:00.5Z', to: '2026-01-02T00:00:00Z' });
    for (const text of ['2026-01-01', '..5', '5..', '1..2..3']) expect(() => parseBackfill(text), text).toThrow(/FROM\.\.TO/);
  });

  it('--since takes ISO 8601 or an age', () => {
    const now = () => Date.parse('2026-11-21T12:00:00Z');
    expect(pointInTime('--since', now)('12h')).toBe('2026-11-21T00:00:00.000Z');
    expect(pointInTime('--since', now)('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    expect(() => pointInTime('--since', now)('yesterday')).toThrow(/not a time/);
  });
});

describe('runCli with injected streams', () => {
  it('exits 2 with the help on a usage error, and 0 with examples first on --help', async () => {
    const bad = bufferIo();
    expect(await runCli(['runs', 'list', '--status', 'sleeping'], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/argument 'sleeping' is invalid/);
    expect(bad.stderr()).toMatch(/Usage: siphon runs list/);
    const conflicting = bufferIo();
    expect(await runCli(['run', 'p', '--full-refresh', '--backfill', '1..2'], conflicting.io)).toBe(2);
    expect(conflicting.stderr()).toMatch(/cannot be used with option '--backfill/);
    const help = bufferIo();
    expect(await runCli(['runs', 'list', '--help'], help.io)).toBe(0);
    expect(help.stdout()).toMatch(/^Examples:\n {2}\$ siphon runs list\n/);
  });

  it('refuses plain http to a remote host (a bearer token never travels in clear text)', async () => {
    const remote = bufferIo({ env: { SIPHON_URL: 'http://siphon.example.invalid', SIPHON_SCOPE: 'api://x/.default' } });
    expect(await runCli(['pipelines', 'list'], remote.io)).toBe(2);
    expect(remote.stderr()).toMatch(/must be https/);
  });

  it('an unreachable API is exit 1 with the URL named', async () => {
    const down = bufferIo({ env: { SIPHON_URL: 'http://127.0.0.1:1' } });
    expect(await runCli(['pipelines', 'list'], down.io)).toBe(1);
    expect(down.stderr()).toMatch(/Cannot reach the Siphon API at http:\/\/127\.0\.0\.1:1/);
  });
});
