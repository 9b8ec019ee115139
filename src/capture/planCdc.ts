import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { RunOptions } from '../spec/jobMessage.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { SourceConnector, TableRef } from '../sources/sourceConnector.js';
import { quoteTable } from '../sources/sqlserver/sqlServerDialect.js';
import type { RunCapture } from './runCapture.js';

type CaptureInstance = { name: string; startLsn: string; minLsn: string; columns: string[] };

/** The SQL Server connector's part that prepare asks (sqlServerConnector.ts). */
type CdcSource = { cdcState(table: TableRef): Promise<{ instances: CaptureInstance[]; maxLsn: string | undefined }> };

function isCdcSource(source: SourceConnector): source is SourceConnector & CdcSource {
  return typeof (source as Partial<CdcSource>).cdcState === 'function';
}

/** An LSN (10 bytes) as SQL Server's CONVERT style 1 writes it: 0x and 20 upper-case hex digits. */
export function lsnHex(value: bigint): string {
  return `0x${value.toString(16).toUpperCase().padStart(20, '0')}`;
}

/**
 * What a cdc run fixes at prepare: its upper LSN, sys.fn_cdc_get_max_lsn() now, and either the
 * capture instance and the LSN it reads after (the one the last successful run stored; the read
 * starts at sys.fn_cdc_increment_lsn of it, as the function's lower bound is inclusive) or a
 * snapshot, saying why: the first run, a full refresh, a pipeline that captured another way, a
 * capture instance that is gone, or a stored LSN below the instance's minimum LSN (retention
 * cleaned up changes since: never a silent gap).
 *
 * A capture instance created after the one the pipeline reads (SQL Server's way through a schema
 * change: a second instance with the new columns) is detected. `onNewCaptureInstance` "fail"
 * fails the run naming both; "follow" (the default) moves to it without a gap or an overlap:
 * when the stored LSN already reaches the new instance's start, the run reads the new instance;
 * otherwise it reads the old one up to just below the new one's start, and the next run moves.
 */
export async function planCdc(services: Services, source: SourceConnector, spec: PipelineSpec, table: TableRef, keys: string[], options: RunOptions, label: string): Promise<RunCapture> {
  if (!isCdcSource(source)) throw new NonRetryableError(`${label}: cdc reads SQL Server's change data capture; this source is ${spec.source.engine}`);
  const capture = spec.changeCapture!;
  const state = await source.cdcState(table);
  const instances = state.instances;
  if (!instances.length) {
    throw new NonRetryableError(`${label}: CDC is not enabled for the table (it has no capture instance in cdc.change_tables): run EXEC sys.sp_cdc_enable_db, then EXEC sys.sp_cdc_enable_table @source_schema = N'${table.schema ?? 'dbo'}', @source_name = N'${table.name}', @role_name = NULL (for ${quoteTable(table)})`);
  }
  if (!state.maxLsn) throw new NonRetryableError(`${label}: sys.fn_cdc_get_max_lsn() is NULL: CDC has captured nothing yet (is the capture job running?)`);
  const names = instances.map((instance) => instance.name).join(', ');
  const find = (name: string | undefined) => (name === undefined ? undefined : instances.find((instance) => instance.name.toLowerCase() === name.toLowerCase()));
  const named = find(capture.captureInstance);
  if (capture.captureInstance !== undefined && !named) throw new NonRetryableError(`${label}: changeCapture.captureInstance "${capture.captureInstance}" is not a capture instance of the table (it has ${names})`);
  const rowFilter = capture.rowFilter ?? 'all';
  const stored = await services.changeVersions.get(spec.id);
  const maxLsn = state.maxLsn;
  const base = (instance: CaptureInstance) => ({
    mode: 'cdc' as const, keys, version: maxLsn, captureInstance: instance.name, captured: instance.columns, rowFilter,
    ...(stored ? { currentAtPrepare: stored.runId } : {}),
  });
  // A snapshot reads the table, and the next run reads the newest instance (or the one named) from here.
  const snapshot = (reason: string): RunCapture => ({ ...base(named ?? instances.at(-1)!), snapshotReason: reason });
  if (options.fullRefresh) return snapshot('a full refresh was asked for: a snapshot of the table, every row an insert');
  if (!stored) return snapshot('the first cdc run takes a snapshot of the table, every row an insert');
  if (stored.mode !== 'cdc') return snapshot(`the pipeline captured changes by ${stored.mode} before: a snapshot of the table, every row an insert`);
  const onStored = find(stored.captureInstance);
  if (!onStored) return snapshot(`the capture instance read last (${stored.captureInstance ?? 'none'}) is gone (the table has ${names}): a snapshot of the table`);
  let current = named ?? onStored;
  let upTo = BigInt(maxLsn);
  const after = BigInt(stored.version);
  const newer = instances.slice(instances.indexOf(current) + 1);
  if (newer.length) {
    const next = newer[0]!;
    if ((capture.onNewCaptureInstance ?? 'follow') === 'fail') {
      throw new NonRetryableError(`${label}: a newer CDC capture instance, ${next.name} (from LSN ${next.startLsn}), was created for the table after ${current.name}, which the pipeline reads (instances: ${names}); onNewCaptureInstance is "fail": set changeCapture.captureInstance to the one to read, or onNewCaptureInstance "follow"`);
    }
    if (after + 1n >= BigInt(next.startLsn)) current = next;
    else if (BigInt(next.startLsn) - 1n < upTo) upTo = BigInt(next.startLsn) - 1n;
  }
  if (after + 1n < BigInt(current.minLsn)) {
    return snapshot(`the last LSN read (${stored.version}) is below capture instance ${current.name}'s minimum LSN (${current.minLsn}): retention cleaned up changes since (or the instance started after it), so this run takes a snapshot of the table instead of reading changes`);
  }
  if (after > upTo) return snapshot(`the last LSN read (${stored.version}) is above the maximum LSN now (${maxLsn}), as after a restore: a snapshot of the table`);
  return { ...base(current), version: lsnHex(upTo), after: stored.version };
}
