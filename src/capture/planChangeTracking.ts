import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { RunOptions } from '../spec/jobMessage.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { SourceConnector, TableRef } from '../sources/sourceConnector.js';
import { quoteTable } from '../sources/sqlserver/sqlServerDialect.js';
import type { RunCapture } from './runCapture.js';

/** The SQL Server connector's part that prepare asks (sqlServerConnector.ts). */
type ChangeTrackingSource = {
  changeTrackingState(table: TableRef): Promise<{ snapshotAllowed: boolean; currentVersion: string | undefined; minValidVersion: string | undefined }>;
};

function isChangeTrackingSource(source: SourceConnector): source is SourceConnector & ChangeTrackingSource {
  return typeof (source as Partial<ChangeTrackingSource>).changeTrackingState === 'function';
}

/**
 * What a changeTracking run fixes at prepare: its high version, CHANGE_TRACKING_CURRENT_VERSION()
 * now (each chunk reads no change above it, whenever it runs), and whether it reads the change
 * table from the version the last successful run stored or takes a snapshot of the table
 * (every row an insert at the high version), saying why: the first run, a full refresh asked
 * for, a pipeline that captured another way before, or a stored version older than the table's
 * minimum valid version (retention cleaned up changes since: never a silent gap). Refuses a
 * database without ALLOW_SNAPSHOT_ISOLATION (each read runs in a SNAPSHOT transaction) and a
 * table without Change Tracking, saying what to turn on.
 */
export async function planChangeTracking(services: Services, source: SourceConnector, spec: PipelineSpec, table: TableRef, keys: string[], options: RunOptions, label: string): Promise<RunCapture> {
  if (!isChangeTrackingSource(source)) throw new NonRetryableError(`${label}: changeTracking reads SQL Server's Change Tracking; this source is ${spec.source.engine}`);
  const state = await source.changeTrackingState(table);
  if (!state.snapshotAllowed) {
    throw new NonRetryableError(`${label}: the database does not allow SNAPSHOT isolation, which changeTracking reads each chunk under (so the rows and the change table agree): run ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON`);
  }
  if (state.currentVersion === undefined || state.minValidVersion === undefined) {
    throw new NonRetryableError(`${label}: Change Tracking is not enabled for the table (CHANGE_TRACKING_MIN_VALID_VERSION is NULL): run ALTER DATABASE CURRENT SET CHANGE_TRACKING = ON and ALTER TABLE ${quoteTable(table)} ENABLE CHANGE_TRACKING`);
  }
  const stored = await services.changeVersions.get(spec.id);
  const base = { mode: 'changeTracking' as const, keys, version: state.currentVersion, ...(stored ? { currentAtPrepare: stored.runId } : {}) };
  const snapshot = (reason: string): RunCapture => ({ ...base, snapshotReason: reason });
  if (options.fullRefresh) return snapshot('a full refresh was asked for: a snapshot of the table, every row an insert');
  if (!stored) return snapshot('the first changeTracking run takes a snapshot of the table, every row an insert');
  if (stored.mode !== 'changeTracking') return snapshot(`the pipeline captured changes by ${stored.mode} before: a snapshot of the table, every row an insert`);
  if (BigInt(stored.version) < BigInt(state.minValidVersion)) {
    return snapshot(`the last version read (${stored.version}) is older than the table's Change Tracking minimum valid version (${state.minValidVersion}): retention cleaned up changes since, so this run takes a snapshot of the table instead of reading changes`);
  }
  // The database's version went back (restored, or Change Tracking turned off and on): the stored one means nothing now.
  if (BigInt(stored.version) > BigInt(state.currentVersion)) {
    return snapshot(`the last version read (${stored.version}) is above the database's current Change Tracking version (${state.currentVersion}), as after a restore or Change Tracking turned off and on: a snapshot of the table`);
  }
  return { ...base, after: stored.version };
}
