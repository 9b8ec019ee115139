import { describe, expect, it } from 'vitest';
import { runRunsGet } from '../../src/cli/commands/runs/get.js';
import { runRunsList } from '../../src/cli/commands/runs/list.js';
import { runPipelinesPlan } from '../../src/cli/commands/pipelines/plan.js';
import type { CommandContext } from '../../src/cli/commandContext.js';
import type { SiphonClient } from '../../src/cli/apiClient.js';
import type { OutputFormat } from '../../src/cli/outputFormat.js';

/** Rejected rows, their quarantine files and schema drift in the CLI's output (issue 18). */
const column = (name: string, sourceType: string, kind: 'int32' | 'int64' | 'string', nullable = true) => ({ name, sourceType, type: { kind }, nullable });
const run = {
  pipelineId: 'orders', runId: '20261207T180000Z-1a2b3c4d', status: 'succeeded', rows: 1_000, rowsRejected: 7,
  rejectedByRule: [{ column: 'code', rule: 'unique', rows: 5 }, { column: 'qty', rule: 'min', rows: 3 }],
  manifestPath: 'out/orders/run=20261207T180000Z-1a2b3c4d/_manifest.json',
  drift: {
    outcome: 'evolved', discarded: ['secret'], nullFilled: ['amount'],
    added: [{ column: 'note', new: column('note', 'text', 'string') }, { column: 'secret', new: column('secret', 'text', 'string') }],
    removed: [{ column: 'amount', old: column('amount', 'integer', 'int32', false) }],
    retyped: [{ column: 'qty', old: column('qty', 'integer', 'int32'), new: column('qty', 'bigint', 'int64'), widening: true }],
  },
};
const quarantine = { rows: 7, files: [{ path: 'orders/run=20261207T180000Z-1a2b3c4d/_quarantine/part-00001-0000.jsonl.gz', rows: 7, bytes: 512, chunk: 1, md5: 'x' }] };

function context(output: OutputFormat, answers: Record<string, unknown>) {
  const out: string[] = [];
  const calls: string[] = [];
  const client = {
    async request(method: string, path: string) {
      calls.push(`${method} ${path}`);
      const answer = Object.entries(answers).find(([suffix]) => path.endsWith(suffix));
      return { status: 200, headers: new Headers(), body: answer?.[1] };
    },
  } as unknown as SiphonClient;
  const ctx: CommandContext = { io: { stdout: { isTTY: false, write: (text: string) => out.push(text) }, stderr: { isTTY: false, write: () => undefined }, env: {}, readFile: async () => '{}' }, client, output };
  return { ctx, calls, stdout: () => out.join('') };
}

describe('the CLI on rejected rows and drift', () => {
  it('runs get prints rowsRejected, the quarantine files and the drift as a column diff', async () => {
    const { ctx, calls, stdout } = context('table', { '/files': { quarantine }, [run.runId]: run });
    await runRunsGet(ctx, `orders/${run.runId}`, undefined);
    expect(calls).toEqual([`GET /pipelines/orders/runs/${run.runId}`, `GET /pipelines/orders/runs/${run.runId}/files`]);
    const text = stdout();
    expect(text).toMatch(/^rejected +7 rows in _quarantine\/$/m);
    expect(text).toMatch(/^drift +evolved: 2 added, 1 removed, 1 retyped$/m);
    expect(text).toContain('Quarantine (7 rows rejected):');
    expect(text).toMatch(/^COLUMN +RULE +ROWS\ncode +unique +5\nqty +min +3$/m);
    expect(text).toMatch(/_quarantine\/part-00001-0000\.jsonl\.gz +1 +7 +512/);
    expect(text).toMatch(/^added +note +text \(string, null\) +evolved$/m);
    expect(text).toMatch(/^added +secret +text \(string, null\) +discarded$/m);
    expect(text).toMatch(/^removed +amount +integer \(int32\) +null-filled$/m);
    expect(text).toMatch(/^retyped +qty +integer \(int32, null\) +bigint \(int64, null\) +widened$/m);
  });

  it('runs get -o json carries rowsRejected, drift and the quarantine listing; a run without rejects asks for no files', async () => {
    const json = context('json', { '/files': { quarantine }, [run.runId]: run });
    await runRunsGet(json.ctx, 'orders', run.runId);
    expect(JSON.parse(json.stdout())).toMatchObject({ rowsRejected: 7, drift: { outcome: 'evolved' }, quarantine: { rows: 7, files: [{ chunk: 1 }] } });
    const clean = context('table', { [run.runId]: { ...run, rowsRejected: 0, drift: undefined } });
    await runRunsGet(clean.ctx, 'orders', run.runId);
    expect(clean.calls).toHaveLength(1);
    expect(clean.stdout()).not.toContain('Schema drift');
  });

  it('runs list has a REJECTED column; json lines carry rowsRejected', async () => {
    const table = context('table', { '/runs': { runs: [run, { ...run, runId: '20261207T170000Z-00000000', rowsRejected: undefined }] } });
    await runRunsList(table.ctx, { pipeline: 'orders', limit: 5 });
    const [heading, first, second] = table.stdout().split('\n');
    expect(heading).toMatch(/ROWS +REJECTED/);
    expect(first).toMatch(/1,000 +7/);
    expect(second).not.toMatch(/1,000 +7/);
    const jsonl = context('jsonl', { '/runs': { runs: [run] } });
    await runRunsList(jsonl.ctx, { pipeline: 'orders', limit: 5 });
    expect(JSON.parse(jsonl.stdout().trim()).rowsRejected).toBe(7);
  });

  it('pipelines plan shows the drift the next run would see, with each change\'s action', async () => {
    const plan = {
      pipeline: 'orders', valid: true, refusals: [], warnings: ['the next run would fail: columns removed (schemaContract.removed is freeze): "amount"'],
      drift: { comparedWithRun: run.runId, outcome: 'frozen', added: [], retyped: [], removed: [{ column: 'amount', old: column('amount', 'integer', 'int32', false), action: 'freeze' }], frozenReason: 'columns removed (schemaContract.removed is freeze): "amount"' },
    };
    const { ctx, stdout } = context('table', { '/plan': plan });
    await runPipelinesPlan(ctx, 'orders');
    const text = stdout();
    expect(text).toContain(`drift:\n  frozen: the run fails before writing, compared with run ${run.runId}\n`);
    expect(text).toMatch(/^ {2}removed +amount +integer \(int32\) +freeze$/m);
    const none = context('table', { '/plan': { ...plan, warnings: [], drift: null } });
    await runPipelinesPlan(none.ctx, 'orders');
    expect(none.stdout()).toContain('drift:\n  (none)\n');
  });
});
