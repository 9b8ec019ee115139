import { describe, expect, it } from 'vitest';
import { planCdc, lsnHex } from '../../src/capture/planCdc.js';
import { planChangeTracking } from '../../src/capture/planChangeTracking.js';
import type { Services } from '../../src/services.js';
import { pipelineSpecSchema, type PipelineSpec } from '../../src/spec/pipelineSpec.js';
import type { SourceConnector } from '../../src/sources/sourceConnector.js';
import { cdcReadQuery, changeTrackingReadQuery } from '../../src/sources/sqlserver/sqlServerChangeQueries.js';
import { compareChangeVersions, type ChangeVersion } from '../../src/store/changeVersionStore.js';
import type { Column } from '../../src/spec/columns.js';

const table = { schema: 'dbo', name: 'orders' };
const spec = (changeCapture: Record<string, unknown>): PipelineSpec => pipelineSpecSchema.parse({
  id: 'orders', source: { engine: 'sqlserver', connectionSetting: 'SIPHON_SOURCE_SALES' }, table, changeCapture, output: { container: 'lake' },
});
const services = (stored: ChangeVersion | undefined) => ({ changeVersions: { get: async () => stored && { ...stored, etag: '*' } } }) as unknown as Services;
const stored = (version: string, captureInstance?: string): ChangeVersion => ({ runId: 'r1', mode: captureInstance ? 'cdc' : 'changeTracking', version, ...(captureInstance ? { captureInstance } : {}), updatedAt: '' });
const lsn = (n: number) => lsnHex(BigInt(n));
const instance = (name: string, start: number, min = start) => ({ name, startLsn: lsn(start), minLsn: lsn(min), columns: ['id', 'qty'] });
const cdcSource = (instances: ReturnType<typeof instance>[], max: number) => ({ cdcState: async () => ({ instances, maxLsn: lsn(max) }) }) as unknown as SourceConnector;
const ctSource = (state: { snapshotAllowed: boolean; currentVersion?: string; minValidVersion?: string }) => ({ changeTrackingState: async () => state }) as unknown as SourceConnector;

describe('change positions', () => {
  it('order Change Tracking versions as integers and LSNs as fixed-width hex', () => {
    expect(compareChangeVersions('9', '10')).toBe(-1);
    expect(compareChangeVersions(lsn(255), lsn(4096))).toBe(-1);
    expect(lsn(4096)).toBe('0x00000000000000001000');
  });
});

describe('changeTracking at prepare', () => {
  const plan = (state: Parameters<typeof ctSource>[0], position?: ChangeVersion) => planChangeTracking(services(position), ctSource(state), spec({ mode: 'changeTracking' }), table, ['id'], {}, 'Table dbo.orders');
  it('refuses a database without snapshot isolation and an untracked table, saying what to turn on', async () => {
    await expect(plan({ snapshotAllowed: false, currentVersion: '5', minValidVersion: '1' })).rejects.toThrow(/ALLOW_SNAPSHOT_ISOLATION ON/);
    await expect(plan({ snapshotAllowed: true, currentVersion: '5' })).rejects.toThrow(/ENABLE CHANGE_TRACKING/);
  });
  it('reads from the stored version while it is valid, else takes a snapshot saying why', async () => {
    expect(await plan({ snapshotAllowed: true, currentVersion: '9', minValidVersion: '4' }, stored('4'))).toMatchObject({ after: '4', version: '9', currentAtPrepare: 'r1' });
    const old = await plan({ snapshotAllowed: true, currentVersion: '9', minValidVersion: '5' }, stored('4'));
    expect(old.after).toBeUndefined();
    expect(old.snapshotReason).toMatch(/older than the table's Change Tracking minimum valid version \(5\)/);
    expect((await plan({ snapshotAllowed: true, currentVersion: '9', minValidVersion: '1' })).snapshotReason).toMatch(/first changeTracking run/);
  });
});

describe('cdc at prepare', () => {
  const plan = (instances: ReturnType<typeof instance>[], max: number, position?: ChangeVersion, options: Record<string, unknown> = {}) =>
    planCdc(services(position), cdcSource(instances, max), spec({ mode: 'cdc', ...options }), table, ['id'], {}, 'Table dbo.orders');
  it('reads after the stored LSN up to the maximum, or takes a snapshot below the minimum', async () => {
    expect(await plan([instance('v1', 100)], 150, stored(lsn(120), 'v1'))).toMatchObject({ captureInstance: 'v1', after: lsn(120), version: lsn(150), rowFilter: 'all' });
    // The stored LSN's successor is the minimum: still complete.
    expect((await plan([instance('v1', 100, 121)], 150, stored(lsn(120), 'v1'))).after).toBe(lsn(120));
    expect((await plan([instance('v1', 100, 122)], 150, stored(lsn(120), 'v1'))).snapshotReason).toMatch(/below capture instance v1's minimum LSN/);
  });
  it('follows a newer capture instance without a gap or an overlap, or fails naming both', async () => {
    const both = [instance('v1', 100), instance('v2', 140)];
    // Behind the new start: the old instance up to just below it.
    expect(await plan(both, 150, stored(lsn(120), 'v1'))).toMatchObject({ captureInstance: 'v1', after: lsn(120), version: lsn(139) });
    // At it: the new one, from there.
    expect(await plan(both, 150, stored(lsn(139), 'v1'))).toMatchObject({ captureInstance: 'v2', after: lsn(139), version: lsn(150) });
    await expect(plan(both, 150, stored(lsn(120), 'v1'), { onNewCaptureInstance: 'fail' })).rejects.toThrow(/newer CDC capture instance, v2 .* after v1/);
    await expect(plan(both, 150, undefined, { captureInstance: 'v3' })).rejects.toThrow(/"v3" is not a capture instance of the table \(it has v1, v2\)/);
  });
});

describe('change table reads', () => {
  const columns: Column[] = [
    { name: 'id', sourceType: 'int', nullable: false, type: { kind: 'int32' } },
    { name: 'note', sourceType: 'nvarchar(40)', nullable: true, type: { kind: 'string' } },
  ];
  it('take the key from the change table, so a delete keeps it', () => {
    const query = changeTrackingReadQuery(table, columns, ['id'], '4', '9');
    expect(query.text).toContain('siphon_ct.[id] AS [id]');
    expect(query.text).toContain('LEFT JOIN [dbo].[orders] AS siphon_row ON siphon_row.[id] = siphon_ct.[id]');
    expect(query.text).toMatch(/SET TRANSACTION ISOLATION LEVEL SNAPSHOT;\s+BEGIN TRANSACTION;/);
    expect(query.params).toEqual([{ name: 'after', type: 'bigint', value: 4n }, { name: 'upTo', type: 'bigint', value: 9n }]);
  });
  it('read a column the capture instance lacks as NULL, from the LSN after the stored one', () => {
    const query = cdcReadQuery('dbo_orders', columns, ['id'], lsn(120), lsn(150), 'all update old');
    expect(query.text).toContain('CAST(NULL AS nvarchar(1)) AS [note]');
    expect(query.text).toContain("cdc.[fn_cdc_get_all_changes_dbo_orders](sys.fn_cdc_increment_lsn(@from), @upTo, N'all update old')");
    expect(query.params[0]).toMatchObject({ name: 'from', type: 'binary', length: 10 });
  });
});
