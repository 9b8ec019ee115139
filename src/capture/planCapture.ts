import { NonRetryableError } from '../errors/errorTypes.js';
import type { Services } from '../services.js';
import type { Column } from '../spec/columns.js';
import type { RunOptions } from '../spec/jobMessage.js';
import type { PipelineSpec } from '../spec/pipelineSpec.js';
import { keyColumnRefusal } from './stateKeys.js';
import { readStateIndex } from './stateFiles.js';
import type { RunCapture } from './runCapture.js';
import type { SourceConnector } from '../sources/sourceConnector.js';
import { readTargetOf } from '../sources/readTarget.js';
import { planChangeTracking } from './planChangeTracking.js';
import { planCdc } from './planCdc.js';

/**
 * The key columns of a hashDiff pipeline, checked against the columns read: `changeCapture.keys`
 * or the table's primary key, each an integer, date or timestamp that is NOT NULL, and the
 * chunking column (when named) one of them. The read is ordered by these, the chunking column
 * first; the first is the split key.
 */
export function captureKeys(spec: PipelineSpec, columns: Column[], primaryKey: string[], label: string): string[] {
  const mode = spec.changeCapture?.mode;
  if (mode === 'changeTracking' || mode === 'cdc') {
    // The engine's change table names rows by the primary key; it is never merged in key order, so any key type does.
    if (!primaryKey.length) throw new NonRetryableError(`${label} has no primary key; ${mode} names each changed row by it (and Change Tracking needs one)`);
    const missing = primaryKey.filter((name) => !columns.some((column) => column.name === name));
    if (missing.length) throw new NonRetryableError(`${label}, changeCapture: the primary key column${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')} must be read`);
    return primaryKey;
  }
  const keys = spec.changeCapture?.keys ?? primaryKey;
  if (!keys.length) throw new NonRetryableError(`${label} has no primary key; hashDiff needs changeCapture.keys, the columns that identify a row`);
  const problems = keys.flatMap((name) => {
    const column = columns.find((candidate) => candidate.name === name);
    if (!column) return [`the key column "${name}" is not read`];
    const refusal = keyColumnRefusal(column);
    return refusal ? [refusal] : [];
  });
  const lead = spec.chunking?.column;
  if (lead !== undefined && !keys.includes(lead)) problems.push(`chunking.column "${lead}" is not one of the keys (${keys.join(', ')}); a change-capture pipeline splits on a key`);
  if (problems.length) throw new NonRetryableError(`${label}, changeCapture: ${problems.join('; ')}`);
  // Without chunking.column, the first key is the split key (planRead's planRun).
  return lead !== undefined ? [lead, ...keys.filter((name) => name !== lead)] : keys;
}

/**
 * What a change-capture run fixes at prepare: its keys, its version (microseconds since the
 * epoch of its start, and above the state it compares with, whatever the clocks did), and the
 * pipeline's current state, unless this is a full refresh (a snapshot: every row an insert).
 */
export async function planCapture(services: Services, spec: PipelineSpec, columns: Column[], primaryKey: string[], options: RunOptions, startedAt: Date, label: string, source: SourceConnector): Promise<RunCapture | undefined> {
  const micros = BigInt(startedAt.getTime()) * 1000n;
  if (spec.softDelete) {
    const column = columns.find((candidate) => candidate.name === spec.softDelete!.column);
    if (!column) throw new NonRetryableError(`${label}: softDelete.column "${spec.softDelete.column}" is not read`);
    return { mode: 'softDelete', keys: primaryKey, version: String(micros) };
  }
  if (!spec.changeCapture) return undefined;
  const keys = captureKeys(spec, columns, primaryKey, label);
  const target = readTargetOf(spec);
  if (spec.changeCapture.mode === 'changeTracking' && target.kind === 'table') return planChangeTracking(services, source, spec, target.table, keys, options, label);
  if (spec.changeCapture.mode === 'cdc' && target.kind === 'table') return planCdc(services, source, spec, target.table, keys, options, label);
  if (spec.changeCapture.mode !== 'hashDiff') throw new NonRetryableError(`${label}: changeCapture mode ${spec.changeCapture.mode} reads a table`);
  const current = await services.changeStates.get(spec.id);
  const pointer = options.fullRefresh ? undefined : current;
  const atPrepare = current ? { currentAtPrepare: current.runId } : {};
  if (!pointer) return { mode: 'hashDiff', keys, version: String(current && BigInt(current.version) >= micros ? BigInt(current.version) + 1n : micros), ...atPrepare };
  const index = await readStateIndex(services.dataBlobs.getContainerClient(pointer.container), pointer.index);
  if (index.keys.join('\u0000') !== keys.join('\u0000')) {
    throw new NonRetryableError(`${label}: the change state is keyed by ${index.keys.join(', ')} but the keys are now ${keys.join(', ')}; trigger a run with options.fullRefresh to start over with a snapshot`);
  }
  const version = micros > BigInt(pointer.version) ? micros : BigInt(pointer.version) + 1n;
  return { mode: 'hashDiff', keys, version: String(version), previous: { runId: pointer.runId, version: pointer.version, container: pointer.container, index: pointer.index }, ...atPrepare };
}

