import type { PipelineSpec } from '../spec/pipelineSpec.js';
import type { ReadTarget } from './sourceConnector.js';

/**
 * What a pipeline reads; the spec guarantees exactly one of table, tables and query. A pipeline
 * of many tables reads each through its tables' runs (tables/), never as one target.
 */
export function readTargetOf(spec: Pick<PipelineSpec, 'table' | 'query' | 'tables'>): ReadTarget {
  if (spec.table) return { kind: 'table', table: spec.table };
  if (spec.query === undefined) throw new Error('a pipeline of many tables reads each table in a run of its own (tables/); it has no single read target');
  return { kind: 'query', sql: spec.query };
}

/** How errors and manifests name what was read: `Table shop.orders`, or `Query`. */
export function readTargetLabel(target: ReadTarget): string {
  return target.kind === 'table' ? `Table ${tableName(target)}` : 'Query';
}

/** `schema.name` or `name`, or `query`, for the {table} path token and the manifest. */
export function tableName(target: ReadTarget): string {
  if (target.kind === 'query') return 'query';
  return target.table.schema === undefined ? target.table.name : `${target.table.schema}.${target.table.name}`;
}
