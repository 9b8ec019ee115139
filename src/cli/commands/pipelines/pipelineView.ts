import type { Column } from '../../output.js';

/** A pipeline as the API shows it: its spec plus schedulePaused, createdAt, updatedAt, etag. */
export type PipelineView = {
  id: string;
  description?: string;
  source?: { engine?: string; connectionSetting?: string };
  table?: { schema?: string; name?: string };
  query?: string;
  /** A many-table pipeline: patterns (or entries with per-table overrides), less `exclude`. */
  tables?: Array<string | { name: string }>;
  exclude?: string[];
  output?: { container?: string; format?: string };
  schedule?: { cron?: string; timeZone?: string };
  incremental?: { column?: string };
  schedulePaused?: boolean;
  createdAt?: string;
  updatedAt?: string;
  etag?: string;
};

const tablesText = (p: PipelineView) => `tables ${(p.tables ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.name)).join(', ')}${p.exclude?.length ? ` except ${p.exclude.join(', ')}` : ''}`;
const reads = (p: PipelineView) => (p.table ? [p.table.schema, p.table.name].filter(Boolean).join('.') : p.tables ? tablesText(p) : p.query ? 'query' : '');
const schedule = (p: PipelineView) => (p.schedule?.cron ? `${p.schedule.cron}${p.schedule.timeZone ? ` ${p.schedule.timeZone}` : ''}${p.schedulePaused ? ' (paused)' : ''}` : '');

export const pipelineColumns: Array<Column<PipelineView>> = [
  ['ID', (p) => p.id],
  ['SOURCE', (p) => p.source?.engine],
  ['READS', reads],
  ['OUTPUT', (p) => (p.output ? `${p.output.container ?? ''} (${p.output.format ?? 'parquet'})` : '')],
  ['SCHEDULE', schedule],
  ['UPDATED', (p) => p.updatedAt],
];

export const pipelineFields: Array<Column<PipelineView>> = [
  ['id', (p) => p.id],
  ['description', (p) => p.description],
  ['source', (p) => (p.source ? `${p.source.engine} via ${p.source.connectionSetting}` : '')],
  ['reads', (p) => (p.query ? p.query : reads(p))],
  ['incremental', (p) => p.incremental?.column],
  ['output', (p) => (p.output ? `${p.output.container ?? ''} (${p.output.format ?? 'parquet'})` : '')],
  ['schedule', schedule],
  ['created', (p) => p.createdAt],
  ['updated', (p) => p.updatedAt],
  ['etag', (p) => p.etag],
];
