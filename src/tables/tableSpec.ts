import { createHash } from 'node:crypto';
import { pipelineSpecSchema, type PipelineSpec } from '../spec/pipelineSpec.js';
import { tableOverrideFields } from '../spec/tablesSpec.js';
import type { ResolvedTable } from './resolveTables.js';

/** The table pipeline a table of the pipeline is copied under (spec/tablesSpec.ts): the same id for the same table in every run. */
export function tablePipelineId(pipelineId: string, table: { schema: string; name: string }): string {
  return `${pipelineId}~${createHash('sha256').update(`${table.schema}.${table.name}`).digest('hex').slice(0, 12)}`;
}

/**
 * A table's run id in a run of the pipeline: the run's time (so it sorts and names its folders by
 * it) and a hash of the run and the table, so a prepare that runs again names the same runs.
 */
export function tableRunId(runId: string, tablePipeline: string): string {
  return `${runId.slice(0, 16)}-${createHash('sha256').update(`${runId}|${tablePipeline}`).digest('hex').slice(0, 8)}`;
}

/**
 * The spec a table is copied with: the pipeline's, reading this one table, with its entry's
 * overrides, under its table pipeline's id (whose state it keeps), and without what belongs to
 * the pipeline's run as a whole (its schedule, upstream pipelines, notifications and alerts,
 * which the pipeline's run answers for). `{pipeline}` in its paths still names the pipeline
 * (sink/blobPaths.ts takes the owning pipeline of the id).
 */
export function tableSpecOf(spec: PipelineSpec, table: ResolvedTable): PipelineSpec {
  const { tables, exclude: _exclude, failFast: _failFast, schedule: _schedule, dependsOn: _dependsOn, notifications: _notifications, alerts: _alerts, lateAfter: _lateAfter, ...shared } = spec;
  const entry = tables?.[table.entry];
  const overrides = entry === undefined || typeof entry === 'string' ? {} : Object.fromEntries(tableOverrideFields.filter((field) => entry[field] !== undefined).map((field) => [field, entry[field]]));
  // Parsed again so the overrides get their defaults (chunking.maxParallel, ...) as a pipeline's would.
  return pipelineSpecSchema.parse({ ...shared, ...overrides, id: tablePipelineId(spec.id, table), table: { schema: table.schema, name: table.name } });
}
